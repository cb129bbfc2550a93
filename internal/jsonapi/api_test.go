package jsonapi

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// Every route, and every class of error, in one run against a real tree:
// each case a request, the status and the code (or, for a success, what
// the answer holds). The cases run in order and change the tree as they
// go. The messages are the XML-RPC API's fault strings for the same
// failures (internal/rpcinterface's TestCalls has the same ones).
func TestRoutes(t *testing.T) {
	f := startFixture(t, testConf)
	type check func(t *testing.T, m map[string]any)
	has := func(key string, want any) check {
		return func(t *testing.T, m map[string]any) {
			if !reflect.DeepEqual(m[key], want) {
				t.Errorf("%s = %#v, want %#v", key, m[key], want)
			}
		}
	}
	ok := func(group, name string) check {
		return func(t *testing.T, m map[string]any) {
			if want := map[string]any{"group": group, "name": name, "code": "SUCCESS", "message": "OK"}; !reflect.DeepEqual(m, want) {
				t.Errorf("got %v, want %v", m, want)
			}
		}
	}
	outcomes := func(want ...string) check { // "name code" for each
		return func(t *testing.T, m map[string]any) {
			var got []string
			for _, o := range m["results"].([]any) {
				o := o.(map[string]any)
				got = append(got, o["name"].(string)+" "+o["code"].(string))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("results %v, want %v", got, want)
			}
		}
	}
	for i, tc := range []struct {
		method, path, body string
		status             int
		code, message      string // the error's
		check              check
	}{
		{"GET", "/api/v1/daemon", "", 200, "", "", func(t *testing.T, m map[string]any) {
			want := map[string]any{"state": map[string]any{"code": 1.0, "name": "RUNNING"}, "pid": float64(os.Getpid()),
				"version": "4.2.5", "identification": "jsontest"}
			if !reflect.DeepEqual(m, want) {
				t.Errorf("daemon %v", m)
			}
		}},
		{"GET", "/api/v1/processes", "", 200, "", "", func(t *testing.T, m map[string]any) {
			var names []string
			for _, p := range m["processes"].([]any) {
				p := p.(map[string]any)
				names = append(names, p["namespec"].(string)+"="+p["statename"].(string))
			}
			want := []string{"cat=RUNNING", "missing=STOPPED", "pair:pair_0=STOPPED", "pair:pair_1=STOPPED",
				"quick=STOPPED", "sleeper=RUNNING", "slow=STOPPED"}
			if !reflect.DeepEqual(names, want) {
				t.Errorf("processes %v", names)
			}
		}},
		{"GET", "/api/v1/processes/sleeper", "", 200, "", "", func(t *testing.T, m map[string]any) {
			if m["statename"] != "RUNNING" || m["state"] != 20.0 || m["pid"].(float64) <= 0 ||
				!strings.HasPrefix(m["description"].(string), "pid ") || m["start"].(float64) == 0 {
				t.Errorf("sleeper %v", m)
			}
		}},
		{"GET", "/api/v1/processes/pair:pair_0", "", 200, "", "", has("statename", "STOPPED")},
		{"GET", "/api/v1/processes/pair:pair_1/config", "", 200, "", "", func(t *testing.T, m map[string]any) {
			secs := m["sections"].([]any)
			if len(secs) != 1 {
				t.Fatalf("sections %v", secs)
			}
			sec := secs[0].(map[string]any)
			want := "[program:pair]\ncommand = /bin/sleep 1000\nprocess_name = pair_1\nnumprocs = 2\nstartsecs = 0\nautostart = false\n"
			if sec["section"] != "program:pair" || sec["file"] != f.conf || sec["line"] != 27.0 || sec["text"] != want {
				t.Errorf("section %v", sec)
			}
			opt := sec["options"].([]any)[1].(map[string]any)
			if !reflect.DeepEqual(opt, map[string]any{"name": "process_name", "value": "pair_1", "file": f.conf, "line": 29.0}) {
				t.Errorf("option %v", opt)
			}
		}},
		{"GET", "/api/v1/processes/nosuch/config", "", 404, "BAD_NAME", "BAD_NAME: nosuch", nil},
		{"GET", "/api/v1/processes/nosuch", "", 404, "BAD_NAME", "BAD_NAME: nosuch", nil},
		{"GET", "/api/v1/processes/pair:*", "", 404, "BAD_NAME", "BAD_NAME: pair:*", nil},
		{"GET", "/api/v1/groups", "", 200, "", "", func(t *testing.T, m map[string]any) {
			var names []string
			for _, g := range m["groups"].([]any) {
				g := g.(map[string]any)
				names = append(names, fmt.Sprintf("%s/%s/%d", g["name"], g["kind"], len(g["processes"].([]any))))
			}
			if want := []string{"cat/program/1", "missing/program/1", "pair/program/2", "quick/program/1",
				"sleeper/program/1", "slow/program/1"}; !reflect.DeepEqual(names, want) {
				t.Errorf("groups %v", names)
			}
		}},
		{"GET", "/api/v1/groups/pair", "", 200, "", "", has("priority", 999.0)},
		{"GET", "/api/v1/groups/nosuch", "", 404, "BAD_NAME", "BAD_NAME: nosuch", nil},

		// Actions on one process.
		{"POST", "/api/v1/processes/sleeper/start", "", 409, "ALREADY_STARTED", "ALREADY_STARTED: sleeper", nil},
		{"POST", "/api/v1/processes/nosuch/start", "", 404, "BAD_NAME", "BAD_NAME: nosuch", nil},
		{"POST", "/api/v1/processes/missing/start", "", 404, "NO_FILE", "NO_FILE: can't find command '/no/such/thing'", nil},
		{"POST", "/api/v1/processes/quick/start", "", 500, "SPAWN_ERROR", "SPAWN_ERROR: quick", nil},
		{"POST", "/api/v1/processes/quick/stop", "", 409, "NOT_RUNNING", "NOT_RUNNING: quick", nil},
		{"POST", "/api/v1/processes/slow/start?wait=true", "", 200, "", "", ok("slow", "slow")},
		{"POST", "/api/v1/processes/slow/stop?wait=false", "", 200, "", "", ok("slow", "slow")},
		{"GET", "/api/v1/processes/slow?until=STOPPED", "", 200, "", "", nil}, // see below
		{"POST", "/api/v1/processes/slow/restart", "", 200, "", "", ok("slow", "slow")},
		{"POST", "/api/v1/processes/slow/restart?wait=true", "", 200, "", "", ok("slow", "slow")},
		{"POST", "/api/v1/processes/slow/signal", `{"signal":"HUP"}`, 200, "", "", ok("slow", "slow")},
		{"POST", "/api/v1/processes/sleeper/signal", `{"signal":"BOGUS"}`, 400, "BAD_SIGNAL", "BAD_SIGNAL: BOGUS", nil},
		{"POST", "/api/v1/processes/pair:pair_0/signal", `{"signal":"CONT"}`, 409, "NOT_RUNNING", "NOT_RUNNING: pair:pair_0", nil},
		{"POST", "/api/v1/processes/cat/stdin", `{"data":"meow\n"}`, 200, "", "", ok("cat", "cat")},
		{"POST", "/api/v1/processes/pair:pair_0/stdin", `{"data":"x"}`, 409, "NOT_RUNNING", "NOT_RUNNING: pair:pair_0", nil},

		// Several at once.
		{"POST", "/api/v1/groups/pair/start", "", 200, "", "", outcomes("pair_0 SUCCESS", "pair_1 SUCCESS")},
		{"POST", "/api/v1/groups/pair/signal", `{"signal":"CONT"}`, 200, "", "", outcomes("pair_0 SUCCESS", "pair_1 SUCCESS")},
		{"POST", "/api/v1/groups/pair/stdin", `{"data":""}`, 200, "", "", outcomes("pair_0 SUCCESS", "pair_1 SUCCESS")},
		{"POST", "/api/v1/groups/pair/restart?wait=true", "", 200, "", "", outcomes("pair_0 SUCCESS", "pair_1 SUCCESS")},
		{"POST", "/api/v1/groups/pair/stop", "", 200, "", "", outcomes("pair_0 SUCCESS", "pair_1 SUCCESS")},
		{"POST", "/api/v1/groups/pair/stop", "", 200, "", "", outcomes()},
		{"POST", "/api/v1/groups/nosuch/stop", "", 404, "BAD_NAME", "BAD_NAME: nosuch", nil},
		{"POST", "/api/v1/groups/nosuch/signal", `{"signal":"HUP"}`, 404, "BAD_NAME", "BAD_NAME: nosuch", nil},
		{"POST", "/api/v1/all/signal", `{"signal":"CONT"}`, 200, "", "", outcomes("cat SUCCESS", "sleeper SUCCESS", "slow SUCCESS")},
		{"POST", "/api/v1/all/stdin", `{"data":""}`, 200, "", "", outcomes("cat SUCCESS", "sleeper SUCCESS", "slow SUCCESS")},
		{"POST", "/api/v1/all/stop?wait=true", "", 200, "", "", outcomes("cat SUCCESS", "sleeper SUCCESS", "slow SUCCESS")},
		// Those settled at once first, then the waited ones as they finish.
		{"POST", "/api/v1/all/start", "", 200, "", "", outcomes("missing NO_FILE", "cat SUCCESS", "pair_0 SUCCESS",
			"pair_1 SUCCESS", "quick SPAWN_ERROR", "sleeper SUCCESS", "slow SUCCESS")},
		{"POST", "/api/v1/all/restart", "", 200, "", "", outcomes("missing NO_FILE", "cat SUCCESS", "pair_0 SUCCESS",
			"pair_1 SUCCESS", "quick SPAWN_ERROR", "sleeper SUCCESS", "slow SUCCESS")},

		// Logs.
		{"GET", "/api/v1/processes/cat/log/stdout?offset=-5", "", 200, "", "", has("data", "meow\n")},
		{"GET", "/api/v1/processes/cat/log/stdout?offset=1&length=2", "", 200, "", "", has("data", "eo")},
		{"GET", "/api/v1/processes/cat/log/stdout?offset=-1&length=5", "", 400, "BAD_ARGUMENTS", "BAD_ARGUMENTS", nil},
		{"GET", "/api/v1/processes/cat/log/stdout/tail?length=3", "", 200, "", "", func(t *testing.T, m map[string]any) {
			if want := map[string]any{"data": "ow\n", "offset": 5.0, "overflow": true}; !reflect.DeepEqual(m, want) {
				t.Errorf("tail %v", m)
			}
		}},
		{"GET", "/api/v1/processes/cat/log/stdout/tail?offset=5", "", 200, "", "", has("data", "")},
		{"GET", "/api/v1/processes/cat/log/stdout/tail?length=-1", "", 400, "BAD_ARGUMENTS", "", nil},
		{"GET", "/api/v1/processes/missing/log/stdout", "", 404, "NO_FILE", "NO_FILE", nil},
		{"GET", "/api/v1/processes/cat/log/stdout?offset=x", "", 400, "BAD_ARGUMENTS", `query parameter offset: "x" is not an integer`, nil},
		{"GET", "/api/v1/processes/missing/log/stdout/follow", "", 404, "NO_FILE", "NO_FILE: missing", nil},
		{"GET", "/api/v1/processes/cat/log/stdlog", "", 404, "NOT_FOUND", "", nil},
		{"GET", "/api/v1/processes/cat/log/stdout/follow", "", 400, "BAD_ARGUMENTS", "", nil}, // the Last-Event-ID below
		{"GET", "/api/v1/daemon/log?offset=0", "", 200, "", "", func(t *testing.T, m map[string]any) {
			// The restart above was asked with no principal (a server
			// without authentication): done, and not audited.
			if log := m["data"].(string); !strings.Contains(log, "stopped: slow") || strings.Contains(log, "POST /api/v1/all/restart") {
				t.Errorf("main log %q", log)
			}
		}},
		{"GET", "/api/v1/daemon/log/tail?length=10", "", 200, "", "", has("overflow", true)},

		// Config.
		{"GET", "/api/v1/config/reload", "", 200, "", "", func(t *testing.T, m map[string]any) {
			want := map[string]any{"enabled": false, "files": []any{}, "last_read": 0.0, "error": "", "last_applied": 0.0,
				"added": []any{}, "changed": []any{}, "removed": []any{}}
			if !reflect.DeepEqual(m, want) {
				t.Errorf("reload %v", m)
			}
		}},
		{"POST", "/api/v1/config/reread", "", 200, "", "", func(t *testing.T, m map[string]any) {
			if want := map[string]any{"added": []any{}, "changed": []any{}, "removed": []any{}}; !reflect.DeepEqual(m, want) {
				t.Errorf("reread %v", m)
			}
		}},

		// Requests the router does not serve.
		{"DELETE", "/api/v1/processes", "", 405, "METHOD_NOT_ALLOWED", "DELETE /api/v1/processes is not served; it takes GET", nil},
		{"GET", "/api/v1/processes/cat/start", "", 405, "METHOD_NOT_ALLOWED", "", nil},
		{"GET", "/api/v1/nothing", "", 404, "NOT_FOUND", "", nil},
		{"GET", "/api/v1/openapi.json", "", 200, "", "", has("openapi", "3.1.0")},
	} {
		name := fmt.Sprintf("%d %s %s", i, tc.method, tc.path)
		if spec, state, ok := strings.Cut(strings.TrimPrefix(tc.path, "/api/v1/processes/"), "?until="); ok {
			f.waitState(spec, state) // a stop that did not wait, waited for here
			continue
		}
		var hdr []string
		if strings.HasSuffix(tc.path, "/follow") {
			hdr = []string{"Last-Event-ID", "x"}
		}
		r := f.do(tc.method, tc.path, tc.body, hdr...)
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", name, r.status, tc.status, r.body)
			continue
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", name, ct)
		}
		m := r.json(t)
		if tc.code != "" {
			if m["code"] != tc.code || (tc.message != "" && m["message"] != tc.message) || len(m) != 2 {
				t.Errorf("%s: error %v, want %s %q", name, m, tc.code, tc.message)
			}
			continue
		}
		if tc.check != nil {
			t.Run(name, func(t *testing.T) { tc.check(t, m) })
		}
		if tc.path == "/api/v1/processes/cat/stdin" { // the next case reads what cat wrote
			testkit.Eventually(t, 5*time.Second, func() bool {
				b, _ := os.ReadFile(filepath.Join(f.dir, "cat.log"))
				return string(b) == "meow\n"
			}, "cat echoes its stdin")
		}
	}
	if r := f.do("GET", "/api/v1/processes/sleeper", ""); r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", r.header)
	}
	if r := f.do("DELETE", "/api/v1/processes", ""); r.header.Get("Allow") != "GET" {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}
}

