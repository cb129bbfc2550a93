package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// rotateConf has a program whose stdout backups are compressed, a group
// of two, a program that never writes and one without a log file.
const rotateConf = `
[program:chatty]
command=/bin/sh -c 'echo one; echo err >&2; exec sleep 1000'
startsecs=0
stdout_logfile={dir}/chatty.out
stdout_logfile_compress=gzip
stderr_logfile={dir}/chatty.err

[group:grp]
programs=ga,gb

[program:ga]
command=/bin/sh -c 'echo ga; exec sleep 1000'
startsecs=0
stdout_logfile={dir}/ga.out
stderr_logfile=NONE

[program:gb]
command=/bin/sh -c 'echo gb; exec sleep 1000'
startsecs=0
stdout_logfile={dir}/gb.out
stderr_logfile=NONE

[program:quiet]
command=/bin/sleep 1000
startsecs=0
stdout_logfile={dir}/quiet.out
stderr_logfile=NONE

[program:nolog]
command=/bin/sleep 1000
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE
`

// `supervisorctl rotate` as users see it, kept in testdata/rotate.golden:
// what each form prints and the files it leaves, and what it says to the
// reference's daemon, which cannot rotate.
func TestRotateAsUsersSeeIt(t *testing.T) {
	t.Parallel()
	d := testkit.StartDaemon(t, filepath.Join(bin, "supervisord"), testkit.Config("{dir}")+testkit.RPCConfig("{dir}")+rotateConf)
	states := map[string]string{"chatty": "RUNNING", "ga": "RUNNING", "gb": "RUNNING", "quiet": "RUNNING", "nolog": "RUNNING"}
	if got, ok := d.WaitStates(states, 20*time.Second); !ok {
		t.Fatalf("states %v", got)
	}
	for name, text := range map[string]string{"chatty.out": "one\n", "chatty.err": "err\n", "ga.out": "ga\n", "gb.out": "gb\n"} {
		testkit.Eventually(t, 10*time.Second, func() bool {
			b, _ := os.ReadFile(filepath.Join(d.Dir, name))
			return string(b) == text
		}, name+" written")
	}
	var out strings.Builder
	run := func(args ...string) {
		r := testkit.RunCtl(t, oursCtl(), d.Dir, "", append([]string{"-c", d.Conf}, args...)...)
		fmt.Fprintf(&out, "$ supervisorctl %s\n%s", strings.Join(args, " "), testkit.Normalize(r.String(), d))
	}
	run("help", "rotate")
	run("rotate")
	run("rotate", "chatty")
	run("rotate", "grp:*")
	run("rotate", "grp:ga", "nosuch", "nosuchgrp:*")
	run("rotate", "quiet", "nolog")
	run("rotate", "supervisord")
	run("rotate", "all")
	// The compressions run in the background: wait for the plain backups
	// to go.
	testkit.Eventually(t, 10*time.Second, func() bool {
		_, err1 := os.Stat(filepath.Join(d.Dir, "chatty.out.1"))
		_, err2 := os.Stat(filepath.Join(d.Dir, "chatty.out.1.gz"))
		return os.IsNotExist(err1) && err2 == nil
	}, "chatty.out.1 compressed")
	fmt.Fprintf(&out, "$ ls\n%s", listLogs(t, d.Dir))
	backup, err := testkit.ReadGzip(filepath.Join(d.Dir, "chatty.out.1.gz"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&out, "$ zcat chatty.out.1.gz\n%s", backup)

	againstReference(t, &out, "rotate", "idle")
	checkGolden(t, "rotate.golden", out.String())
}

// listLogs lists the log files in dir (not the AUTO ones, the config or
// the socket), a line each.
func listLogs(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); strings.Contains(n, ".out") || strings.Contains(n, ".err") || strings.HasPrefix(n, "supervisord.log") {
			names = append(names, n+"\n")
		}
	}
	slices.Sort(names)
	return strings.Join(names, "")
}
