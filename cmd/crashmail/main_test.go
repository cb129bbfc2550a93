package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supervisord/listeners/listenertest"
	"supervisord/testkit"
)

// The test binary is crashmail itself when CRASHMAIL_TEST_ARGS is set (a
// list separated by \x1f).
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("CRASHMAIL_TEST_ARGS"); ok {
		os.Args = append(os.Args[:1], strings.Split(args, "\x1f")...)
		main()
	}
	testkit.VerifyTestMain(m)
}

// crashmail under a supervisord (ours and the reference): a program exiting with an
// unexpected status is reported through the command; one exiting as
// expected is not.
func TestUnderSupervisord(t *testing.T) {
	for _, d := range listenertest.Daemons(t) {
		t.Run(d.Name, func(t *testing.T) { underSupervisord(t, d.Path) })
	}
}

func underSupervisord(t *testing.T, daemon string) {
	self, _ := os.Executable()
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	t.Setenv("CRASHMAIL_TEST_ARGS", strings.Join([]string{"-o", "box", "-c", "cat >> " + reports + "; echo >> " + reports}, "\x1f"))
	d := listenertest.Start(t, daemon, listenertest.ReferenceConf+fmt.Sprintf(`
[program:crasher]
command=/bin/sh -c 'sleep 1; exit 3'
startsecs=0
autorestart=false

[program:fine]
command=/bin/sh -c 'sleep 1; exit 0'
startsecs=0
autorestart=false

[eventlistener:crashmail]
command=%s
events=PROCESS_STATE
stderr_logfile={dir}/crashmail.err
`, self))
	var got string
	listenertest.Eventually(t, 20*time.Second, "no report", func() bool {
		b, _ := os.ReadFile(reports)
		got = string(b)
		return got != ""
	})
	listenertest.Eventually(t, 10*time.Second, "fine did not exit", func() bool {
		return strings.Contains(listenertest.Ctl(t, d, "status", "fine"), "EXITED")
	})
	time.Sleep(500 * time.Millisecond)
	b, _ := os.ReadFile(reports)
	pid := strings.TrimSpace(string(b))
	if want := "Process crasher in group crasher exited unexpectedly (pid "; !strings.HasPrefix(pid, want) ||
		!strings.HasSuffix(pid, ") from state RUNNING") || strings.Count(string(b), "\n") != 1 {
		t.Errorf("reports:\n%s", b)
	}
}
