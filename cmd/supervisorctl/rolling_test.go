package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// TestRollingRestart: restart --rolling --max-unavailable 2 restarts a
// group two at a time, each pair RUNNING before the next (never more
// than two down, as the daemon's own state events tell); and when one
// does not come back, the restart stops there, leaving the rest running
// with their pids.
func TestRollingRestart(t *testing.T) {
	t.Parallel()
	port := testkit.FreePort(t)
	d := testkit.StartDaemon(t, filepath.Join(bin, "supervisord"), testkit.Config("{dir}")+testkit.RPCConfig("{dir}")+fmt.Sprintf(`
[inet_http_server]
port=127.0.0.1:%d

[program:web]
command=/bin/sleep 1000
numprocs=4
process_name=%%(program_name)s_%%(process_num)d
startsecs=1

[program:flaky]
command=/bin/sh -c 'if [ -e {dir}/broken ]; then exit 1; fi; exec sleep 1000'
numprocs=3
process_name=%%(program_name)s_%%(process_num)d
startsecs=1
startretries=0
`, port))
	ctl := func(args ...string) (string, int) {
		return runCtl(t, os.Environ(), append([]string{"-c", d.Conf}, args...)...)
	}
	testkit.Eventually(t, 20*time.Second, func() bool {
		out, _ := ctl("status")
		return strings.Count(out, "RUNNING") == 7
	}, "all seven RUNNING")

	events, stop := testkit.SSE(t, fmt.Sprintf("http://127.0.0.1:%d/api/v1/events?types=PROCESS_STATE", port))
	defer stop()
	out, code := ctl("restart", "--rolling", "--max-unavailable", "2", "web:*")
	want := "web:web_0: restarted\nweb:web_1: restarted\nweb:web_2: restarted\nweb:web_3: restarted\n"
	if code != 0 || out != want {
		t.Fatalf("restart --rolling: %d\n%s", code, out)
	}
	// Replay the state events: how many of web were down at once.
	down, most, running := map[string]bool{}, 0, 0
	for running < 4 {
		select {
		case ev := <-events:
			if !strings.Contains(ev.Data, `"groupname":"web"`) {
				continue
			}
			name := ev.Data[strings.Index(ev.Data, `"processname":"`)+len(`"processname":"`):]
			name = name[:strings.IndexByte(name, '"')]
			if ev.Event == "PROCESS_STATE_RUNNING" {
				delete(down, name)
				running++
			} else {
				down[name] = true
			}
			most = max(most, len(down))
		case <-time.After(10 * time.Second):
			t.Fatalf("the state events stopped after %d RUNNING", running)
		}
	}
	if most != 2 {
		t.Errorf("at most %d of web were down at once, want 2", most)
	}

	// flaky_0 will not come back: the restart stops there.
	pids := func() map[string]string {
		out, _ := ctl("status", "flaky:*")
		m := map[string]string{}
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) >= 4 && f[1] == "RUNNING" {
				m[f[0]] = f[3]
			}
		}
		return m
	}
	before := pids()
	if err := os.WriteFile(filepath.Join(d.Dir, "broken"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = ctl("restart", "--rolling", "flaky:*")
	want = "flaky:flaky_0: ERROR (spawn error)\n" +
		"flaky:flaky_1: ERROR (FAILED: not restarted: the rolling restart stopped before it)\n" +
		"flaky:flaky_2: ERROR (FAILED: not restarted: the rolling restart stopped before it)\n"
	if code == 0 || out != want {
		t.Errorf("restart --rolling with one that fails: %d\n%q", code, out)
	}
	after := pids()
	for _, name := range []string{"flaky:flaky_1", "flaky:flaky_2"} {
		if after[name] == "" || after[name] != before[name] {
			t.Errorf("%s: pid %q before, %q after", name, before[name], after[name])
		}
	}
	if out, code := ctl("restart", "--rolling", "--max-unavailable", "0", "web:*"); code == 0 || !strings.Contains(out, "--max-unavailable takes a number of 1 or more") {
		t.Errorf("--max-unavailable 0: %d\n%q", code, out)
	}
}
