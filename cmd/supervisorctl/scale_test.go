package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// TestScale: scale changes a program's number of instances at runtime
// without touching those that stay, keeps it across a daemon restart and
// an update, and forgets it once the config's numprocs changes.
func TestScale(t *testing.T) {
	t.Parallel()
	program := func(numprocs string) string {
		return "\n[program:web]\ncommand=/bin/sleep 1000\nnumprocs=" + numprocs +
			"\nprocess_name=%(program_name)s_%(process_num)d\nstartsecs=0\n"
	}
	dir := t.TempDir()
	head := testkit.Config(dir) + testkit.RPCConfig(dir)
	d := testkit.StartDaemon(t, filepath.Join(bin, "supervisord"), head+program("2"))
	ctl := func(args ...string) (string, int) {
		return runCtl(t, os.Environ(), append([]string{"-c", d.Conf}, args...)...)
	}
	pids := func() map[string]string {
		out, _ := ctl("status")
		m := map[string]string{}
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) >= 4 && f[1] == "RUNNING" {
				m[f[0]] = strings.TrimSuffix(f[3], ",")
			}
		}
		return m
	}
	waitRunning := func(n int) map[string]string {
		t.Helper()
		var got map[string]string
		testkit.Eventually(t, 20*time.Second, func() bool { got = pids(); return len(got) == n }, "instances RUNNING")
		return got
	}
	before := waitRunning(2)
	if out, code := ctl("scale", "web=4"); code != 0 || out != "web: scaled to 4\n" {
		t.Fatalf("scale web=4: %d %q", code, out)
	}
	after := waitRunning(4)
	for name, pid := range before {
		if after[name] != pid {
			t.Errorf("%s: pid %s became %s", name, pid, after[name])
		}
	}
	if out, _ := ctl("why", "web:web_3"); !strings.Contains(out, "Its group is scaled to 4 instances where the config says numprocs=2") ||
		strings.Contains(out, "no longer has it") {
		t.Errorf("why web:web_3:\n%s", out)
	}
	if out, code := ctl("scale", "web=1"); code != 0 || out != "web: scaled to 1\n" {
		t.Fatalf("scale web=1: %d %q", code, out)
	}
	one := waitRunning(1)
	if one["web:web_0"] != before["web:web_0"] {
		t.Errorf("web_0 was touched: %v then %v", before, one)
	}
	// update keeps it, and so does a restart of the daemon.
	if _, code := ctl("update"); code != 0 {
		t.Errorf("update: %d", code)
	}
	if got := waitRunning(1); got["web:web_0"] != before["web:web_0"] {
		t.Errorf("after update: %v", got)
	}
	d.Stop(20 * time.Second)
	d = testkit.StartDaemon(t, filepath.Join(bin, "supervisord"), head+program("2"))
	waitRunning(1)
	if out, _ := ctl("status"); strings.Contains(out, "web_1") {
		t.Errorf("web_1 after a restart of the daemon:\n%s", out)
	}
	// A new numprocs in the config wins: the scale is forgotten.
	testkit.WriteOver(t, d.Conf, head+program("3"))
	if _, code := ctl("update"); code != 0 {
		t.Errorf("update to numprocs=3: %d", code)
	}
	waitRunning(3)
	if out, code := ctl("scale", "nosuch=2"); code == 0 || !strings.Contains(out, "nosuch: ERROR (BAD_NAME") {
		t.Errorf("scale nosuch=2: %d %q", code, out)
	}
	if out, code := ctl("scale", "web"); code == 0 || !strings.Contains(out, "scale takes GROUP=N") {
		t.Errorf("scale web: %d %q", code, out)
	}
}
