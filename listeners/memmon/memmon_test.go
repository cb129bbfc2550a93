package memmon

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"supervisord/listeners"
	"supervisord/listeners/listenertest"
	"supervisord/listeners/notify"
	"supervisord/listeners/rpc"
	"supervisord/protocol/events"
)

const mb = 1 << 20

func TestParseArgs(t *testing.T) {
	o, err := ParseArgs([]string{"-p", "web=200MB", "-pgrp:w1=1kb", "-g", "workers=100", "--any=1GB", "-c",
		"-u", "2m", "-n", "box", "-m", "me@x", "--notify-command", "cat", "--webhook=http://h"})
	want := Options{Programs: map[string]int64{"web": 200 * mb, "grp:w1": 1024}, Groups: map[string]int64{"workers": 100},
		Any: 1 << 30, Cumulative: true, UptimeLimit: 120, Name: "box",
		Notifier: notify.Notifier{Email: "me@x", Command: "cat", Webhook: "http://h"}}
	if err != nil || !reflect.DeepEqual(o, want) {
		t.Fatalf("ParseArgs = %+v, %v", o, err)
	}
	o, err = ParseArgs([]string{"-a", "5"})
	if err != nil || o.UptimeLimit != math.MaxInt64 || o.Any != 5 {
		t.Errorf("defaults: %+v, %v", o, err)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{}, "nothing to watch: give -p, -g or -a"},
		{[]string{"-p", "web"}, `unparseable value "web" for -p (want name=size)`},
		{[]string{"-p", "web=1=2"}, `unparseable value "web=1=2" for -p (want name=size)`},
		{[]string{"--program", "=5"}, `unparseable value "=5" for --program (want name=size)`},
		{[]string{"-g", "g=lots"}, `unparseable byte size "lots" for -g`},
		{[]string{"-a", "1TB"}, `unparseable byte size "1TB" for -a`},
		{[]string{"-a", "-5"}, `unparseable byte size "-5" for -a`},
		{[]string{"-a1", "-u", "soon"}, `unparseable time "soon" for -u`},
		{[]string{"--uptime=x", "-a1"}, `unparseable time "x" for --uptime`},
		{[]string{"-a1", "extra"}, `unexpected argument "extra"`},
		{[]string{"-h", "extra"}, `unexpected argument "extra"`},
		{[]string{"-q"}, "option -q not recognized"},
	} {
		if _, err := ParseArgs(bad.args); err == nil || err.Error() != bad.want {
			t.Errorf("ParseArgs(%q) error = %v, want %s", bad.args, err, bad.want)
		}
	}
	if _, err := ParseArgs([]string{"-h"}); !errors.Is(err, ErrHelp) {
		t.Error("-h")
	}
}

func TestLimit(t *testing.T) {
	o := Options{Programs: map[string]int64{"pool:w1": 1, "w1": 2, "web": 3}, Groups: map[string]int64{"pool": 4}, Any: -1}
	for _, c := range []struct {
		group, name string
		want        int64
		ok          bool
	}{{"pool", "w1", 1, true}, {"other", "w1", 2, true}, {"pool", "w2", 4, true}, {"web", "web", 3, true}, {"x", "y", 0, false}} {
		if n, ok := o.Limit(c.group, c.name); n != c.want || ok != c.ok {
			t.Errorf("Limit(%s, %s) = %d, %v", c.group, c.name, n, ok)
		}
	}
	o.Any = 9
	if n, ok := o.Limit("x", "y"); n != 9 || !ok {
		t.Error("-a")
	}
}

func TestRestartsOverLimit(t *testing.T) {
	srv := listenertest.New(
		&listenertest.Process{Name: "web", Group: "web", State: rpc.StateRunning, PID: 100, Start: 1000, Now: 1100},
		&listenertest.Process{Name: "w1", Group: "pool", State: rpc.StateRunning, PID: 101, Start: 100, Now: 5100},
		&listenertest.Process{Name: "w2", Group: "pool", State: rpc.StateRunning, PID: 102, Start: 100, Now: 5100},
		&listenertest.Process{Name: "other", Group: "other", State: rpc.StateRunning, PID: 103, Start: 1000, Now: 1100},
		&listenertest.Process{Name: "idle", Group: "idle", State: rpc.StateStopped},
		&listenertest.Process{Name: "gone", Group: "gone", State: rpc.StateRunning, PID: 104},
	)
	defer srv.Close()
	client, _ := rpc.New(srv.URL, "", "")
	rss := map[int]int64{100: 300 * mb, 101: 50 * mb, 102: 150 * mb, 103: 10 * mb}
	var sent []notify.Message
	var stderr strings.Builder
	m := &Monitor{
		Options: Options{Programs: map[string]int64{"web": 200 * mb}, Groups: map[string]int64{"pool": 100 * mb},
			Any: 1 << 30, UptimeLimit: 600, Name: "box"},
		RPC: client, Stderr: &stderr,
		RSS: func(pid int) (int64, error) {
			if n, ok := rss[pid]; ok {
				return n, nil
			}
			return 0, os.ErrNotExist
		},
		Notify: func(_ context.Context, msg notify.Message) error { sent = append(sent, msg); return nil },
	}
	stream := listenertest.Stream(events.ProcessGroupAdded{Group: "x"}, events.Tick{Period: 60, When: 60})
	var stdout strings.Builder
	if err := listeners.New(strings.NewReader(stream), &stdout).Run(m.Handle); err != nil {
		t.Fatal(err)
	}
	if stdout.String() != "READY\nRESULT 2\nOKREADY\nRESULT 2\nOKREADY\n" {
		t.Errorf("protocol %q", stdout.String())
	}
	want := []string{"supervisor.getAllProcessInfo",
		"supervisor.stopProcess web true", "supervisor.startProcess web true",
		"supervisor.stopProcess pool:w2 true", "supervisor.startProcess pool:w2 true"}
	if got := srv.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls %q", got)
	}
	// web had been up 100s (notified); pool:w2 5000s, past -u 600.
	if len(sent) != 1 || sent[0].Subject != "memmon [box]: process web restarted" ||
		!strings.Contains(sent[0].Body, "(314572800 bytes RSS)") || sent[0].Fields["uptime"] != int64(100) {
		t.Errorf("notifications %+v", sent)
	}
	for _, line := range []string{"Checking programs web=209715200\n", "Checking groups pool=104857600\n",
		"Checking any=1073741824\n", "RSS of pool:w1 is 52428800\n", "Restarting web\n", "Restarting pool:w2\n"} {
		if !strings.Contains(stderr.String(), line) {
			t.Errorf("stderr lacks %q:\n%s", line, stderr.String())
		}
	}

	// A start that faults is reported, and the next process still checked.
	srv.FailStart["web"] = true
	sent = nil
	rss[srv.Process("web").PID] = 300 * mb
	if err := m.Handle(&listeners.Event{Header: events.Header{EventName: "TICK_5"}}); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 || sent[0].Subject != "memmon [box]: failed to start process web" {
		t.Errorf("notifications %+v", sent)
	}
}

