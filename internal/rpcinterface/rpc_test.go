package rpcinterface

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/fleet"
	"supervisord/protocol/xmlrpc"
)

const testConf = `
[supervisord]
logfile=%(here)s/main.log
childlogdir=%(here)s
[program:sleeper]
command=/bin/sleep 1000
startsecs=0
[program:slow]
command=/bin/sleep 1000
startsecs=1
autostart=false
[program:quick]
command=/bin/sh -c 'echo hello; exit 1'
autostart=false
startretries=0
[program:cat]
command=/bin/cat
startsecs=0
stdout_logfile=%(here)s/cat.log
[program:missing]
command=/no/such/thing
autostart=false
stdout_logfile=NONE
[program:stubborn]
command=/bin/sh -c 'trap "" TERM; while :; do sleep 0.1; done'
startsecs=1
stopwaitsecs=3
autostart=false
[program:pair]
command=/bin/sleep 1000
process_name=%(program_name)s_%(process_num)d
numprocs=2
startsecs=0
autostart=false
`

type client struct {
	t          *testing.T
	url        string
	user, pass string // basic credentials; none when user is ""
}

func (c client) call(method string, params ...any) (any, error) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.url+"/RPC2", bytes.NewReader(xmlrpc.EncodeCall(method, params...)))
	req.Header.Set("Content-Type", "text/xml")
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &xmlrpc.Fault{String: "HTTP " + strconv.Itoa(resp.StatusCode)}
	}
	body, _ := io.ReadAll(resp.Body)
	return xmlrpc.ParseResponse(body)
}

// testAPI is a tree started on testConf and its API.
type testAPI struct {
	h       *Handler
	cfg     *conf.Config
	dir     string
	stopped chan struct{} // gets a value when the API asks for a shutdown
}

func newAPI(t *testing.T, log *slog.Logger) *testAPI { return newFleetAPI(t, log, nil) }

