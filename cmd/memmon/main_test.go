package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"supervisord/listeners/listenertest"
	"supervisord/testkit"
)

// The test binary is memmon itself when MEMMON_TEST_MAIN is set.
func TestMain(m *testing.M) {
	if os.Getenv("MEMMON_TEST_MAIN") != "" {
		os.Args = append(os.Args[:1], strings.Fields(os.Getenv("MEMMON_TEST_MAIN"))...)
		main()
	}
	testkit.VerifyTestMain(m)
}

// memmon under a supervisord (ours and the reference): a 1-byte limit on a program
// gets it restarted on the first TICK_5.
func TestUnderSupervisord(t *testing.T) {
	for _, d := range listenertest.Daemons(t) {
		t.Run(d.Name, func(t *testing.T) { underSupervisord(t, d.Path) })
	}
}

func underSupervisord(t *testing.T, daemon string) {
	self, _ := os.Executable()
	dir := listenertest.Start(t, daemon, listenertest.ReferenceConf+fmt.Sprintf(`
[program:hog]
command=/bin/sleep 1000
startsecs=0

[program:calm]
command=/bin/sleep 1000
startsecs=0

[eventlistener:memmon]
command=%s
environment=MEMMON_TEST_MAIN="-p hog=1 -g calm=1GB -c"
events=TICK_5
stderr_logfile={dir}/memmon.err
`, self))
	var first string
	listenertest.Eventually(t, 20*time.Second, "hog never ran", func() bool {
		first = listenertest.PID(t, dir, "hog")
		return first != ""
	})
	calm := listenertest.PID(t, dir, "calm")
	listenertest.Eventually(t, 20*time.Second, "hog was not restarted", func() bool {
		now := listenertest.PID(t, dir, "hog")
		return now != first && now != ""
	})
	if now := listenertest.PID(t, dir, "calm"); now != calm || calm == "" {
		t.Errorf("calm was restarted: pid %s, was %s", now, calm)
	}
	var log []byte
	listenertest.Eventually(t, 10*time.Second, "memmon's stderr lacks its report", func() bool {
		log, _ = os.ReadFile(dir + "/memmon.err")
		return strings.Contains(string(log), "Restarting hog") && strings.Contains(string(log), "Checking groups calm=1073741824")
	})
}
