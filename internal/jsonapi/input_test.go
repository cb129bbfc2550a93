package jsonapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"supervisord/internal/auth"
)

// Bodies and queries are read strictly: whatever a route does not take is
// refused with 400 naming it, before anything is done.
func TestStrictInput(t *testing.T) {
	f := startFixture(t, testConf)
	signal := "/api/v1/processes/sleeper/signal"
	for _, tc := range []struct {
		method, path, body string
		ctype              string // "" is application/json when there is a body
		status             int
		code, message      string
	}{
		{"POST", signal, `{"signal":"CONT","x":1}`, "", 400, "BAD_ARGUMENTS", `unknown field "x"`},
		{"POST", signal, `{"signal":"CONT"} {}`, "", 400, "BAD_ARGUMENTS", "the body holds more than one JSON value"},
		{"POST", signal, `{"signal":"CONT"}x`, "", 400, "BAD_ARGUMENTS", "the body holds more than one JSON value"},
		{"POST", signal, `{"signal":15}`, "", 400, "BAD_ARGUMENTS", "field signal must be a string, not number"},
		{"POST", signal, `{"signal":["HUP"]}`, "", 400, "BAD_ARGUMENTS", "field signal must be a string, not array"},
		{"POST", signal, `{"signal":null}`, "", 400, "BAD_ARGUMENTS", "field signal is required"},
		{"POST", signal, `{}`, "", 400, "BAD_ARGUMENTS", "field signal is required"},
		{"POST", signal, `["HUP"]`, "", 400, "BAD_ARGUMENTS", "the body must be a JSON object, not array"},
		{"POST", signal, `"HUP"`, "", 400, "BAD_ARGUMENTS", "the body must be a JSON object, not string"},
		{"POST", signal, `{"signal":"HUP"`, "", 400, "BAD_ARGUMENTS", "the body ends inside its JSON value"},
		{"POST", signal, `{"signal":'HUP'}`, "", 400, "BAD_ARGUMENTS", "the body is not valid JSON at byte 11: invalid character '\\'' looking for beginning of value"},
		{"POST", signal, "", "", 400, "BAD_ARGUMENTS", "the body is empty; this route takes a JSON object"},
		{"POST", signal, `{"signal":"HUP"}`, "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE", "the body must be application/json, not text/plain"},
		{"POST", signal, "signal=HUP", "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE", ""},
		{"POST", signal, `{"signal":"` + strings.Repeat("x", maxBody) + `"}`, "", 413, "BODY_TOO_LARGE", "the body is larger than 1048576 bytes"},
		{"POST", "/api/v1/processes/cat/stdin", `{"data":5}`, "", 400, "BAD_ARGUMENTS", "field data must be a string, not number"},
		{"POST", "/api/v1/processes/cat/stdin", `{"chars":"x"}`, "", 400, "BAD_ARGUMENTS", `unknown field "chars"`},
		{"POST", "/api/v1/processes/cat/stdin", `{}`, "", 400, "BAD_ARGUMENTS", "field data is required"},
		{"POST", "/api/v1/processes/slow/start", `{"wait":true}`, "", 400, "BAD_ARGUMENTS", "this route takes no body"},
		{"POST", "/api/v1/processes/slow/start?wait=yes", "", "", 400, "BAD_ARGUMENTS", `query parameter wait: "yes" is not true or false`},
		{"POST", "/api/v1/processes/slow/start?wait=true&wait=false", "", "", 400, "BAD_ARGUMENTS", "query parameter wait is given 2 times"},
		{"POST", "/api/v1/processes/slow/start?nowait=1", "", "", 400, "BAD_ARGUMENTS", `unknown query parameter "nowait" (this route takes wait)`},
		{"GET", "/api/v1/processes?all=1", "", "", 400, "BAD_ARGUMENTS", `unknown query parameter "all" (this route takes none)`},
		{"GET", "/api/v1/processes/cat/log/stdout?offset=1&length=1.5", "", "", 400, "BAD_ARGUMENTS", `query parameter length: "1.5" is not an integer`},
		{"GET", "/api/v1/processes?%zz", "", "", 400, "BAD_ARGUMENTS", ""},
		{"GET", "/api/v1/events?types=PROCESS_STATE,NOPE", "", "", 400, "BAD_ARGUMENTS", `query parameter types: no event type "NOPE"`},
		{"GET", "/api/v1/events?since=12x", "", "", 400, "BAD_ARGUMENTS", `event id "12x" is not EPOCH-SEQ or SEQ`},
		{"GET", "/api/v1/events?since=zz-1", "", "", 400, "BAD_ARGUMENTS", `the epoch of event id "zz-1" is not hexadecimal`},
	} {
		req, _ := http.NewRequest(tc.method, f.url+tc.path, strings.NewReader(tc.body))
		ct := tc.ctype
		if ct == "" && tc.body != "" {
			ct = "application/json"
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r := response{status: resp.StatusCode}
		r.body = readAll(resp)
		m := r.json(t)
		if r.status != tc.status || m["code"] != tc.code || tc.message != "" && m["message"] != tc.message {
			t.Errorf("%s %s %.40q: %d %v; want %d %s %q", tc.method, tc.path, tc.body, r.status, m, tc.status, tc.code, tc.message)
		}
	}
	// Nothing refused was done: slow never started, and no refusal left
	// an audit line.
	if s := f.statename("slow"); s != "STOPPED" {
		t.Errorf("slow is %s", s)
	}
	if f.log.has("POST /api/v1/processes/slow/start") || f.log.has("signal") {
		t.Errorf("a refused request was audited: %q", f.log.msgs)
	}
}

// Each route declares the least role it needs: reads need read, actions
// on processes (this node's or the fleet's) operate, changes to the daemon and its config admin; the
// OpenAPI document anyone who got past authentication.
func TestRouteRoles(t *testing.T) {
	for _, rt := range table() {
		want := auth.Read
		switch {
		case rt.path == "/openapi.json":
			want = auth.None
		case rt.method == "POST" && (strings.HasPrefix(rt.path, "/processes/") || strings.HasPrefix(rt.path, "/groups/") ||
			strings.HasPrefix(rt.path, "/all/") || strings.HasPrefix(rt.path, "/fleet/") || rt.path == "/rolling-restart"):
			want = auth.Operate
		case rt.method == "POST":
			want = auth.Admin
		}
		if rt.role != want {
			t.Errorf("%s %s needs %s, want %s", rt.method, rt.path, rt.role, want)
		}
	}
}

// A principal below a route's role gets 403 and nothing happens; at or
// above it the request goes through, and a mutating one leaves an audit
// line naming who, what and from where. Every route, every role, without
// a tree: the checks come before the route asks it anything.
func TestRolesEnforced(t *testing.T) {
	f := startFixture(t, testConf)
	roles := []string{"none", "read", "operate", "admin"}
	for _, rt := range f.api.routes {
		path := Prefix + strings.NewReplacer("{name}", "nosuch", "{stream}", "stdout").Replace(rt.path)
		body := ""
		switch {
		case rt.body == nil:
		case rt.path == "/fleet/signal":
			body = `{"signal":"CONT","names":["nosuch"]}`
		case strings.HasSuffix(rt.path, "/scale"):
			body = `{"instances":1}`
		case strings.HasPrefix(rt.path, "/fleet/"), rt.path == "/rolling-restart":
			body = `{"names":["nosuch"]}`
		case strings.HasSuffix(rt.path, "/signal"):
			body = `{"signal":"CONT"}`
		default:
			body = `{"data":""}`
		}
		for i, role := range roles {
			if rt.path == "/daemon/shutdown" || rt.path == "/daemon/restart" || rt.path == "/events" ||
				strings.HasSuffix(rt.path, "/follow") {
				if auth.Role(i) >= rt.role {
					continue // allowed: tried in their own tests
				}
			}
			r := f.do(rt.method, path, body, "X-Test-Role", role)
			m := r.json(t)
			if refused := r.status == 403; refused != (auth.Role(i) < rt.role) {
				t.Errorf("%s %s as %s: %d %v", rt.method, path, role, r.status, m)
				continue
			}
			if r.status == 403 && (m["code"] != "FORBIDDEN" ||
				m["message"] != rt.method+" "+path+" needs the "+rt.role.String()+" role; tester has "+role) {
				t.Errorf("%s %s as %s: %v", rt.method, path, role, m)
			}
			audited := f.log.count(rt.method+" "+path+" ") - f.log.count(rt.method+" "+path+" refused")
			if want := auth.Role(i) >= rt.role && rt.method == "POST"; (audited > 0) != want {
				t.Errorf("%s %s as %s: audited %d times", rt.method, path, role, audited)
			}
			f.log.reset()
		}
	}
	// The line says who, what and from where.
	f.do("POST", "/api/v1/processes/slow/start?wait=false", "", "X-Test-Role", "operate")
	if !f.log.has("POST /api/v1/processes/slow/start wait=false by tester (operate) from 192.0.2.1:4242") {
		t.Errorf("audit lines: %q", f.log.msgs)
	}
	f.do("POST", "/api/v1/processes/cat/stdin", `{"data":"secret"}`, "X-Test-Role", "admin")
	if !f.log.has("POST /api/v1/processes/cat/stdin (6 bytes) by tester (admin)") || f.log.has("stdin secret") {
		t.Errorf("audit lines: %q", f.log.msgs)
	}
	f.do("POST", "/api/v1/processes/nosuch/start", "", "X-Test-Role", "read")
	if !f.log.has("POST /api/v1/processes/nosuch/start refused: it needs the operate role, tester has read") {
		t.Errorf("no line for a refusal")
	}
}

// A browser's cross-origin request cannot act, even for an admin; one
// from the page's own origin, or a script that sends no such header, can.
func TestCrossOrigin(t *testing.T) {
	f := startFixture(t, testConf)
	r := f.do("POST", "/api/v1/processes/slow/start", "", "Sec-Fetch-Site", "cross-site")
	if m := r.json(t); r.status != 403 || m["code"] != "FORBIDDEN" {
		t.Errorf("cross-site: %d %v", r.status, m)
	}
	if r := f.do("GET", "/api/v1/processes", "", "Sec-Fetch-Site", "cross-site"); r.status != 200 {
		t.Errorf("a cross-site read: %d", r.status)
	}
	if r := f.do("POST", "/api/v1/processes/slow/start", "", "Sec-Fetch-Site", "same-origin"); r.status != 200 {
		t.Errorf("same-origin: %d %s", r.status, r.body)
	}
}

func readAll(resp *http.Response) []byte {
	defer resp.Body.Close()
	rec := httptest.NewRecorder()
	rec.Body.ReadFrom(resp.Body)
	return rec.Body.Bytes()
}
