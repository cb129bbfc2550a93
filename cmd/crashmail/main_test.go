package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			underSupervisord(t, d.Path)
		})
	}
}

func underSupervisord(t *testing.T, daemon string) {
	self, _ := os.Executable()
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	args := strings.Join([]string{"-o", "box", "-c", "cat >> " + reports + "; echo >> " + reports}, "\x1f")
	d := testkit.StartDaemon(t, daemon, listenertest.ReferenceConf+fmt.Sprintf(`
[program:crasher]
command=/bin/sh -c 'sleep 1; exit 3'
startsecs=0
autorestart=false

[program:fine]
command=/bin/sh -c 'sleep 1; exit 0'
startsecs=0
autorestart=false

[program:later]
command=/bin/sh -c 'sleep 0.2; exit 4'
startsecs=0
autostart=false
autorestart=false

[eventlistener:crashmail]
command=%s
environment=CRASHMAIL_TEST_ARGS="%s"
events=PROCESS_STATE
stderr_logfile={dir}/crashmail.err
`, self, args))
	read := func() string { b, _ := os.ReadFile(reports); return string(b) }
	testkit.Eventually(t, 20*time.Second, func() bool { return read() != "" }, "no report")
	d.WaitLog(t, `exited: fine \(exit status 0; expected\)`, 10*time.Second)
	// A barrier for fine's exit: later exits unexpectedly after it, and the
	// listener takes events in order, so once later is reported fine's
	// exit was handled.
	if out := listenertest.Ctl(t, d.Dir, "start", "later"); !strings.Contains(out, "later: started") {
		t.Fatalf("start later: %s", out)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return strings.Contains(read(), "Process later ") }, "later was not reported")
	want := regexp.MustCompile(`^Process crasher in group crasher exited unexpectedly \(pid \d+\) from state RUNNING\n` +
		`Process later in group later exited unexpectedly \(pid \d+\) from state RUNNING\n$`)
	if got := read(); !want.MatchString(got) {
		t.Errorf("reports:\n%s", got)
	}
}