// A fake /proc: 100 has children 101 and 103, 101 has 102; 104 is
// unrelated and 105 has no RSS.
func fakeProc(t *testing.T) string {
	dir := t.TempDir()
	for _, p := range []struct{ pid, ppid, kb int }{{100, 1, 1000}, {101, 100, 200}, {102, 101, 30}, {103, 100, 4},
		{104, 1, 50000}, {105, 100, -1}} {
		d := filepath.Join(dir, itoa(p.pid))
		os.MkdirAll(d, 0o755)
		status := "Name:\tx\nState:\tS (sleeping)\n"
		if p.kb >= 0 {
			status += "VmRSS:\t  " + itoa(p.kb) + " kB\n"
		}
		os.WriteFile(filepath.Join(d, "status"), []byte(status+"Threads:\t1\n"), 0o644)
		os.WriteFile(filepath.Join(d, "stat"), []byte(itoa(p.pid)+" (odd ) name (x) S "+itoa(p.ppid)+" 1 1 0 -1\n"), 0o644)
	}
	os.MkdirAll(filepath.Join(dir, "self"), 0o755)
	return dir
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestRSS(t *testing.T) {
	proc := fakeProc(t)
	if n, err := RSS(proc, 100, false); err != nil || n != 1000*1024 {
		t.Errorf("RSS = %d, %v", n, err)
	}
	if n, err := RSS(proc, 100, true); err != nil || n != (1000+200+30+4)*1024 {
		t.Errorf("cumulative RSS = %d, %v", n, err)
	}
	if _, err := RSS(proc, 105, false); err == nil {
		t.Error("no VmRSS line")
	}
	if _, err := RSS(proc, 999, true); err == nil {
		t.Error("missing pid")
	}
	// The real thing: our own RSS, and with a child at least as much.
	self, err := RSS("/proc", os.Getpid(), false)
	if err != nil || self <= 0 {
		t.Fatalf("own RSS = %d, %v", self, err)
	}
	cmd := exec.Command("/bin/sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	child, _ := RSS("/proc", cmd.Process.Pid, false)
	all, err := RSS("/proc", os.Getpid(), true)
	if err != nil || all < self || child <= 0 {
		t.Errorf("cumulative RSS %d, own %d, child %d, %v", all, self, child, err)
	}
}

func TestMain_(t *testing.T) {
	var out, errOut strings.Builder
	if Main([]string{"-h"}, nil, nil, &out, &errOut) != 0 || !strings.Contains(out.String(), "--cumulative") {
		t.Error("-h")
	}
	if Main([]string{}, nil, nil, &out, &errOut) != 2 {
		t.Error("no limits")
	}
	noEnv := func(string) string { return "" }
	errOut.Reset()
	if Main([]string{"-a", "1"}, noEnv, strings.NewReader(""), &out, &errOut) != 2 ||
		!strings.Contains(errOut.String(), "SUPERVISOR_SERVER_URL") {
		t.Errorf("no server URL: %q", errOut.String())
	}
	// End to end: our own pid passes a 1-byte limit and gets restarted.
	srv := listenertest.New(&listenertest.Process{Name: "me", Group: "me", State: rpc.StateRunning, PID: os.Getpid()})
	defer srv.Close()
	env := func(k string) string {
		if k == "SUPERVISOR_SERVER_URL" {
			return srv.URL
		}
		return ""
	}
	out.Reset()
	code := Main([]string{"-a", "1", "-c"}, env, strings.NewReader(listenertest.Stream(events.Tick{Period: 5, When: 5})), &out, &errOut)
	if code != 0 || out.String() != "READY\nRESULT 2\nOKREADY\n" {
		t.Fatalf("Main = %d, %q, %s", code, out.String(), errOut.String())
	}
	if got := srv.Calls(); len(got) != 3 || got[1] != "supervisor.stopProcess me true" {
		t.Errorf("calls %q", got)
	}
	if Main([]string{"-a", "1"}, env, strings.NewReader("junk\n"), &out, &errOut) != 1 {
		t.Error("junk on stdin")
	}
}
