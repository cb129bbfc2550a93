package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"supervisord/internal/rpcclient"
	"supervisord/testkit"
)

type upgradeRig struct {
	t   *testing.T
	d   *testkit.Daemon
	rpc *rpcclient.Client
}

// newUpgradeRig calls d, once running is RUNNING.
func newUpgradeRig(t *testing.T, d *testkit.Daemon, running string) upgradeRig {
	r := upgradeRig{t: t, d: d, rpc: rpcclient.New(rpcclient.Server{Network: "unix", Address: d.Socket(), Host: "localhost"},
		rpcclient.Options{})}
	testkit.Eventually(t, 15*time.Second, func() bool {
		v, err := r.call("supervisor.getProcessInfo", running)
		return err == nil && v.(map[string]any)["statename"] == "RUNNING"
	}, running+" RUNNING")
	return r
}

func (r upgradeRig) call(method string, params ...any) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return r.rpc.Call(ctx, method, params...)
}

func (r upgradeRig) info(name string) map[string]any {
	r.t.Helper()
	v, err := r.call("supervisor.getProcessInfo", name)
	if err != nil {
		r.t.Fatalf("getProcessInfo(%s): %v", name, err)
	}
	return v.(map[string]any)
}

// upgrade asks for an upgrade to path and waits until the attempt is over;
// it returns the final status.
func (r upgradeRig) upgrade(path string) map[string]any {
	r.t.Helper()
	v, err := r.call("supervisor.upgrade", path)
	if err != nil {
		r.t.Fatalf("upgrade(%q): %v", path, err)
	}
	attempt := v.(int)
	var st map[string]any
	testkit.Eventually(r.t, time.Minute, func() bool {
		v, err := r.call("supervisor.getUpgradeStatus")
		if err != nil {
			return false // the daemon is between programs
		}
		st = v.(map[string]any)
		return st["completed"].(int) >= attempt || st["failed"].(int) >= attempt
	}, "the upgrade over")
	return st
}

// An upgrade re-executes the daemon in its pid while a program writes
// numbered lines as fast as it can: the program keeps its pid and start
// time, its log holds every line once and in order across two upgrades and
// a failed one, and the socket never refuses a connection meanwhile.
func TestUpgradeKeepsChildren(t *testing.T) {
	d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+testkit.RPCConfig("{dir}")+`
[program:count]
command=/bin/sh -c 'i=0; while :; do echo $i; i=$((i+1)); done'
startsecs=0
stdout_logfile={dir}/count.log
stdout_logfile_maxbytes=0

[program:idle]
command=/bin/sleep 1000
startsecs=0
`)
	r := newUpgradeRig(t, d, "count")
	before := r.info("count")
	idle := r.info("idle")

	// A client that connects anew all along: it may wait, but every call is
	// answered (none refused, none cut off).
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var refused []error
	calls := 0
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := r.call("supervisor.getPID"); err != nil {
				refused = append(refused, err)
			}
			calls++
		}
	})

	logPath := filepath.Join(d.Dir, "count.log")
	for i, path := range []string{bin, "", "/nonexistent/supervisord"} {
		if path == "/nonexistent/supervisord" {
			if _, err := r.call("supervisor.upgrade", path); err == nil || !strings.Contains(err.Error(), "NO_FILE") {
				t.Fatalf("upgrade to a missing file: %v, want a NO_FILE fault", err)
			}
			continue
		}
		st := r.upgrade(path)
		if st["completed"].(int) < i+1 || st["upgrades"].(int) != i+1 {
			t.Fatalf("upgrade %d: status %v", i+1, st)
		}
		if st["pid"].(int) != d.Pid() {
			t.Fatalf("upgrade %d: daemon pid %v, want %d", i+1, st["pid"], d.Pid())
		}
		// Output still arrives after the upgrade.
		size := fileSize(t, logPath)
		testkit.Eventually(t, 10*time.Second, func() bool { return fileSize(t, logPath) > size }, "count's log growing after the upgrade")
	}

	// Not a program at all: execve refuses it, and the daemon runs on.
	garbage := filepath.Join(t.TempDir(), "garbage")
	if err := os.WriteFile(garbage, []byte("\x00\x01not a program"), 0o755); err != nil {
		t.Fatal(err)
	}
	st := r.upgrade(garbage)
	if st["failed"].(int) != st["attempt"].(int) || !strings.Contains(st["error"].(string), "exec format error") {
		t.Fatalf("upgrade to a file that is no program: status %v", st)
	}
	size := fileSize(t, logPath)
	testkit.Eventually(t, 10*time.Second, func() bool { return fileSize(t, logPath) > size }, "count's log growing after the failed upgrade")

	close(stop)
	wg.Wait()
	if len(refused) > 0 {
		t.Errorf("%d of %d calls failed during the upgrades, first: %v", len(refused), calls, refused[0])
	}
	after := r.info("count")
	for _, key := range []string{"pid", "start", "statename"} {
		if after[key] != before[key] {
			t.Errorf("count's %s changed: %v → %v", key, before[key], after[key])
		}
	}
	if got := r.info("idle"); got["pid"] != idle["pid"] || got["start"] != idle["start"] {
		t.Errorf("idle changed: %v → %v", idle, got)
	}
	if _, err := r.call("supervisor.stopProcess", "count"); err != nil {
		t.Fatal(err)
	}
	// Every line, once, in order: the last one may still be on its way.
	n := testkit.CountedLines(t, logPath)
	if n < 1000 {
		t.Errorf("only %d lines logged", n)
	}
	t.Logf("%d lines, %d calls during the upgrades", n, calls)
}

