package rpcinterface

import (
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"supervisord/internal/auth"
	"supervisord/internal/fleet"
	"supervisord/internal/fleet/fleettest"
	"supervisord/protocol/selector"
	"supervisord/protocol/xmlrpc"
)

// fleetAPI serves the API of a daemon in the fleet fl (nil: in none),
// without a tree: the fleet.* methods ask only the gateway.
func fleetAPI(t *testing.T, fl fleet.Gateway) client {
	h := New(Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Fleet: fl})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return client{t: t, url: srv.URL}
}

// withoutNow checks each "now" member of v (this node's clock) and takes it
// out, so that the rest compares exactly.
func withoutNow(t *testing.T, v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withoutNow(t, e)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if k == "now" {
				if n, ok := e.(int); !ok || time.Since(time.Unix(int64(n), 0)).Abs() > time.Minute {
					t.Errorf("now = %v", e)
				}
				continue
			}
			out[k] = withoutNow(t, e)
		}
		return out
	}
	return v
}

// Every fleet.* method through the real handler and its HTTP, against a
// fleet of two nodes that answer and one that does not: what each
// answers, the faults for what it cannot take, and what the gateway was
// asked.
func TestFleetCalls(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	fake := fleettest.Sample(now)
	c := fleetAPI(t, fake)
	unix := func(d time.Duration) int { return int(now.Add(d).Unix()) }
	_, selErr := selector.Parse("role in (web")
	proc := func(node, name, state string, code, pid int, start, stop int, desc string) map[string]any {
		return map[string]any{"node": node, "group": "web", "name": name, "state": code, "statename": state, "pid": pid,
			"start": start, "stop": stop, "exitstatus": 0, "spawnerr": "", "description": desc}
	}
	web0a := proc("node-a", "web_0", "RUNNING", 20, 4242, unix(-62*time.Second), 0, "pid 4242, uptime 0:01:02")
	web1a := proc("node-a", "web_1", "STOPPED", 0, 0, unix(-time.Hour), unix(-30*time.Minute), now.Add(-30*time.Minute).Format("Jan 02 03:04 PM"))
	web0b := proc("node-b", "web_0", "RUNNING", 20, 17, unix(-3*time.Hour), 0, "pid 17, uptime 3:00:00")
	nodeC := map[string]any{"node": "node-c", "error": "fleet: unreachable: no answer within 5s", "unreachable": true}
	with := func(m map[string]any, key string, v any) map[string]any {
		out := map[string]any{key: v}
		for k, x := range m {
			out[k] = x
		}
		return out
	}
	statusOf := func(node string, procs ...any) map[string]any {
		return map[string]any{"node": node, "error": "", "unreachable": false, "processes": append([]any{}, procs...)}
	}
	res := func(node, name string, code int, desc string) map[string]any {
		return map[string]any{"node": node, "group": "web", "name": name, "status": code, "description": desc}
	}
	resultsOf := func(node string, rs ...any) map[string]any {
		return map[string]any{"node": node, "error": "", "unreachable": false, "results": append([]any{}, rs...)}
	}
	for _, tc := range []struct {
		method string
		params []any
		want   any    // compared when fault is ""
		fault  string // the fault text expected
	}{
		{"fleet.getNodes", nil, []any{
			map[string]any{"name": "node-a", "labels": map[string]any{"role": "web", "zone": "a"}, "address": "10.0.0.1:7947",
				"gossip": "10.0.0.1:7946", "state": "alive", "last_seen": unix(0), "self": true},
			map[string]any{"name": "node-b", "labels": map[string]any{"role": "web", "zone": "b"}, "address": "10.0.0.2:7947",
				"gossip": "10.0.0.2:7946", "state": "alive", "last_seen": unix(-2 * time.Second), "self": false},
			map[string]any{"name": "node-c", "labels": map[string]any{"role": "db", "zone": "a"}, "address": "10.0.0.3:7947",
				"gossip": "10.0.0.3:7946", "state": "suspect", "last_seen": unix(-95 * time.Second), "self": false},
		}, ""},
		{"fleet.getNodes", []any{"x"}, nil, "INCORRECT_PARAMETERS"},
		{"fleet.getAllProcessInfo", []any{"", []any{}}, []any{statusOf("node-a", web0a, web1a), statusOf("node-b", web0b),
			with(nodeC, "processes", []any{})}, ""},
		{"fleet.getAllProcessInfo", []any{"role=web", []any{"web:web_0"}}, []any{statusOf("node-a", web0a), statusOf("node-b", web0b)}, ""},
		{"fleet.getAllProcessInfo", []any{"zone notin (a,b)", []any{}}, []any{}, ""},
		{"fleet.getAllProcessInfo", []any{""}, nil, "INCORRECT_PARAMETERS"},
		{"fleet.getAllProcessInfo", []any{"role in (web", []any{}}, nil, "BAD_ARGUMENTS: " + selErr.Error()},
		{"fleet.getAllProcessInfo", []any{5, []any{}}, nil, "BAD_ARGUMENTS: the selector must be a string, not 5"},
		{"fleet.getAllProcessInfo", []any{"", "web"}, nil, "BAD_ARGUMENTS: names must be an array of strings, not web"},
		{"fleet.getAllProcessInfo", []any{"", []any{"web", 1}}, nil, "BAD_ARGUMENTS: names[1] must be a string, not 1"},
		{"fleet.stopProcesses", []any{"zone=a", []any{"web:web_0"}}, []any{resultsOf("node-a", res("node-a", "web_0", 80, "OK")),
			with(nodeC, "results", []any{})}, ""},
		{"fleet.stopProcesses", []any{"zone=a", []any{"web:web_0"}}, []any{resultsOf("node-a",
			res("node-a", "web_0", 70, "NOT_RUNNING: web:web_0")), with(nodeC, "results", []any{})}, ""},
		{"fleet.startProcesses", []any{"role=web", []any{"web:*"}}, []any{
			resultsOf("node-a", res("node-a", "web_0", 80, "OK"), res("node-a", "web_1", 80, "OK")),
			resultsOf("node-b", res("node-b", "web_0", 60, "ALREADY_STARTED: web:web_0"))}, ""},
		{"fleet.restartProcesses", []any{"zone=b", []any{"web:web_0", "nosuch"}}, []any{resultsOf("node-b",
			res("node-b", "web_0", 80, "OK"), map[string]any{"node": "node-b", "group": "nosuch", "name": "nosuch", "status": 10,
				"description": "BAD_NAME: nosuch"})}, ""},
		{"fleet.signalProcesses", []any{"zone=b", "HUP", []any{"web:web_0"}}, []any{resultsOf("node-b", res("node-b", "web_0", 80, "OK"))}, ""},
		{"fleet.signalProcesses", []any{"zone=b", 1, []any{"web:web_0"}}, []any{resultsOf("node-b", res("node-b", "web_0", 80, "OK"))}, ""},
		{"fleet.signalProcesses", []any{"zone=b", "BOGUS", []any{"web:web_0"}}, []any{resultsOf("node-b",
			res("node-b", "web_0", 11, "BAD_SIGNAL: BOGUS"))}, ""},
		{"fleet.stopProcesses", []any{"", []any{}}, nil, "BAD_ARGUMENTS: names is empty: name the processes to stop"},
		{"fleet.signalProcesses", []any{"", "HUP", []any{}}, nil, "BAD_ARGUMENTS: names is empty: name the processes to signal"},
		{"fleet.startProcesses", []any{"role in (web", []any{"web"}}, nil, "BAD_ARGUMENTS: " + selErr.Error()},
		{"fleet.startProcesses", []any{"", []any{"web"}, true}, nil, "INCORRECT_PARAMETERS"},
	} {
		got, err := c.call(tc.method, tc.params...)
		if tc.fault != "" {
			f, ok := err.(*xmlrpc.Fault)
			if !ok || f.String != tc.fault {
				t.Errorf("%s%v: got %v, %v; want fault %q", tc.method, tc.params, got, err, tc.fault)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s%v: %v", tc.method, tc.params, err)
			continue
		}
		if got = withoutNow(t, got); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s%v:\n got %#v\nwant %#v", tc.method, tc.params, got, tc.want)
		}
	}
	// What the gateway was asked: only the calls whose arguments were
	// good, the selector as parsed, the signal as a name or number.
	var got []string
	for _, call := range fake.Calls() {
		got = append(got, fmt.Sprintf("%s %s %q %q %v", call.Method, call.Action.Verb+call.Action.Signal, call.Selector, call.Names, call.Names == nil))
	}
	want := []string{
		`Nodes  "" [] true`,
		`Status  "" [] false`,
		`Status  "role=web" ["web:web_0"] false`,
		`Status  "zone notin (a,b)" [] false`,
		`Act stop "zone=a" ["web:web_0"] false`,
		`Act stop "zone=a" ["web:web_0"] false`,
		`Act start "role=web" ["web:*"] false`,
		`Act restart "zone=b" ["web:web_0" "nosuch"] false`,
		`Act signalHUP "zone=b" ["web:web_0"] false`,
		`Act signal1 "zone=b" ["web:web_0"] false`,
		`Act signalBOGUS "zone=b" ["web:web_0"] false`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("calls:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Without a fleet every fleet.* method fails with FAILED saying so, and so
// does a gateway that reports it is in none.
func TestNotInFleet(t *testing.T) {
	const want = "FAILED: this daemon is not in a fleet ([fleet] section)"
	for _, tc := range []struct {
		name string
		fl   fleet.Gateway
	}{{"no gateway", nil}, {"a gateway in no fleet", &fleettest.Fake{NotFleet: true}}} {
		c := fleetAPI(t, tc.fl)
		for _, call := range []struct {
			method string
			params []any
		}{
			{"fleet.getNodes", nil},
			{"fleet.getAllProcessInfo", []any{"", []any{}}},
			{"fleet.startProcesses", []any{"", []any{"web"}}},
			{"fleet.stopProcesses", []any{"", []any{"web"}}},
			{"fleet.restartProcesses", []any{"", []any{"web"}}},
			{"fleet.signalProcesses", []any{"", "HUP", []any{"web"}}},
		} {
			v, err := c.call(call.method, call.params...)
			code, text := faultOf(err)
			if tc.fl != nil && !strings.Contains(call.method, "Processes") {
				continue // reads from a gateway in no fleet: empty, not a failure
			}
			if code != xmlrpc.FaultFailed || text != want {
				t.Errorf("%s: %s: %v, %d %q; want %q", tc.name, call.method, v, code, text, want)
			}
		}
	}
}

// The fleet.* methods are ours: system.listMethods stays the reference's
// list whether the daemon is in a fleet or not, while methodHelp and
// methodSignature describe them.
func TestFleetMethodsUnlisted(t *testing.T) {
	alone := fleetAPI(t, nil)
	inFleet := fleetAPI(t, fleettest.Sample(time.Now()))
	a, err := alone.call("system.listMethods")
	if err != nil {
		t.Fatal(err)
	}
	b, err := inFleet.call("system.listMethods")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("listMethods differs in a fleet:\n%v\n%v", a, b)
	}
	for _, name := range b.([]any) {
		if strings.HasPrefix(name.(string), "fleet.") || strings.HasPrefix(name.(string), "config.") {
			t.Errorf("listMethods lists %s", name)
		}
	}
	// The reference's 37 supervisor.* methods and 4 system.* ones.
	if n := len(b.([]any)); n != 41 {
		t.Errorf("listMethods lists %d methods, the reference 41", n)
	}
	for method, sig := range map[string][]any{
		"fleet.getNodes":          {"array"},
		"fleet.getAllProcessInfo": {"array", "string", "array"},
		"fleet.startProcesses":    {"array", "string", "array"},
		"fleet.signalProcesses":   {"array", "string", "string", "array"},
	} {
		if got, err := inFleet.call("system.methodSignature", method); err != nil || !reflect.DeepEqual(got, sig) {
			t.Errorf("methodSignature(%s) = %v, %v; want %v", method, got, err, sig)
		}
		help, err := inFleet.call("system.methodHelp", method)
		if s, _ := help.(string); err != nil || !strings.Contains(s, "@return array result") {
			t.Errorf("methodHelp(%s) = %q, %v", method, help, err)
		}
	}
}

// The fleet's actions need operate, as the same actions on this node do:
// a reader is refused and nothing is asked of the fleet; an operator's
// call is done and audited with its arguments; reads are not audited.
func TestFleetRoles(t *testing.T) {
	fake := fleettest.Sample(time.Now())
	_, url, logs := guardedFleetAPI(t, fake)
	reader, operator := as(t, url, auth.Read), as(t, url, auth.Operate)
	for _, call := range []struct {
		method string
		params []any
	}{
		{"fleet.startProcesses", []any{"role=web", []any{"web:web_1"}}},
		{"fleet.stopProcesses", []any{"role=web", []any{"web:web_0"}}},
		{"fleet.restartProcesses", []any{"role=web", []any{"web:web_0"}}},
		{"fleet.signalProcesses", []any{"role=web", "KILL", []any{"web:web_0"}}},
	} {
		_, err := reader.call(call.method, call.params...)
		if code, text := faultOf(err); code != xmlrpc.FaultForbidden || text != "FORBIDDEN: role read may not call "+call.method {
			t.Errorf("a reader calling %s: %d %q", call.method, code, text)
		}
	}
	if _, err := reader.call("fleet.getAllProcessInfo", "role=web", []any{}); err != nil {
		t.Errorf("a reader reading: %v", err)
	}
	if _, err := reader.call("fleet.getNodes"); err != nil {
		t.Errorf("a reader reading: %v", err)
	}
	for _, call := range fake.Calls() {
		if call.Method == "Act" {
			t.Errorf("a refused call reached the fleet: %+v", call)
		}
	}
	if _, err := operator.call("fleet.stopProcesses", "role=web", []any{"web:web_0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := operator.call("fleet.signalProcesses", "role in (web,api)", "HUP", []any{"web:*", "db"}); err != nil {
		t.Fatal(err)
	}
	var audit []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, " by ") {
			_, msg, _ := strings.Cut(line, "msg=")
			audit = append(audit, msg)
		}
	}
	want := []string{
		`"fleet.stopProcesses 'role=web' ['web:web_0'] by operator (operate) from 127.0.0.1:`,
		`"fleet.signalProcesses 'role in (web,api)' 'HUP' ['web:*', 'db'] by operator (operate) from 127.0.0.1:`,
	}
	if len(audit) != len(want) {
		t.Fatalf("audit lines:\n%s\nwant %d", strings.Join(audit, "\n"), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(audit[i], want[i]) {
			t.Errorf("audit line %d:\n%s\nwant it to start\n%s", i, audit[i], want[i])
		}
	}
}

// Python's xmlrpc.client, the reference's own client library, reads the
// fleet's answers and faults, a reader's refusal included, as a client in
// Python sees them.
func TestFleetWithPythonClient(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import xmlrpc.client").Run(); err != nil {
		t.Skip("SKIPPED: python3 is needed: ", err)
	}
	now := time.Now()
	_, url, _ := guardedFleetAPI(t, fleettest.Sample(now))
	_, selErr := selector.Parse("role in (web")
	script := `
import json, sys, time, xmlrpc.client
def proxy(user, pw):
    return xmlrpc.client.ServerProxy(sys.argv[1].replace('http://', 'http://%s:%s@' % (user, pw)) + '/RPC2')
def show(v):
    if isinstance(v, dict):
        return {k: ('<now>' if k == 'now' and abs(x - time.time()) < 60 else show(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [show(x) for x in v]
    return v
def call(p, method, *args):
    try:
        print(json.dumps(show(getattr(p, method)(*args)), sort_keys=True))
    except xmlrpc.client.Fault as f:
        print(f.faultCode, f.faultString)
reader, operator = proxy('reader', 'r-pw'), proxy('operator', 'o-pw')
nodes = reader.fleet.getNodes()
print([(n['name'], n['self'], n['state'], n['labels'], type(n['last_seen']).__name__) for n in nodes])
call(reader, 'fleet.getAllProcessInfo', 'role=web,zone!=b', ['web:web_0'])
call(reader, 'fleet.getAllProcessInfo', 'zone=a', [])
call(reader, 'fleet.stopProcesses', 'role=web', ['web:web_0'])
call(operator, 'fleet.stopProcesses', 'role in (web)', ['web:web_0'])
call(operator, 'fleet.signalProcesses', 'zone=b', 'HUP', ['web:web_0'])
call(operator, 'fleet.startProcesses', 'role in (web', ['web:web_0'])
call(operator, 'fleet.startProcesses', '', [])
print('fleet.getNodes' in reader.system.listMethods())
`
	out, err := exec.Command("/usr/bin/python3", "-c", script, url).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	start := now.Add(-62 * time.Second).Unix()
	want := fmt.Sprintf(`[('node-a', True, 'alive', {'role': 'web', 'zone': 'a'}, 'int'), ('node-b', False, 'alive', {'role': 'web', 'zone': 'b'}, 'int'), ('node-c', False, 'suspect', {'role': 'db', 'zone': 'a'}, 'int')]
[{"error": "", "node": "node-a", "processes": [{"description": "pid 4242, uptime 0:01:02", "exitstatus": 0, "group": "web", "name": "web_0", "node": "node-a", "now": "<now>", "pid": 4242, "spawnerr": "", "start": %[1]d, "state": 20, "statename": "RUNNING", "stop": 0}], "unreachable": false}]
[{"error": "", "node": "node-a", "processes": [{"description": "pid 4242, uptime 0:01:02", "exitstatus": 0, "group": "web", "name": "web_0", "node": "node-a", "now": "<now>", "pid": 4242, "spawnerr": "", "start": %[1]d, "state": 20, "statename": "RUNNING", "stop": 0}, {"description": "%[2]s", "exitstatus": 0, "group": "web", "name": "web_1", "node": "node-a", "now": "<now>", "pid": 0, "spawnerr": "", "start": %[3]d, "state": 0, "statename": "STOPPED", "stop": %[4]d}], "unreachable": false}, {"error": "fleet: unreachable: no answer within 5s", "node": "node-c", "processes": [], "unreachable": true}]
403 FORBIDDEN: role read may not call fleet.stopProcesses
[{"error": "", "node": "node-a", "results": [{"description": "OK", "group": "web", "name": "web_0", "node": "node-a", "status": 80}], "unreachable": false}, {"error": "", "node": "node-b", "results": [{"description": "OK", "group": "web", "name": "web_0", "node": "node-b", "status": 80}], "unreachable": false}]
[{"error": "", "node": "node-b", "results": [{"description": "NOT_RUNNING: web:web_0", "group": "web", "name": "web_0", "node": "node-b", "status": 70}], "unreachable": false}]
3 BAD_ARGUMENTS: %[5]s
3 BAD_ARGUMENTS: names is empty: name the processes to start
False
`, start, now.Add(-30*time.Minute).Format("Jan 02 03:04 PM"), now.Add(-time.Hour).Unix(), now.Add(-30*time.Minute).Unix(), selErr)
	if string(out) != want {
		t.Errorf("python saw\n%s\nwant\n%s", out, want)
	}
}
