package actors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supervisord/conf"
)

// notifyScript is a python3 program speaking sd_notify as libsystemd's
// sd_notify() does: one datagram per call to $NOTIFY_SOCKET, whose leading
// "@" names an abstract socket. It says it warms up, waits for the file
// ready, then says READY=1 (and tries to hand over MAINPID), and pings the
// watchdog for as long as the file alive exists.
const notifyScript = `
import os, socket, sys, time
addr = os.environ["NOTIFY_SOCKET"]
if addr.startswith("@"):
    addr = "\0" + addr[1:]
def notify(msg):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(msg.encode(), addr)
    s.close()
ready, alive = sys.argv[1], sys.argv[2]
notify("STATUS=warming up")
while not os.path.exists(ready):
    time.sleep(0.02)
notify("READY=1\nSTATUS=serving\nMAINPID=1")
while True:
    if os.path.exists(alive):
        notify("WATCHDOG=1")
    time.sleep(0.1)
`

// A real program sending real datagrams: STARTING until READY=1, its
// STATUS= in the description, MAINPID= refused, and a watchdog that stops
// being fed restarts it.
func TestNotifyReadyStatusAndWatchdog(t *testing.T) {
	dir := t.TempDir()
	ready, alive := filepath.Join(dir, "ready"), filepath.Join(dir, "alive")
	script := filepath.Join(dir, "notify.py")
	if err := os.WriteFile(script, []byte(notifyScript), 0o644); err != nil {
		t.Fatal(err)
	}
	g := program("svc", "", func(p *conf.Process) {
		p.Argv = []string{"python3", script, ready, alive}
		p.StartSecs = 0
		p.Lifecycle.Ready = conf.Probe{Kind: conf.ProbeNotify}
		p.Lifecycle.ReadyTimeout = time.Minute
		p.Lifecycle.Watchdog = time.Second
		p.Lifecycle.HealthRetries = 1
	})
	tr := startTree(t, []*conf.Group{g})
	in := tr.waitFor(t, "svc", "warms up", func(in ProcessInfo) bool { return in.Status == "warming up" })
	if in.State != Starting || in.Description() != "warming up" {
		t.Errorf("svc: %s %q, want STARTING %q", in.State, in.Description(), "warming up")
	}
	touch(t, alive)
	touch(t, ready)
	in = tr.waitFor(t, "svc", "runs", func(in ProcessInfo) bool { return in.State == Running })
	if !strings.HasSuffix(in.Description(), ", serving") {
		t.Errorf("svc: %q, want the STATUS= at the end", in.Description())
	}
	if len(tr.log.matching("INFO ready: svc (READY=1)")) != 1 {
		t.Error("no ready line")
	}
	if len(tr.log.matching("WARN notify: svc: refusing MAINPID=1")) != 1 {
		t.Error("MAINPID= was not refused")
	}
	tr.waitFor(t, "svc", "healthy", func(in ProcessInfo) bool { return in.Health == "healthy" })
	first := in.PID
	if err := os.Remove(alive); err != nil {
		t.Fatal(err)
	}
	tr.waitFor(t, "svc", "restarted", func(in ProcessInfo) bool { return in.PID != first })
	if len(tr.log.matching("WARN unhealthy: svc failed 1 health checks in a row (no WATCHDOG=1 within 1s); restarting it")) != 1 {
		t.Error("no unhealthy line for the missed watchdog")
	}
}
