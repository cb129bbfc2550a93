package jsonapi

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"supervisord/internal/fleet"
	"supervisord/internal/fleet/fleettest"
	"supervisord/internal/rpcinterface"
	"supervisord/protocol/selector"
	"supervisord/testkit"
)

// fleetFixture is the API of a daemon in the fleet fl (nil: in none) on a
// test server, without a tree: the fleet's routes ask only the gateway.
// Roles come from X-Test-Role as in fixture.
func fleetFixture(t *testing.T, fl fleet.Gateway) *fixture {
	f := &fixture{t: t, log: &records{}}
	log := slog.New(f.log)
	f.rpc = rpcinterface.New(rpcinterface.Options{Log: log})
	f.api = New(Options{Control: f.rpc, Log: log, Fleet: fl})
	srv := httptest.NewServer(withTestRole(f.api))
	t.Cleanup(func() {
		f.api.Close()
		srv.Close()
	})
	f.url = srv.URL
	return f
}

// opened waits for the gateway to open a stream and returns the call.
func opened(t *testing.T, fake *fleettest.Fake) fleettest.Call {
	t.Helper()
	select {
	case c := <-fake.Opened():
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("the gateway opened no stream")
		return fleettest.Call{}
	}
}

// Every fleet route but the streams, against a fleet of two nodes that
// answer and one that does not: the answers, the refusals of what a route
// does not take (naming it), and what the gateway was asked.
func TestFleetRoutes(t *testing.T) {
	now := time.Now()
	fake := fleettest.Sample(now)
	f := fleetFixture(t, fake)
	_, selErr := selector.Parse("role in (web")
	type check func(t *testing.T, m map[string]any)
	// nodes checks the answer's nodes, a line each: the node, its error,
	// then each process's "namespec=statename" or outcome's
	// "group:name=code(message)".
	nodes := func(want ...string) check {
		return func(t *testing.T, m map[string]any) {
			var got []string
			for _, n := range m["nodes"].([]any) {
				n := n.(map[string]any)
				line := n["node"].(string)
				if e := n["error"].(string); e != "" {
					line += fmt.Sprintf(" error=%q unreachable=%v", e, n["unreachable"])
				}
				key := "results"
				if _, ok := n["processes"]; ok {
					key = "processes"
				}
				for _, x := range n[key].([]any) {
					x := x.(map[string]any)
					if x["node"] != n["node"] {
						t.Errorf("%v in node %s", x, n["node"])
					}
					if key == "results" {
						line += fmt.Sprintf(" %s:%s=%s(%s)", x["group"], x["name"], x["code"], x["message"])
						continue
					}
					line += fmt.Sprintf(" %s=%s", x["namespec"], x["statename"])
					if got := time.Unix(int64(x["now"].(float64)), 0); time.Since(got).Abs() > time.Minute {
						t.Errorf("now = %v", got)
					}
				}
				got = append(got, line)
			}
			if !slices.Equal(got, want) {
				t.Errorf("nodes\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
	}
	const nodeC = `node-c error="fleet: unreachable: no answer within 5s" unreachable=true`
	for i, tc := range []struct {
		method, path, body string
		status             int
		code, message      string // the error's
		check              check
	}{
		{"GET", "/api/v1/fleet/nodes", "", 200, "", "", func(t *testing.T, m map[string]any) {
			got := m["nodes"].([]any)
			want := []any{
				map[string]any{"name": "node-a", "labels": map[string]any{"role": "web", "zone": "a"}, "address": "10.0.0.1:7947",
					"gossip": "10.0.0.1:7946", "state": "alive", "last_seen": float64(now.Unix()), "self": true},
				map[string]any{"name": "node-b", "labels": map[string]any{"role": "web", "zone": "b"}, "address": "10.0.0.2:7947",
					"gossip": "10.0.0.2:7946", "state": "alive", "last_seen": float64(now.Add(-2 * time.Second).Unix()), "self": false},
				map[string]any{"name": "node-c", "labels": map[string]any{"role": "db", "zone": "a"}, "address": "10.0.0.3:7947",
					"gossip": "10.0.0.3:7946", "state": "suspect", "last_seen": float64(now.Add(-95 * time.Second).Unix()), "self": false},
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("nodes\n%v\nwant\n%v", got, want)
			}
		}},
		{"GET", "/api/v1/fleet/processes", "", 200, "", "", nodes("node-a web:web_0=RUNNING web:web_1=STOPPED",
			"node-b web:web_0=RUNNING", nodeC)},
		{"GET", "/api/v1/fleet/processes?selector=" + url.QueryEscape("role=web") + "&name=web:web_0", "", 200, "", "",
			nodes("node-a web:web_0=RUNNING", "node-b web:web_0=RUNNING")},
		{"GET", "/api/v1/fleet/processes?selector=zone%3Da&name=web:web_1,%20web:web_0", "", 200, "", "",
			nodes("node-a web:web_0=RUNNING web:web_1=STOPPED", nodeC)},
		{"GET", "/api/v1/fleet/processes?selector=" + url.QueryEscape("role in (web"), "", 400, "BAD_ARGUMENTS",
			"query parameter selector: " + selErr.Error(), nil},
		{"GET", "/api/v1/fleet/processes?name=a&name=b", "", 400, "BAD_ARGUMENTS", "query parameter name is given 2 times", nil},
		{"GET", "/api/v1/fleet/processes?names=a", "", 400, "BAD_ARGUMENTS", `unknown query parameter "names" (this route takes name, selector)`, nil},
		{"GET", "/api/v1/fleet/nodes?selector=", "", 400, "BAD_ARGUMENTS", `unknown query parameter "selector" (this route takes none)`, nil},

		{"POST", "/api/v1/fleet/stop", `{"selector":"zone=a","names":["web:web_0"]}`, 200, "", "",
			nodes("node-a web:web_0=SUCCESS(OK)", nodeC)},
		{"POST", "/api/v1/fleet/stop", `{"selector":"zone=a","names":["web:web_0"]}`, 200, "", "",
			nodes("node-a web:web_0=NOT_RUNNING(NOT_RUNNING: web:web_0)", nodeC)},
		{"POST", "/api/v1/fleet/start", `{"selector":"role=web","names":["web:*"]}`, 200, "", "",
			nodes("node-a web:web_0=SUCCESS(OK) web:web_1=SUCCESS(OK)", "node-b web:web_0=ALREADY_STARTED(ALREADY_STARTED: web:web_0)")},
		{"POST", "/api/v1/fleet/restart", `{"names":["web:web_0","nosuch"]}`, 200, "", "",
			nodes("node-a web:web_0=SUCCESS(OK) nosuch:nosuch=BAD_NAME(BAD_NAME: nosuch)",
				"node-b web:web_0=SUCCESS(OK) nosuch:nosuch=BAD_NAME(BAD_NAME: nosuch)", nodeC)},
		{"POST", "/api/v1/fleet/signal", `{"selector":"zone=b","names":["web:web_0"],"signal":"HUP"}`, 200, "", "",
			nodes("node-b web:web_0=SUCCESS(OK)")},
		{"POST", "/api/v1/fleet/signal", `{"selector":"zone=b","names":["web:web_0"],"signal":"BOGUS"}`, 200, "", "",
			nodes("node-b web:web_0=BAD_SIGNAL(BAD_SIGNAL: BOGUS)")},
		{"POST", "/api/v1/fleet/start", `{"selector":"zone=q","names":["web"]}`, 200, "", "", nodes()},

		// Bodies read strictly, naming the field.
		{"POST", "/api/v1/fleet/signal", `{"names":["web:web_0"]}`, 400, "BAD_ARGUMENTS", "field signal is required", nil},
		{"POST", "/api/v1/fleet/start", `{"selector":"role=web"}`, 400, "BAD_ARGUMENTS",
			"field names is required: the processes to act on (name, group:name, group:*)", nil},
		{"POST", "/api/v1/fleet/start", `{"names":[]}`, 400, "BAD_ARGUMENTS",
			"field names is required: the processes to act on (name, group:name, group:*)", nil},
		{"POST", "/api/v1/fleet/stop", `{"selector":"role in (web","names":["web"]}`, 400, "BAD_ARGUMENTS",
			"field selector: " + selErr.Error(), nil},
		{"POST", "/api/v1/fleet/stop", `{"names":["web"],"signal":"HUP"}`, 400, "BAD_ARGUMENTS", `unknown field "signal"`, nil},
		{"POST", "/api/v1/fleet/stop", `{"names":"web"}`, 400, "BAD_ARGUMENTS", "field names must be an array, not string", nil},
		{"POST", "/api/v1/fleet/stop", `{"names":["web"],"selector":5}`, 400, "BAD_ARGUMENTS", "field selector must be a string, not number", nil},
		{"POST", "/api/v1/fleet/stop", `{"names":["web"]}{}`, 400, "BAD_ARGUMENTS", "the body holds more than one JSON value", nil},
		{"POST", "/api/v1/fleet/stop", "", 400, "BAD_ARGUMENTS", "the body is empty; this route takes a JSON object", nil},
		{"POST", "/api/v1/fleet/stop?selector=role%3Dweb", `{"names":["web"]}`, 400, "BAD_ARGUMENTS",
			`unknown query parameter "selector" (this route takes none)`, nil},

		// The streams' arguments are checked before they open.
		{"GET", "/api/v1/fleet/events?types=PROCESS_STATE,NOPE", "", 400, "BAD_ARGUMENTS", `query parameter types: no event type "NOPE"`, nil},
		{"GET", "/api/v1/fleet/events?selector=%3D", "", 400, "BAD_ARGUMENTS", "", nil},
		{"GET", "/api/v1/fleet/log?stream=stderr", "", 400, "BAD_ARGUMENTS", "query parameter stream needs name: the main log has no streams", nil},
		{"GET", "/api/v1/fleet/log?name=web&stream=stdlog", "", 400, "BAD_ARGUMENTS", `query parameter stream: "stdlog" is not stdout or stderr`, nil},
		{"GET", "/api/v1/fleet/log?selector=!", "", 400, "BAD_ARGUMENTS", "", nil},
		{"GET", "/api/v1/fleet/log?offset=1", "", 400, "BAD_ARGUMENTS", `unknown query parameter "offset" (this route takes name, selector, stream)`, nil},
		{"DELETE", "/api/v1/fleet/nodes", "", 405, "METHOD_NOT_ALLOWED", "DELETE /api/v1/fleet/nodes is not served; it takes GET", nil},
	} {
		name := fmt.Sprintf("%d %s %s", i, tc.method, tc.path)
		r := f.do(tc.method, tc.path, tc.body)
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", name, r.status, tc.status, r.body)
			continue
		}
		m := r.json(t)
		if tc.code != "" {
			if m["code"] != tc.code || (tc.message != "" && m["message"] != tc.message) || len(m) != 2 {
				t.Errorf("%s: error %v, want %s %q", name, m, tc.code, tc.message)
			}
			continue
		}
		t.Run(name, func(t *testing.T) { tc.check(t, m) })
	}
	// The gateway was asked only what the good requests asked.
	var got []string
	for _, c := range fake.Calls() {
		got = append(got, fmt.Sprintf("%s %s %q %q", c.Method, c.Action.Verb+c.Action.Signal, c.Selector, c.Names))
	}
	want := []string{
		`Nodes  "" []`,
		`Status  "" []`,
		`Status  "role=web" ["web:web_0"]`,
		`Status  "zone=a" ["web:web_1" "web:web_0"]`,
		`Act stop "zone=a" ["web:web_0"]`,
		`Act stop "zone=a" ["web:web_0"]`,
		`Act start "role=web" ["web:*"]`,
		`Act restart "" ["web:web_0" "nosuch"]`,
		`Act signalHUP "zone=b" ["web:web_0"]`,
		`Act signalBOGUS "zone=b" ["web:web_0"]`,
		`Act start "zone=q" ["web"]`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("calls:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The fleet's actions need operate, its reads read: a reader's action is
// refused (403, logged as refused) and never reaches the fleet; an
// operator's is done and audited with its body; reads are not audited.
func TestFleetRoles(t *testing.T) {
	fake := fleettest.Sample(time.Now())
	f := fleetFixture(t, fake)
	for _, path := range []string{"/api/v1/fleet/start", "/api/v1/fleet/stop", "/api/v1/fleet/restart", "/api/v1/fleet/signal"} {
		r := f.do("POST", path, `{"selector":"role=web","names":["web:web_0"],"signal":"KILL"}`, "X-Test-Role", "read")
		m := r.json(t)
		if r.status != 403 || m["code"] != "FORBIDDEN" || m["message"] != "POST "+path+" needs the operate role; tester has read" {
			t.Errorf("a reader POSTing %s: %d %v", path, r.status, m)
		}
	}
	for _, path := range []string{"/api/v1/fleet/nodes", "/api/v1/fleet/processes"} {
		if r := f.do("GET", path, "", "X-Test-Role", "none"); r.status != 403 {
			t.Errorf("no role reading %s: %d", path, r.status)
		}
		if r := f.do("GET", path, "", "X-Test-Role", "read"); r.status != 200 {
			t.Errorf("a reader reading %s: %d %s", path, r.status, r.body)
		}
	}
	for _, c := range fake.Calls() {
		if c.Method == "Act" {
			t.Errorf("a refused action reached the fleet: %+v", c)
		}
	}
	if !f.log.has("POST /api/v1/fleet/stop refused: it needs the operate role, tester has read") || f.log.has(" by tester") {
		t.Errorf("log: %q", f.log.msgs)
	}
	r := f.do("POST", "/api/v1/fleet/signal", `{"selector":"role in (web)","names":["web:*","db"],"signal":"HUP"}`, "X-Test-Role", "operate")
	if r.status != 200 {
		t.Fatalf("an operator signalling: %d %s", r.status, r.body)
	}
	if want := `POST /api/v1/fleet/signal selector="role in (web)" names=web:*,db signal=HUP by tester (operate) from 192.0.2.1:4242`; !f.log.has(want) {
		t.Errorf("no audit line %q in %q", want, f.log.msgs)
	}
	if n := f.log.count(" by tester"); n != 1 {
		t.Errorf("%d audit lines: %q", n, f.log.msgs)
	}
}

// A daemon in no fleet answers every fleet route 404 NOT_IN_FLEET, as does
// one whose gateway says it is in none.
func TestNotInFleet(t *testing.T) {
	for _, tc := range []struct {
		name string
		fl   fleet.Gateway
	}{{"no gateway", nil}, {"a gateway in no fleet", &fleettest.Fake{NotFleet: true}}} {
		f := fleetFixture(t, tc.fl)
		for _, rt := range f.api.routes {
			if !strings.HasPrefix(rt.path, "/fleet/") {
				continue
			}
			if tc.fl != nil && (rt.path == "/fleet/nodes" || rt.path == "/fleet/processes") {
				continue // reads from a gateway in no fleet: empty, not a failure
			}
			body := ""
			if rt.body != nil {
				body = `{"names":["web"],"signal":"HUP"}`
				if rt.path != "/fleet/signal" {
					body = `{"names":["web"]}`
				}
			}
			r := f.do(rt.method, Prefix+rt.path, body)
			m := r.json(t)
			if r.status != 404 || m["code"] != "NOT_IN_FLEET" || m["message"] != "this daemon is not in a fleet ([fleet] section)" {
				t.Errorf("%s: %s %s: %d %v", tc.name, rt.method, rt.path, r.status, m)
			}
		}
	}
}

// The merged event stream: the selector and types go to the gateway, each
// event comes out named by its type with {"node", "payload"}, a payload
// that is not JSON as a string; the stream ends when the API closes, and
// so does the gateway's.
func TestFleetEventStream(t *testing.T) {
	fake := fleettest.Sample(time.Now())
	f := fleetFixture(t, fake)
	ch, _ := f.stream("/api/v1/fleet/events?selector=" + url.QueryEscape("role=web") + "&types=PROCESS_STATE,%20TICK_60")
	c := opened(t, fake)
	if c.Method != "Events" || c.Selector != "role=web" || !slices.Equal(c.Types, []string{"PROCESS_STATE", "TICK_60"}) {
		t.Errorf("the gateway was asked %+v", c)
	}
	running := `{"processname":"web_0","groupname":"web","from_state":"STARTING","pid":4242}`
	for _, l := range []fleet.Line{
		{Node: "node-b", Event: "PROCESS_STATE_RUNNING", Text: running},
		{Node: "node-a", Event: "TICK_60", Text: `{"when":1796120400}`},
		{Node: "node-a", Event: "PROCESS_STATE_EXITED", Text: "not json"},
	} {
		if n := fake.Emit(l); n != 1 {
			t.Fatalf("%v went to %d streams", l, n)
		}
	}
	for _, want := range []sseEvent{
		{Event: "PROCESS_STATE_RUNNING", Data: `{"node":"node-b","payload":` + running + `}`},
		{Event: "TICK_60", Data: `{"node":"node-a","payload":{"when":1796120400}}`},
		{Event: "PROCESS_STATE_EXITED", Data: `{"node":"node-a","payload":"not json"}`},
	} {
		if got := next(t, ch); got != want {
			t.Errorf("event %+v, want %+v", got, want)
		}
	}
	f.api.Close()
	for range ch { // ends
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return fake.Emit(fleet.Line{Node: "node-a", Event: "TICK_60", Text: "{}"}) == 0 },
		"the gateway's stream ends with the client's")
}

// The merged log stream: the name and stream (stdout by default, none for
// the main log) go to the gateway, each line comes out as {"node",
// "text"}; the gateway's stream ends when the client goes.
func TestFleetLogStream(t *testing.T) {
	fake := fleettest.Sample(time.Now())
	f := fleetFixture(t, fake)
	for _, tc := range []struct {
		query, name, stream string
	}{
		{"?selector=zone%3Db&name=web:web_0&stream=stderr", "web:web_0", "stderr"},
		{"?name=web:web_0", "web:web_0", "stdout"},
		{"", "", ""},
	} {
		ch, stop := f.stream("/api/v1/fleet/log" + tc.query)
		c := opened(t, fake)
		if c.Method != "Tail" || c.Name != tc.name || c.Stream != tc.stream {
			t.Errorf("%s: the gateway was asked %+v", tc.query, c)
		}
		if n := fake.Emit(fleet.Line{Node: "node-b", Text: "hello <world>\n"}); n != 1 {
			t.Fatalf("the line went to %d streams", n)
		}
		if got := next(t, ch); got != (sseEvent{Data: `{"node":"node-b","text":"hello <world>\n"}`}) {
			t.Errorf("%s: event %+v", tc.query, got)
		}
		stop()
		testkit.Eventually(t, 10*time.Second, func() bool { return fake.Emit(fleet.Line{Node: "node-b", Text: "x"}) == 0 },
			"the gateway's stream ends with the client's")
	}
}
