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
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			underSupervisord(t, d.Path)
		})
	}
}

func underSupervisord(t *testing.T, daemon string) {
	self, _ := os.Executable()
	d := testkit.StartDaemon(t, daemon, listenertest.ReferenceConf+fmt.Sprintf(`
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
	d.WaitLog(t, `spawned: 'hog' with pid \d+(?s:.*)spawned: 'hog' with pid \d+`, 20*time.Second)
	// memmon checks calm in the pass that restarts hog, calm first (the
	// daemon lists processes by name): a restart of calm would have come
	// before hog's.
	var log []byte
	testkit.Eventually(t, 10*time.Second, func() bool {
		log, _ = os.ReadFile(d.Dir + "/memmon.err")
		return strings.Contains(string(log), "Restarting hog") && strings.Contains(string(log), "Checking groups calm=1073741824") &&
			strings.Contains(string(log), "RSS of calm is ")
	}, "memmon's stderr lacks its report")
	if n := strings.Count(d.Log(), "spawned: 'calm' with pid"); n != 1 || strings.Contains(string(log), "Restarting calm") {
		t.Errorf("calm was restarted (%d spawns); memmon says:\n%s", n, log)
	}
}