// Reread and update as `supervisorctl reread` and `update` do, and a
// config that no longer loads as CANT_REREAD naming its file and line.
func TestConfigRoutes(t *testing.T) {
	f := startFixture(t, testConf)
	write := func(text string) {
		if err := os.WriteFile(f.conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	changes := func(r response) Changes {
		t.Helper()
		var c Changes
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		if err := json.Unmarshal(r.body, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	write(testConf + "[program:extra]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
	if c := changes(f.do("POST", "/api/v1/config/reread", "")); !reflect.DeepEqual(c, Changes{Added: []string{"extra"},
		Changed: []string{}, Removed: []string{}}) {
		t.Errorf("reread: %+v", c)
	}
	var u Update
	if r := f.do("POST", "/api/v1/config/update", ""); r.status != 200 || json.Unmarshal(r.body, &u) != nil ||
		!reflect.DeepEqual(u, Update{Changes{Added: []string{"extra"}, Changed: []string{}, Removed: []string{}}, []string{}}) {
		t.Errorf("update: %d %s", r.status, r.body)
	}
	f.waitState("extra", "RUNNING")
	write(testConf)
	if r := f.do("POST", "/api/v1/config/update", ""); r.status != 200 || string(r.body) !=
		`{"added":[],"changed":[],"removed":["extra"],"errors":[]}`+"\n" {
		t.Errorf("update: %d %s", r.status, r.body)
	}
	if r := f.do("GET", "/api/v1/processes/extra", ""); r.status != 404 {
		t.Errorf("extra after its removal: %d %s", r.status, r.body)
	}
	write(testConf + "[program:bad]\n")
	for _, path := range []string{"/api/v1/config/reread", "/api/v1/config/update"} {
		r := f.do("POST", path, "")
		m := r.json(t)
		if r.status != 500 || m["code"] != "CANT_REREAD" || !strings.Contains(m["message"].(string), "program section program:bad does not specify a command") {
			t.Errorf("%s with a bad config: %d %v", path, r.status, m)
		}
	}
}

// Shutdown and restart go through the daemon's own path (the XML-RPC
// API's): the daemon's state changes for both APIs, and from then on an
// action is refused with SHUTDOWN_STATE while reads still answer.
func TestDaemonRoutes(t *testing.T) {
	for _, tc := range []struct {
		path, state string
	}{{"/api/v1/daemon/shutdown", "SHUTDOWN"}, {"/api/v1/daemon/restart", "RESTARTING"}} {
		t.Run(tc.state, func(t *testing.T) {
			f := startFixture(t, testConf)
			r := f.do("POST", tc.path, "")
			if m := r.json(t); r.status != 202 || m["state"].(map[string]any)["name"] != tc.state {
				t.Errorf("%s: %d %v", tc.path, r.status, m)
			}
			if f.shutdowns.Load()+f.restarts.Load() != 1 {
				t.Errorf("shutdowns %d, restarts %d", f.shutdowns.Load(), f.restarts.Load())
			}
			if code, name := f.rpc.State(); name != tc.state || code > 0 {
				t.Errorf("XML-RPC state %d %s", code, name)
			}
			for _, path := range []string{"/api/v1/processes/slow/start", tc.path, "/api/v1/config/reread"} {
				r := f.do("POST", path, "")
				if m := r.json(t); r.status != 503 || m["code"] != "SHUTDOWN_STATE" {
					t.Errorf("%s while stopping: %d %v", path, r.status, m)
				}
			}
			if r := f.do("GET", "/api/v1/processes/sleeper", ""); r.status != 200 {
				t.Errorf("a read while stopping: %d", r.status)
			}
		})
	}
}

// Once the tree is down every route that asks it answers SHUTDOWN_STATE.
func TestTreeDown(t *testing.T) {
	f := startFixture(t, testConf)
	f.tree.Shutdown()
	<-f.tree.Done()
	for _, path := range []string{"/api/v1/processes", "/api/v1/groups", "/api/v1/processes/cat", "/api/v1/events"} {
		r := f.do("GET", path, "")
		if m := r.json(t); r.status != 503 || m["code"] != "SHUTDOWN_STATE" {
			t.Errorf("%s: %d %v", path, r.status, m)
		}
	}
}