// earsListener refuses each event the first time (so the pool sends it
// again), then records its serials, type and data, and writes each result
// in two pieces, slowly.
const earsListener = `import sys, time
log = open(sys.argv[1], "a", buffering=1)
seen = set()
while True:
    sys.stdout.write("READY\n"); sys.stdout.flush()
    h = dict(t.split(":", 1) for t in sys.stdin.readline().split())
    body = sys.stdin.read(int(h["len"]))
    data = body.split("\n", 1)[1]
    if data in seen:
        log.write("%s %s %s %s\n" % (h["serial"], h["poolserial"], h["eventname"], data))
        result = "OK"
    else:
        seen.add(data)
        result = "FAIL"
        if data == "0": # busy for long enough to be handed over busy
            open(sys.argv[1] + ".busy", "w").close()
            time.sleep(1)
    time.sleep(0.003)
    sys.stdout.write("RESULT %d\n%s" % (len(result), result[:1])); sys.stdout.flush()
    time.sleep(0.003)
    sys.stdout.write(result[1:]); sys.stdout.flush()
`

// An upgrade in the middle of a stream of events hands the eventlistener
// over: the same process goes on taking events where it was, a pool's
// buffered events and the one a listener was busy with carry over, and the
// listener sees every event once, in order, with serials that go on; a
// failed upgrade in between changes nothing either.
func TestUpgradeKeepsListeners(t *testing.T) {
	script := filepath.Join(t.TempDir(), "ears.py")
	if err := os.WriteFile(script, []byte(earsListener), 0o644); err != nil {
		t.Fatal(err)
	}
	d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+testkit.RPCConfig("{dir}")+`
[eventlistener:ears]
command=python3 -u `+script+` {dir}/heard
events=REMOTE_COMMUNICATION
buffer_size=10000
startsecs=0
`)
	r := newUpgradeRig(t, d, "ears")
	before := r.info("ears")

	const n = 300
	sent := make(chan int, n)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(sent)
		for i := range n {
			if _, err := r.call("supervisor.sendRemoteCommEvent", "seq", strconv.Itoa(i)); err != nil {
				t.Errorf("event %d: %v", i, err)
				return
			}
			sent <- i
		}
	})
	// Upgrade twice while events are on their way and buffered, and fail
	// once in between (the tree thaws and goes on).
	garbage := filepath.Join(t.TempDir(), "garbage")
	if err := os.WriteFile(garbage, []byte("\x00\x01not a program"), 0o755); err != nil {
		t.Fatal(err)
	}
	heard := filepath.Join(d.Dir, "heard")
	for k, path := range []string{bin, garbage, ""} {
		if k == 0 {
			// The listener is busy with the first event, which it will
			// refuse: the pool must send it again after the upgrade.
			testkit.Eventually(t, 10*time.Second, func() bool {
				_, err := os.Stat(heard + ".busy")
				return err == nil
			}, "the listener busy with event 0")
		}
		for i := range sent {
			if i >= (k+1)*n/4 {
				break
			}
		}
		st := r.upgrade(path)
		if failed := st["failed"].(int) == st["attempt"].(int); failed != (path == garbage) {
			t.Fatalf("upgrade to %q: status %v", path, st)
		}
	}
	wg.Wait()
	var lines []string
	testkit.Eventually(t, time.Minute, func() bool {
		data, _ := os.ReadFile(heard)
		lines = strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		return len(lines) >= n
	}, "every event heard")
	time.Sleep(100 * time.Millisecond) // a duplicate would come now
	data, _ := os.ReadFile(heard)
	lines = strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("%d events heard, want %d", len(lines), n)
	}
	for i, line := range lines {
		if want := fmt.Sprintf("%d %d REMOTE_COMMUNICATION %d", i, i, i); line != want {
			t.Fatalf("event %d heard as %q, want %q", i, line, want)
		}
	}
	after := r.info("ears")
	for _, key := range []string{"pid", "start", "statename"} {
		if after[key] != before[key] {
			t.Errorf("ears's %s changed: %v → %v", key, before[key], after[key])
		}
	}
	if log := d.Log(); strings.Count(log, "adopted: 'ears'") != 2 {
		t.Errorf("the main log does not say ears was adopted twice:\n%s", log)
	}
}

