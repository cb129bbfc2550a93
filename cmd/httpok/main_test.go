package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"supervisord/listeners/listenertest"
	"supervisord/testkit"
)

// The test binary is httpok itself when HTTPOK_TEST_ARGS is set.
func TestMain(m *testing.M) {
	if args := os.Getenv("HTTPOK_TEST_ARGS"); args != "" {
		os.Args = append(os.Args[:1], strings.Fields(args)...)
		main()
	}
	testkit.VerifyTestMain(m)
}

// httpok under a supervisord (ours and the reference): a health URL answering 500 gets
// the program restarted on the first TICK_5.
func TestUnderSupervisord(t *testing.T) {
	for _, d := range listenertest.Daemons(t) {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			underSupervisord(t, d.Path)
		})
	}
}

func underSupervisord(t *testing.T, daemon string) {
	health := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer health.Close()
	self, _ := os.Executable()
	d := testkit.StartDaemon(t, daemon, listenertest.ReferenceConf+fmt.Sprintf(`
[program:web]
command=/bin/sleep 1000
startsecs=0

[eventlistener:httpok]
command=%s
environment=HTTPOK_TEST_ARGS="-p web -t 3 %s/health"
events=TICK_5
stderr_logfile={dir}/httpok.err
`, self, health.URL))
	d.WaitLog(t, `spawned: 'web' with pid \d+(?s:.*)spawned: 'web' with pid \d+`, 20*time.Second)
	testkit.Eventually(t, 10*time.Second, func() bool {
		log, _ := os.ReadFile(d.Dir + "/httpok.err")
		return strings.Contains(string(log), "500 Internal Server Error") && strings.Contains(string(log), "web restarted")
	}, "httpok's stderr lacks its report")
}
