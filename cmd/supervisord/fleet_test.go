package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"supervisord/testkit"
)

var (
	ctlOnce sync.Once
	ctlBin  string
	ctlErr  error
)

// ourCtl builds our supervisorctl beside the daemon under test, once.
func ourCtl(t *testing.T) string {
	t.Helper()
	ctlOnce.Do(func() {
		ctlBin = filepath.Join(filepath.Dir(bin), "supervisorctl")
		out, err := exec.Command("go", "build", "-o", ctlBin, "../supervisorctl").CombinedOutput()
		if err != nil {
			ctlErr = fmt.Errorf("go build supervisorctl: %v\n%s", err, out)
		}
	})
	if ctlErr != nil {
		t.Fatal(ctlErr)
	}
	return ctlBin
}

// fleetNode is one daemon of a test fleet.
type fleetNode struct {
	name, ip, labels string
	cert, key        string
	d                *testkit.Daemon
}

// TestFleetThreeDaemons runs three real daemons as a fleet on loopback
// addresses 127.0.0.11–13 (the same ports on each, their own sockets, a
// throwaway CA) and drives it with our supervisorctl: every node sees the
// three; fleet status shows every node's processes; fleet stop -l
// role=web stops only the web nodes'; merged events carry their node; a
// SIGKILLed node is unreachable within 10 s and rejoins once restarted, a
// node restarted with SIGHUP too; and a node whose certificate another CA
// signed is refused.
func TestFleetThreeDaemons(t *testing.T) {
	t.Parallel()
	ctl := ourCtl(t)
	certs := t.TempDir()
	ca := testkit.NewCA(t, certs, "fleet")
	keyFile := filepath.Join(certs, "gossip.key")
	if err := os.WriteFile(keyFile, []byte("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	listen, gossip := testkit.FreePort(t), testkit.FreePort(t)
	const web = "\n[program:web]\ncommand=/bin/sleep 1000\nnumprocs=2\nprocess_name=%(program_name)s_%(process_num)d\nstartsecs=0\n"
	const db = "\n[program:db]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
	config := func(n *fleetNode, caFile, programs string) string {
		return testkit.Config("{dir}") + testkit.RPCConfig("{dir}") + fmt.Sprintf(`
[fleet]
name=%s
labels=%s
listen=%s:%d
gossip=%s:%d
seeds=127.0.0.11:%d, 127.0.0.12:%d
ca=%s
cert=%s
key=%s
gossip_key_file=%s
timeout=2
`, n.name, n.labels, n.ip, listen, n.ip, gossip, gossip, gossip, caFile, n.cert, n.key, keyFile) + programs
	}
	run := func(n *fleetNode, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(ctl, append([]string{"-c", n.d.Conf}, args...)...)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	nodes := []*fleetNode{
		{name: "node-a", ip: "127.0.0.11", labels: "role=web,zone=a"},
		{name: "node-b", ip: "127.0.0.12", labels: "role=web,zone=b"},
		{name: "node-c", ip: "127.0.0.13", labels: "role=db,zone=a"},
	}
	programs := map[string]string{"node-a": web, "node-b": web, "node-c": db}
	for _, n := range nodes {
		leaf := ca.Node(t, certs, n.name)
		n.cert, n.key = leaf.CertFile, leaf.KeyFile
		n.d = testkit.StartDaemon(t, bin, config(n, ca.File, programs[n.name]))
	}
	a, b, c := nodes[0], nodes[1], nodes[2]
	alive := func(n *fleetNode, name string) bool {
		out, _ := run(n, "fleet", "nodes")
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) >= 4 && strings.TrimSuffix(f[0], "*") == name {
				return f[3] == "alive"
			}
		}
		return false
	}
	for _, n := range nodes {
		testkit.Eventually(t, 30*time.Second, func() bool {
			return alive(n, "node-a") && alive(n, "node-b") && alive(n, "node-c")
		}, n.name+" sees three nodes alive")
	}
	if out, code := run(c, "fleet", "nodes"); code != 0 || !strings.Contains(out, "node-c*") ||
		!strings.Contains(out, "role=web,zone=b") || !strings.Contains(out, "127.0.0.12:"+fmt.Sprint(listen)) {
		t.Errorf("fleet nodes: %d\n%s", code, out)
	}

	// Every node's processes, from any node, the node first.
	testkit.Eventually(t, 20*time.Second, func() bool {
		out, code := run(c, "fleet", "status")
		return code == 0 && strings.Count(out, "RUNNING") == 5
	}, "fleet status shows five RUNNING processes")
	out, _ := run(c, "fleet", "status")
	for _, want := range []string{"node-a  web:web_0", "node-a  web:web_1", "node-b  web:web_0", "node-b  web:web_1", "node-c  db"} {
		if !strings.Contains(out, want) {
			t.Errorf("fleet status lacks %q:\n%s", want, out)
		}
	}

	// The web page's fleet view shows the three nodes' programs.
	page := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", c.d.Socket())
	}}}
	resp, err := page.Get("http://localhost/fleet.html")
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page.CloseIdleConnections()
	for _, want := range []string{"node-a", "node-b", "node-c", "web:web_0", "db"} {
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(html), want) {
			t.Errorf("fleet.html: %d, no %q", resp.StatusCode, want)
		}
	}

	// Merged events of zone a (nodes a and c), while the web nodes stop.
	events := exec.Command(ctl, "-c", a.d.Conf, "fleet", "events", "-l", "zone=a", "PROCESS_STATE")
	var evOut testkit.SyncBuffer
	events.Stdout, events.Stderr = &evOut, &evOut
	events.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := events.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscall.Kill(-events.Process.Pid, syscall.SIGKILL)
		events.Wait()
	}()
	time.Sleep(time.Second) // the streams open (nothing to wait on from outside)
	if out, code := run(c, "fleet", "stop", "-l", "role=web", "web:*"); code != 0 || strings.Count(out, ": stopped") != 4 ||
		strings.Contains(out, "node-c") {
		t.Errorf("fleet stop -l role=web: %d\n%s", code, out)
	}
	for _, n := range []*fleetNode{a, b} {
		if out, _ := run(n, "status"); strings.Count(out, "STOPPED") != 2 {
			t.Errorf("%s after the stop:\n%s", n.name, out)
		}
	}
	if out, _ := run(c, "status"); !strings.Contains(out, "RUNNING") {
		t.Errorf("node-c after the stop:\n%s", out)
	}
	testkit.Eventually(t, 10*time.Second, func() bool {
		return strings.Contains(evOut.String(), `node-a PROCESS_STATE_STOPPED {"processname":"web_0","groupname":"web"`)
	}, "node-a's stop in the merged events")
	if strings.Contains(evOut.String(), "node-b PROCESS_STATE") {
		t.Errorf("node-b (zone b) in zone a's events:\n%s", evOut.String())
	}

	// A node killed outright is unreachable, and noticed within 10 s.
	if err := b.d.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-b.d.Exited()
	killed := time.Now()
	testkit.Eventually(t, 15*time.Second, func() bool { return !alive(a, "node-b") }, "node-a sees node-b gone")
	if took := time.Since(killed); took > 10*time.Second {
		t.Errorf("node-b's loss was noticed after %v", took)
	}
	out, code := run(a, "fleet", "status")
	if code == 0 || !strings.Contains(out, "node-b  -") || !strings.Contains(out, "UNREACHABLE") {
		t.Errorf("fleet status with node-b killed: %d\n%s", code, out)
	}
	// Started again, it rejoins by itself.
	b.d = testkit.StartDaemon(t, bin, config(b, ca.File, web))
	testkit.Eventually(t, 30*time.Second, func() bool { return alive(a, "node-b") && alive(b, "node-a") }, "node-b rejoins")
	testkit.Eventually(t, 20*time.Second, func() bool {
		out, _ := run(a, "fleet", "status", "-l", "zone=b")
		return strings.Count(out, "RUNNING") == 2
	}, "node-b's processes through node-a")

	// A node restarted in place (SIGHUP) leaves and joins again.
	if err := c.d.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	c.d.WaitLog(t, `(?s)received SIGHUP.*fleet: node node-c listening`, 20*time.Second)
	testkit.Eventually(t, 30*time.Second, func() bool {
		out, _ := run(c, "fleet", "status", "-l", "role=web")
		return strings.Count(out, "RUNNING") == 2 && alive(a, "node-c")
	}, "node-c back after SIGHUP")

	// A node of another CA (with the gossip key, so that it gets as far
	// as the node-to-node layer) is refused, and refuses.
	other := testkit.NewCA(t, t.TempDir(), "other")
	stranger := &fleetNode{name: "node-d", ip: "127.0.0.14", labels: "role=web,zone=d"}
	leaf := other.Node(t, certs, "node-d")
	stranger.cert, stranger.key = leaf.CertFile, leaf.KeyFile
	stranger.d = testkit.StartDaemon(t, bin, config(stranger, other.File, web))
	testkit.Eventually(t, 30*time.Second, func() bool { return alive(a, "node-d") }, "node-d gossips its way in")
	out, _ = run(a, "fleet", "status", "-l", "zone=d")
	if !strings.Contains(out, "node-d  -") || strings.Contains(out, "RUNNING") {
		t.Errorf("a node of another CA answered:\n%s", out)
	}
	if out, _ := run(a, "fleet", "stop", "-l", "zone=d", "web:*"); strings.Contains(out, "stopped") {
		t.Errorf("a node of another CA took a stop:\n%s", out)
	}
	testkit.Eventually(t, 10*time.Second, func() bool {
		return strings.Contains(a.d.Log(), "fleet: cannot talk to 127.0.0.14") ||
			strings.Contains(stranger.d.Log(), "fleet: refused a connection from 127.0.0.11")
	}, "the refusal in a log")
}