func fileSize(t *testing.T, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// An fcgi-program group's socket is handed over with its instances: after
// an upgrade an instance restarted alone gets the very socket the others
// still hold (binding anew would fail: they hold the port), and the socket
// closes with the last instance as before.
func TestUpgradeKeepsFCGISockets(t *testing.T) {
	port := testkit.FreePort(t)
	d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+testkit.RPCConfig("{dir}")+`
[fcgi-program:web]
socket=tcp://127.0.0.1:`+strconv.Itoa(port)+`
command=/bin/sleep 1000
numprocs=2
process_name=%(program_name)s_%(process_num)s
startsecs=0
`)
	r := newUpgradeRig(t, d, "web:web_1")
	socketOf := func(name string) string {
		t.Helper()
		pid := r.info(name)["pid"].(int)
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/0", pid))
		if err != nil {
			t.Fatal(err)
		}
		return link
	}
	before := socketOf("web:web_1")
	if st := r.upgrade(bin); st["completed"].(int) < 1 {
		t.Fatalf("upgrade: status %v", st)
	}
	for _, call := range []string{"supervisor.stopProcess", "supervisor.startProcess"} {
		if _, err := r.call(call, "web:web_0"); err != nil {
			t.Fatalf("%s after the upgrade: %v", call, err)
		}
	}
	if got := socketOf("web:web_0"); got != before || socketOf("web:web_1") != before {
		t.Errorf("web_0 got %s after the upgrade, web_1 holds %s, before %s", got, socketOf("web:web_1"), before)
	}
	if _, err := r.call("supervisor.stopProcessGroup", "web"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool {
		return strings.Contains(d.Log(), fmt.Sprintf("Closing socket tcp://127.0.0.1:%d", port))
	}, "the socket closed with the last instance")
}