// newFleetAPI is newAPI for a daemon in the fleet fl (nil: in none).
func newFleetAPI(t *testing.T, log *slog.Logger, fl fleet.Gateway) *testAPI {
	dir := t.TempDir()
	path := filepath.Join(dir, "supervisord.conf")
	os.WriteFile(path, []byte(testConf), 0o644)
	cfg, err := conf.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := actors.Start(cfg, actors.Options{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	a := &testAPI{cfg: cfg, dir: dir, stopped: make(chan struct{}, 1)}
	a.h = New(Options{Tree: d, Config: cfg, PID: os.Getpid(), Log: log,
		Shutdown: func() { a.stopped <- struct{}{} }, Restart: func() {},
		Reread: func() (*conf.Config, error) { return conf.Load(path) }, Fleet: fl})
	t.Cleanup(func() {
		d.Shutdown()
		<-d.Done()
	})
	return a
}

// waitStarted waits for the autostarted programs.
func (c client) waitStarted() {
	for _, name := range []string{"cat", "sleeper"} {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			v, _ := c.call("supervisor.getProcessInfo", name)
			if m, ok := v.(map[string]any); ok && m["statename"] == "RUNNING" {
				break
			}
		}
	}
}

func startAPI(t *testing.T) (client, *Handler, string) {
	a := newAPI(t, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(a.h)
	t.Cleanup(srv.Close)
	c := client{t: t, url: srv.URL}
	c.waitStarted()
	return c, a.h, a.dir
}

func TestCalls(t *testing.T) {
	c, _, dir := startAPI(t)
	for _, tc := range []struct {
		method string
		params []any
		want   any    // compared when fault is ""
		fault  string // the fault text expected
	}{
		{"supervisor.getAPIVersion", nil, "3.0", ""},
		{"supervisor.getVersion", nil, "3.0", ""},
		{"supervisor.getSupervisorVersion", nil, "4.2.5", ""},
		{"supervisor.getIdentification", nil, "supervisor", ""},
		{"supervisor.getState", nil, map[string]any{"statecode": 1, "statename": "RUNNING"}, ""},
		{"supervisor.getAPIVersion", []any{1}, nil, "INCORRECT_PARAMETERS"},
		{"supervisor.nosuch", nil, nil, "UNKNOWN_METHOD"},
		{"nosuch", nil, nil, "UNKNOWN_METHOD"},
		{"supervisor.startProcess", []any{"nosuch"}, nil, "BAD_NAME: nosuch"},
		{"supervisor.startProcess", []any{"sleeper"}, nil, "ALREADY_STARTED: sleeper"},
		{"supervisor.startProcess", []any{"missing"}, nil, "NO_FILE: can't find command '/no/such/thing'"},
		{"supervisor.startProcess", []any{"slow", true}, true, ""},
		{"supervisor.startProcess", []any{"quick", true}, nil, "SPAWN_ERROR: quick"},
		{"supervisor.stopProcess", []any{"quick"}, nil, "NOT_RUNNING: quick"},
		{"supervisor.stopProcess", []any{"slow"}, true, ""},
		{"supervisor.signalProcess", []any{"sleeper", "BOGUS"}, nil, "BAD_SIGNAL: BOGUS"},
		{"supervisor.signalProcess", []any{"slow", "HUP"}, nil, "NOT_RUNNING: slow"},
		{"supervisor.signalProcess", []any{"sleeper", "CONT"}, true, ""},
		{"supervisor.sendProcessStdin", []any{"cat", "meow\n"}, true, ""},
		{"supervisor.sendProcessStdin", []any{"slow", "x"}, nil, "NOT_RUNNING: slow"},
		{"supervisor.sendProcessStdin", []any{"cat", 5}, nil, "INCORRECT_PARAMETERS: 5"},
		{"supervisor.signalProcess", []any{"sleeper", ""}, nil, "BAD_SIGNAL: "},
		{"supervisor.getProcessInfo", []any{""}, nil, "BAD_NAME: "},
		{"supervisor.readProcessStdoutLog", []any{"cat", -1, 5}, nil, "BAD_ARGUMENTS"},
		{"supervisor.readProcessStdoutLog", []any{"cat", "x", 5}, nil, "HTTP 500"},
		{"supervisor.getProcessInfo", []any{123}, nil, "HTTP 500"},
		{"supervisor.readProcessStdoutLog", []any{"missing", 0, 0}, nil, "NO_FILE"},
		{"supervisor.readProcessStdoutLog", []any{"pair:*", 0, 0}, nil, "BAD_NAME: pair:*"},
		{"supervisor.startProcessGroup", []any{"pair"}, []any{
			map[string]any{"name": "pair_0", "group": "pair", "status": 80, "description": "OK"},
			map[string]any{"name": "pair_1", "group": "pair", "status": 80, "description": "OK"},
		}, ""},
		{"supervisor.stopProcess", []any{"pair:pair_1"}, true, ""},
		{"supervisor.removeProcessGroup", []any{"pair"}, nil, "STILL_RUNNING: pair"},
		{"supervisor.getProcessConfig", []any{"pair:pair_1"}, []any{map[string]any{"section": "program:pair",
			"file": filepath.Join(dir, "supervisord.conf"), "line": 29, "text": "[program:pair]\ncommand = /bin/sleep 1000\n" +
				"process_name = pair_1\nnumprocs = 2\nstartsecs = 0\nautostart = false\n"}}, ""},
		// A plain name that is a group's: each process's section.
		{"supervisor.getProcessConfig", []any{"pair"}, []any{
			map[string]any{"section": "program:pair", "file": filepath.Join(dir, "supervisord.conf"), "line": 29,
				"text": "[program:pair]\ncommand = /bin/sleep 1000\nprocess_name = pair_0\nnumprocs = 2\nstartsecs = 0\nautostart = false\n"},
			map[string]any{"section": "program:pair", "file": filepath.Join(dir, "supervisord.conf"), "line": 29,
				"text": "[program:pair]\ncommand = /bin/sleep 1000\nprocess_name = pair_1\nnumprocs = 2\nstartsecs = 0\nautostart = false\n"},
		}, ""},
		{"supervisor.getProcessConfig", []any{"nosuch"}, nil, "BAD_NAME: nosuch"},
		{"supervisor.getProcessConfig", []any{"pair:nosuch"}, nil, "BAD_NAME: pair:nosuch"},
		{"system.methodSignature", []any{"supervisor.startProcess"}, []any{"boolean", "string", "boolean"}, ""},
		{"system.methodHelp", []any{"nosuch"}, nil, "SIGNATURE_UNSUPPORTED"},
		{"system.multicall", []any{[]any{
			map[string]any{"methodName": "supervisor.getAPIVersion", "params": []any{}},
			map[string]any{"methodName": "supervisor.nosuch", "params": []any{}},
			map[string]any{"methodName": "system.multicall", "params": []any{}},
		}}, []any{"3.0",
			map[string]any{"faultCode": 1, "faultString": "UNKNOWN_METHOD"},
			map[string]any{"faultCode": 2, "faultString": "INCORRECT_PARAMETERS: Recursive system.multicall forbidden"},
		}, ""},
	} {
		got, err := c.call(tc.method, tc.params...)
		if tc.fault != "" {
			f, ok := err.(*xmlrpc.Fault)
			if !ok || f.String != tc.fault {
				t.Errorf("%s%v: got %v, %v; want fault %q", tc.method, tc.params, got, err, tc.fault)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s%v: got %#v, %v; want %#v", tc.method, tc.params, got, err, tc.want)
		}
	}
	// The stdin write reached cat, whose output went to its log.
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := c.call("supervisor.readProcessStdoutLog", "cat", 0, 0)
		if err == nil && v == "meow\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cat log: %q, %v", v, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	v, err := c.call("supervisor.tailProcessStdoutLog", "cat", 0, 3)
	if want := []any{"ow\n", 5, true}; err != nil || !reflect.DeepEqual(v, want) {
		t.Errorf("tail: %#v, %v; want %#v", v, err, want)
	}
	if v, err := c.call("supervisor.clearProcessLogs", "cat"); err != nil || v != true {
		t.Errorf("clear: %v %v", v, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "cat.log")); len(b) != 0 {
		t.Errorf("cat.log after clear: %q", b)
	}
}

func TestInfoAndShutdownState(t *testing.T) {
	c, _, _ := startAPI(t)
	v, err := c.call("supervisor.getProcessInfo", "sleeper")
	if err != nil {
		t.Fatal(err)
	}
	in := v.(map[string]any)
	keys := []string{"name", "group", "start", "stop", "now", "state", "statename", "spawnerr", "exitstatus",
		"logfile", "stdout_logfile", "stderr_logfile", "pid", "description"}
	if len(in) != len(keys) {
		t.Errorf("info has %d members, want %d: %v", len(in), len(keys), in)
	}
	if !strings.HasPrefix(in["description"].(string), "pid ") || in["state"] != 20 {
		t.Errorf("info %v", in)
	}
	all, err := c.call("supervisor.getAllProcessInfo")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range all.([]any) {
		m := p.(map[string]any)
		names = append(names, m["group"].(string)+":"+m["name"].(string))
	}
	if want := "cat:cat missing:missing pair:pair_0 pair:pair_1 quick:quick sleeper:sleeper slow:slow stubborn:stubborn"; strings.Join(names, " ") != want {
		t.Errorf("getAllProcessInfo order %v, want %s", names, want)
	}
	if _, err := c.call("supervisor.shutdown"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.call("supervisor.getState"); err == nil || err.(*xmlrpc.Fault).Code != xmlrpc.FaultShutdownState {
		t.Errorf("after shutdown: %v, want SHUTDOWN_STATE", err)
	}
	if _, err := c.call("system.listMethods"); err != nil {
		t.Errorf("system methods still answer during shutdown: %v", err)
	}
}

// A stop that waits out stopwaitsecs holds only its own caller: others are
// answered meanwhile.
func TestSlowStopBlocksNobodyElse(t *testing.T) {
	c, _, _ := startAPI(t)
	// startsecs=1 also leaves the shell time to set its trap.
	if _, err := c.call("supervisor.startProcess", "stubborn", true); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() {
		_, err := c.call("supervisor.stopProcess", "stubborn", true)
		stopped <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		v, err := c.call("supervisor.getProcessInfo", "stubborn")
		if err == nil && v.(map[string]any)["statename"] == "STOPPING" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("stubborn never reached STOPPING")
		}
	}
	for range 20 {
		if _, err := c.call("supervisor.getState"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.call("supervisor.getAllProcessInfo"); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-stopped:
		t.Fatalf("the stop returned (%v) before stopwaitsecs ran out", err)
	default:
	}
	if err := <-stopped; err != nil {
		t.Errorf("stop: %v", err)
	}
	v, _ := c.call("supervisor.getProcessInfo", "stubborn")
	if got := v.(map[string]any)["statename"]; got != "STOPPED" {
		t.Errorf("after stop: %v", got)
	}
}
