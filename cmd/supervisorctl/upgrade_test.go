package main

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// `supervisorctl upgrade` as users see it: the daemon comes back in the
// same pid running the binary asked for, the program keeps its pid, and a
// path that is no program fails with the daemon unchanged.
func TestUpgradeAsUsersSeeIt(t *testing.T) {
	t.Parallel()
	ours := filepath.Join(bin, "supervisord")
	d := testkit.StartDaemon(t, ours, testkit.Config("{dir}")+testkit.RPCConfig("{dir}")+`
[program:idle]
command=/bin/sleep 1000
startsecs=0
`)
	d.WaitLog(t, "success: idle entered RUNNING", 10*time.Second)
	ctl := func(args ...string) testkit.CtlRun {
		t.Helper()
		return testkit.RunCtl(t, oursCtl(), d.Dir, "", append([]string{"-c", d.Conf}, args...)...)
	}
	pidOf := func() string {
		t.Helper()
		r := ctl("status", "idle")
		m := regexp.MustCompile(`pid (\d+),`).FindStringSubmatch(r.Stdout)
		if m == nil {
			t.Fatalf("status idle:\n%s", r)
		}
		return m[1]
	}
	pid := pidOf()

	want := "upgraded: supervisord pid " + strconv.Itoa(d.Pid()) + " now runs " + ours + " (version 4.2.5"
	for _, args := range [][]string{{"upgrade", ours}, {"upgrade"}} {
		if r := ctl(args...); r.Code != 0 || !strings.HasPrefix(r.Stdout, want) {
			t.Errorf("%v:\n%s\nwant a line starting %q", args, r, want)
		}
	}
	if got := pidOf(); got != pid {
		t.Errorf("idle's pid %s after the upgrades, was %s", got, pid)
	}

	missing := filepath.Join(d.Dir, "missing")
	if r := ctl("upgrade", missing); r.Code != 1 || r.Stdout != "ERROR: no such file: "+missing+"\n" {
		t.Errorf("upgrade to a missing file:\n%s", r)
	}
	if r := ctl("upgrade", d.Conf); r.Code != 1 || r.Stdout != "ERROR: not an executable file: "+d.Conf+"\n" {
		t.Errorf("upgrade to a file that cannot run:\n%s", r)
	}
	if got := pidOf(); got != pid {
		t.Errorf("idle's pid %s after the failed upgrades, was %s", got, pid)
	}
}
