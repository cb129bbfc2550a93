package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"supervisord/internal/rpcclient"
	"supervisord/testkit"
)

// The example of examples/lifecycle.conf runs as its comments say: db,
// whose priority would start it last, is spawned first and is ready when
// it says READY=1; migrate starts only then, and web, whose priority would
// start it first, once migrate exited 0.
func TestLifecycleExample(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(testkit.Python); err != nil {
		t.Skip("SKIPPED: the example's programs need " + testkit.Python)
	}
	root, err := testkit.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(filepath.Join(root, "examples", "lifecycle.conf"))
	if err != nil {
		t.Fatal(err)
	}
	// The scripts go to a directory of their own: the daemon's is made
	// when it starts, which is when it runs them.
	scripts := t.TempDir()
	for _, name := range []string{"db.py", "migrate.sh"} {
		b, err := os.ReadFile(filepath.Join(root, "examples", "lifecycle", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(scripts, name), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The daemon's own files go where testkit looks for them, and the
	// ports are free ones, so tests running side by side do not collide.
	text := rewrite(t, string(example),
		"%(here)s/lifecycle", scripts,
		"%(here)s/../tmp/lifecycle.log", "{dir}/supervisord.log",
		"%(here)s/../tmp/lifecycle.sock", "{dir}/supervisor.sock",
		"%(here)s/../tmp", "{dir}",
		"15432", strconv.Itoa(testkit.FreePort(t)),
		"18080", strconv.Itoa(testkit.FreePort(t)),
		"command=python3 ", "command="+testkit.Python+" ",
	)
	d := testkit.StartDaemon(t, bin, text)

	rpc := rpcclient.New(rpcclient.Server{Network: "unix", Address: d.Socket(), Host: "localhost"}, rpcclient.Options{})
	state := ""
	if !testkit.Poll(15*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		info, err := rpc.Call(ctx, "supervisor.getProcessInfo", "web")
		if err != nil { // not listening yet
			state = err.Error()
			return false
		}
		m, _ := info.(map[string]any)
		state, _ = m["statename"].(string)
		return state == "RUNNING"
	}) {
		for _, name := range []string{"db.log", "migrate.log", "web.log"} {
			b, _ := os.ReadFile(filepath.Join(d.Dir, name))
			t.Logf("%s:\n%s", name, b)
		}
		t.Fatalf("web is not RUNNING within 15s (last: %s)", state)
	}

	log := d.Log()
	var order []string
	for _, m := range regexp.MustCompile(`spawned: '(\w+)' with pid`).FindAllStringSubmatch(log, -1) {
		order = append(order, m[1])
	}
	if got := strings.Join(order, ","); got != "db,migrate,web" {
		t.Errorf("spawned %s, want db,migrate,web", got)
	}
	before := func(first, then string) {
		t.Helper()
		i, j := strings.Index(log, first), strings.Index(log, then)
		switch {
		case i < 0:
			t.Errorf("the main log lacks %q", first)
		case j < 0:
			t.Errorf("the main log lacks %q", then)
		case i > j:
			t.Errorf("%q comes after %q in the main log", first, then)
		}
	}
	before("ready: db (READY=1)", "spawned: 'migrate'")
	before("exited: migrate (exit status 0; expected)", "spawned: 'web'")
	before("dependencies met: starting web", "spawned: 'web'")
}

// rewrite replaces each old with its new in text, in order, failing the
// test if one is not there: the example changed and the test must follow.
func rewrite(t *testing.T, text string, oldNew ...string) string {
	t.Helper()
	for i := 0; i+1 < len(oldNew); i += 2 {
		if !strings.Contains(text, oldNew[i]) {
			t.Fatalf("examples/lifecycle.conf no longer holds %q", oldNew[i])
		}
		text = strings.ReplaceAll(text, oldNew[i], oldNew[i+1])
	}
	return text
}
