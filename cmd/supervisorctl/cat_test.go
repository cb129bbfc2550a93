package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// catConf includes {inc}/web.conf, a group whose numprocs program names
// each instance's port and log after its number.
const catConf = `
[include]
files = {inc}/*.conf

[program:solo]
command=/bin/sleep 1000   ; runs alone
startsecs=0
stdout_logfile=%(here)s/%(program_name)s.out
`

const catInclude = `[group:site]
programs=web,api
priority=5

[program:web]
command=/bin/sleep 10%(process_num)02d
process_name=%(program_name)s_%(process_num)d
numprocs=3
numprocs_start=1
startsecs=0
environment=PORT="80%(process_num)02d"
stdout_logfile=%(here)s/%(group_name)s-%(ENV_PORT)s.log

[program:api]
command=/bin/sleep 1000
startsecs=0
`

// `supervisorctl cat` as users see it, kept in testdata/cat.golden: a
// plain program, one instance of a numprocs program in a group from an
// included file, the group, a plain name that is only a group's, a name
// that is nobody's, no name, and what the reference's daemon answers.
func TestCatAsUsersSeeIt(t *testing.T) {
	t.Parallel()
	inc := t.TempDir()
	if err := os.WriteFile(filepath.Join(inc, "web.conf"), []byte(catInclude), 0o644); err != nil {
		t.Fatal(err)
	}
	d := testkit.StartDaemon(t, filepath.Join(bin, "supervisord"),
		testkit.Config("{dir}")+testkit.RPCConfig("{dir}")+strings.ReplaceAll(catConf, "{inc}", inc))
	states := map[string]string{"solo": "RUNNING", "web_1": "RUNNING", "web_2": "RUNNING", "web_3": "RUNNING", "api": "RUNNING"}
	if got, ok := d.WaitStates(states, 20*time.Second); !ok {
		t.Fatalf("states %v", got)
	}
	var out strings.Builder
	run := func(args ...string) {
		r := testkit.RunCtl(t, oursCtl(), d.Dir, "", append([]string{"-c", d.Conf}, args...)...)
		fmt.Fprintf(&out, "$ supervisorctl %s\n%s", strings.Join(args, " "), strings.ReplaceAll(testkit.Normalize(r.String(), d), inc, "<INC>"))
	}
	run("help", "cat")
	run("cat", "solo")
	run("cat", "site:web_3")
	run("cat", "site:*")
	run("cat", "nosuch", "site:api")
	run("cat")

	againstReference(t, &out, "cat", "idle")
	checkGolden(t, "cat.golden", out.String())
}
