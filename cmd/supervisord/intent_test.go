package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// intentConf is a daemon with a socket for the ctl, its state file at
// state, and programs a and b.
func intentConf(state string) string {
	return testkit.Config("{dir}") + "statefile=" + state + "\n" +
		"[unix_http_server]\nfile={dir}/s.sock\n" +
		"[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\n" +
		"[supervisorctl]\nserverurl=unix://{dir}/s.sock\n" +
		prog("a", "/bin/sleep 1000") + prog("b", "/bin/sleep 1000")
}

func ctlIn(t *testing.T, d *testkit.Daemon, args ...string) string {
	t.Helper()
	r := testkit.RunCtl(t, ourCtl(t), d.Dir, "", append([]string{"-c", d.Conf}, args...)...)
	return r.Stdout + r.Stderr
}

// A disabled program stays down across a daemon restart on the same state
// file, and a start of it is refused; a manual stop is kept too; enable
// and start bring it back.
func TestDisableOutlastsTheDaemon(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "supervisord.state")
	d := testkit.StartDaemon(t, bin, intentConf(state))
	d.WaitLog(t, "success: a entered RUNNING", 10*time.Second)
	d.WaitLog(t, "success: b entered RUNNING", 10*time.Second)
	if out := ctlIn(t, d, "disable", "a"); out != "a: disabled\n" {
		t.Fatalf("disable a: %q", out)
	}
	if out := ctlIn(t, d, "stop", "b"); out != "b: stopped\n" {
		t.Fatalf("stop b: %q", out)
	}
	if out := ctlIn(t, d, "start", "a"); out != "a: ERROR (disabled; enable it first)\n" {
		t.Errorf("start a: %q", out)
	}
	if out := ctlIn(t, d, "status", "a"); !strings.Contains(out, "STOPPED   disabled") {
		t.Errorf("status a: %q", out)
	}
	if out := ctlIn(t, d, "update"); strings.Contains(out, "started") {
		t.Errorf("update: %q", out)
	}
	d.Stop(20 * time.Second)

	entries, _ := os.ReadDir(filepath.Dir(state))
	if len(entries) != 1 {
		t.Errorf("%d entries beside the state file, want none (no temporary file left)", len(entries))
	}
	d2 := testkit.StartDaemon(t, bin, intentConf(state))
	d2.WaitLog(t, "supervisord started", 10*time.Second)
	for _, name := range []string{"a", "b"} {
		if out := ctlIn(t, d2, "status", name); !strings.Contains(out, "STOPPED") {
			t.Errorf("after a restart, status %s: %q", name, out)
		}
	}
	if strings.Contains(d2.Log(), "spawned:") {
		t.Errorf("the restarted daemon spawned a program:\n%s", d2.Log())
	}
	if out := ctlIn(t, d2, "start", "b"); out != "b: started\n" {
		t.Errorf("start b: %q", out)
	}
	if out := ctlIn(t, d2, "enable", "a"); out != "a: enabled\n" {
		t.Errorf("enable a: %q", out)
	}
	if out := ctlIn(t, d2, "start", "a"); out != "a: started\n" {
		t.Errorf("start a: %q", out)
	}
}

// A corrupt state file is logged, naming it, and ignored.
func TestCorruptStateFileIsIgnored(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "supervisord.state")
	if err := os.WriteFile(state, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := testkit.StartDaemon(t, bin, intentConf(state))
	d.WaitLog(t, "WARN ignoring the state file: "+state+": not a state file", 10*time.Second)
	d.WaitLog(t, "success: a entered RUNNING", 10*time.Second)
}
