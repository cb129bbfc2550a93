package webui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/auth"
	"supervisord/internal/rpcinterface"
	"supervisord/testkit"
)

const testConf = `
[supervisord]
logfile=%(here)s/main.log
childlogdir=%(here)s
[program:sleeper]
command=/bin/sleep 1000
startsecs=0
[program:cat]
command=/bin/cat
startsecs=0
stdout_logfile=%(here)s/cat.log
[program:fail]
command=/bin/false
autostart=false
startretries=0
[program:missing]
command=/no/such/thing
autostart=false
stdout_logfile=NONE
[group:web]
programs=w
[program:w]
command=/bin/sleep 1000
process_name=%(program_name)s_%(process_num)d
numprocs=2
startsecs=0
`

// fixture is a real tree behind the page, served by httptest without the
// daemon's auth (package httpserver tests that).
type fixture struct {
	t    *testing.T
	url  string
	dir  string
	api  *rpcinterface.Handler
	page *Handler
	tree *actors.Daemon
	logs *testkit.SyncBuffer // the main log
}

func start(t *testing.T) *fixture {
	t.Helper()
	return startWith(t, nil)
}

// startWith is start with a History for the process page.
func startWith(t *testing.T, history func(group, name string) (any, bool)) *fixture {
	t.Helper()
	return startOpts(t, func(o *Options) { o.History = history })
}

// startOpts is start with the page's options set by set. The server puts
// the principal a request's X-Test-Role header names (read, operate,
// admin) in its context, as the daemon's server does for an account.
func startOpts(t *testing.T, set func(*Options)) *fixture {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(path, []byte(testConf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	logs := &testkit.SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	d, err := actors.Start(cfg, actors.Options{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	api := rpcinterface.New(rpcinterface.Options{Tree: d, Config: cfg, PID: os.Getpid(), Log: log,
		Shutdown: func() {}, Restart: func() {}, Reread: func() (*conf.Config, error) { return conf.Load(path) }})
	opts := Options{Tree: d, Log: log, Identifier: "test"}
	set(&opts)
	page, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name := r.Header.Get("X-Test-Role"); name != "" {
			role, err := auth.ParseRole(name)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r = r.WithContext(auth.With(r.Context(), auth.Principal{User: name + "-user", Role: role}))
		}
		page.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		page.Close()
		srv.Close()
		d.Shutdown()
		<-d.Done()
	})
	f := &fixture{t: t, url: srv.URL, dir: dir, api: api, page: page, tree: d, logs: logs}
	for _, name := range []string{"sleeper", "cat", "web:w_0", "web:w_1"} {
		f.waitState(name, "RUNNING")
	}
	return f
}

// state is a process's state; the process actors may not be up yet just
// after the tree started, which reads as "".
func (f *fixture) state(spec string) string {
	g, n := conf.SplitNamespec(spec)
	in, err := f.tree.Info(context.Background(), g, n)
	if err != nil {
		return ""
	}
	return in.State.String()
}

func (f *fixture) waitState(spec, want string) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for f.state(spec) != want {
		if time.Now().After(deadline) {
			f.t.Fatalf("%s is %s, want %s", spec, f.state(spec), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// do sends a request without following redirects.
func (f *fixture) do(method, path string, body url.Values, header ...string) (*http.Response, string) {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(body.Encode())
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// message is the ?message= a redirect after an action carries.
func message(t *testing.T, resp *http.Response) string {
	t.Helper()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(resp.Header.Get("Location"), "./?message=") {
		t.Fatalf("status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("message")
}

func TestStatusPage(t *testing.T) {
	f := start(t)
	resp, body := f.do("GET", "/", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html;charset=utf-8" {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`<tr id="p:sleeper" class="proc" data-name="sleeper" data-state="RUNNING"`,
		`<span class="badge state-running">running</span>`,
		`<tr id="p:fail" class="proc" data-name="fail" data-state="STOPPED"`,
		`<td class="desc">Not started</td>`,
		`<button name="action" value="stop" class="act-stop">Stop</button>`,
		`href="tail.html?processname=web%3aw_1"`,
		`<span class="group-name">web</span>`,
		`<button name="action" value="stopall"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// A program alone in its group has no group header.
	if strings.Count(body, `class="group-head"`) != 1 {
		t.Errorf("want one group header (web), page:\n%s", body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	_, body = f.do("GET", "/index.html?filter=W_", nil)
	if !strings.Contains(body, `<tr id="p:sleeper" class="proc" data-name="sleeper" data-state="RUNNING" data-pid=`) ||
		!strings.Contains(body, `data-group="sleeper" hidden`) || strings.Contains(body, `data-group="web" hidden`) {
		t.Errorf("filter W_ should hide every group but web:\n%s", body)
	}
	_, body = f.do("GET", "/?message=Process+x+stopped", nil)
	if !strings.Contains(body, `<div id="message" class="message shown" role="status" aria-live="polite">Process x stopped</div>`) {
		t.Errorf("message not shown:\n%s", body)
	}
	_, body = f.do("GET", "/?message=ERROR%3A+<b>", nil)
	if !strings.Contains(body, `class="message shown error"`) || !strings.Contains(body, "ERROR: &lt;b&gt;") {
		t.Errorf("error message not shown escaped:\n%s", body)
	}
}

// The reference's URLs act and redirect with its messages (checked
// against the reference itself by TestLegacyURLsMatchReference).
func TestLegacyActions(t *testing.T) {
	f := start(t)
	for _, tc := range []struct{ query, want, state string }{
		{"processname=sleeper&action=stop", "Process sleeper stopped", "STOPPED"},
		{"processname=sleeper&action=stop", "unexpected rpc fault [70] NOT_RUNNING: sleeper", "STOPPED"},
		{"processname=sleeper&action=start", "Process sleeper started", "RUNNING"},
		{"processname=sleeper&action=start", "ERROR: Process sleeper: already started", "RUNNING"},
		{"processname=sleeper&action=restart", "Process sleeper restarted", "RUNNING"},
		{"processname=nope&action=start", "No such process named nope", ""},
		{"processname=web:*&action=stop", "No such process named web:*", ""},
		{"processname=web:w_1&action=stop", "Process web:w_1 stopped", ""},
		{"processname=fail&action=start", "ERROR: Process fail: spawn error", ""},
		{"processname=missing&action=start", "ERROR: Process missing: no such file", ""},
		{"processname=cat&action=clearlog", "Log for cat cleared", ""},
		{"action=refresh", "Page refreshed at ", ""},
	} {
		resp, _ := f.do("GET", "/index.html?"+tc.query, nil)
		if resp.StatusCode != http.StatusMovedPermanently {
			t.Errorf("%s: status %d", tc.query, resp.StatusCode)
			continue
		}
		if got := message(t, resp); !strings.HasPrefix(got, tc.want) || (!strings.HasSuffix(tc.want, " ") && got != tc.want) {
			t.Errorf("%s: message %q, want %q", tc.query, got, tc.want)
		}
		if tc.state != "" {
			if got := f.state("sleeper"); got != tc.state {
				t.Errorf("%s: sleeper %s, want %s", tc.query, got, tc.state)
			}
		}
	}
	// "/" is index.html too, and the redirect's message is quoted as
	// Python quotes it.
	resp, _ := f.do("GET", "/?processname=web:w_1&action=start", nil)
	if loc := resp.Header.Get("Location"); loc != "./?message=Process%20web%3Aw_1%20started" {
		t.Errorf("Location %q", loc)
	}
	if resp, body := f.do("GET", "/index.html?action=bogus", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown action: %d %s", resp.StatusCode, body)
	}
	if resp, _ := f.do("GET", "/index.html?action=stop", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("stop without a name: %d", resp.StatusCode)
	}
}

// Our own actions: per group and for all, by form POST (303) or by the
// page's fetch (JSON).
func TestGroupAndAllActions(t *testing.T) {
	f := start(t)
	json := func(form url.Values) (int, map[string]any) {
		resp, body := f.do("POST", "/index.html", form, "Accept", "application/json", "Sec-Fetch-Site", "same-origin")
		var m map[string]any
		if err := jsonUnmarshal(body, &m); err != nil {
			t.Fatalf("%v: %v in %q", form, err, body)
		}
		return resp.StatusCode, m
	}
	code, m := json(url.Values{"action": {"stopgroup"}, "group": {"web"}})
	if code != 200 || m["message"] != "Group web stopped" || m["error"] != false {
		t.Errorf("stopgroup: %d %v", code, m)
	}
	if f.state("web:w_0") != "STOPPED" || f.state("web:w_1") != "STOPPED" || f.state("sleeper") != "RUNNING" {
		t.Errorf("after stopgroup: %s %s %s", f.state("web:w_0"), f.state("web:w_1"), f.state("sleeper"))
	}
	_, m = json(url.Values{"action": {"startgroup"}, "group": {"nope"}})
	if m["message"] != "No such group named nope" || m["error"] != true {
		t.Errorf("startgroup nope: %v", m)
	}
	_, m = json(url.Values{"action": {"restartgroup"}, "group": {"web"}})
	if m["message"] != "Group web restarted" || f.state("web:w_1") != "RUNNING" {
		t.Errorf("restartgroup: %v, w_1 %s", m, f.state("web:w_1"))
	}
	_, m = json(url.Values{"action": {"rollinggroup"}, "group": {"web"}})
	if m["message"] != "Group web restarted one at a time" || m["error"] != false || f.state("web:w_1") != "RUNNING" {
		t.Errorf("rollinggroup: %v, w_1 %s", m, f.state("web:w_1"))
	}
	_, m = json(url.Values{"action": {"scalegroup"}, "group": {"web"}, "instances": {"3"}})
	if msg, _ := m["message"].(string); m["error"] != true || !strings.Contains(msg, "BAD_ARGUMENTS: web is not one [program:x]") {
		t.Errorf("scalegroup of a [group:]: %v", m)
	}
	_, m = json(url.Values{"action": {"scalegroup"}, "group": {"sleeper"}, "instances": {"x"}})
	if m["message"] != "ERROR: scale sleeper: instances must be a number of 0 or more" || m["error"] != true {
		t.Errorf("scalegroup x: %v", m)
	}
	_, m = json(url.Values{"action": {"scalegroup"}, "group": {"sleeper"}, "instances": {"1"}})
	if m["message"] != "Group sleeper scaled to 1" || m["error"] != false || f.state("sleeper") != "RUNNING" {
		t.Errorf("scalegroup sleeper 1: %v", m)
	}
	if _, err := f.api.Call(context.Background(), "supervisor.disableProcess", []any{"cat"}); err != nil {
		t.Fatal(err)
	}
	_, m = json(url.Values{"action": {"enable"}, "processname": {"cat"}})
	if m["message"] != "Process cat enabled" || m["error"] != false {
		t.Errorf("enable: %v", m)
	}
	_, m = json(url.Values{"action": {"stopall"}})
	if msg, _ := m["message"].(string); !strings.HasPrefix(msg, "All stopped at ") || f.state("cat") != "STOPPED" {
		t.Errorf("stopall: %v, cat %s", m, f.state("cat"))
	}
	// startall also tries fail and missing, which do not start.
	_, m = json(url.Values{"action": {"startall"}})
	msg, _ := m["message"].(string)
	if !strings.HasPrefix(msg, "All started at ") || !strings.Contains(msg, " with errors: ") ||
		!strings.Contains(msg, "fail: SPAWN_ERROR: fail") || !strings.Contains(msg, "missing: NO_FILE") ||
		m["error"] != true || f.state("sleeper") != "RUNNING" {
		t.Errorf("startall: %v", m)
	}
	// A form without script: 303 to the page with the message.
	resp, _ := f.do("POST", "/", url.Values{"action": {"stop"}, "processname": {"cat"}})
	if resp.StatusCode != http.StatusSeeOther || message(t, resp) != "Process cat stopped" {
		t.Errorf("form POST: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// Actions a browser says come from elsewhere are refused; scripts, which
// send no such headers, are not.
func TestCrossSiteRefused(t *testing.T) {
	f := start(t)
	for _, tc := range []struct {
		name, method string
		header       []string
	}{
		{"link from another site", "GET", []string{"Sec-Fetch-Site", "cross-site"}},
		{"link from a sibling port", "GET", []string{"Sec-Fetch-Site", "same-site"}},
		{"form from another site", "POST", []string{"Sec-Fetch-Site", "cross-site"}},
		{"old browser's form", "POST", []string{"Origin", "http://evil.example"}},
		{"fetch from another site", "POST", []string{"Sec-Fetch-Site", "cross-site", "Accept", "application/json"}},
	} {
		var resp *http.Response
		var body string
		if tc.method == "GET" {
			resp, body = f.do("GET", "/index.html?processname=sleeper&action=stop", nil, tc.header...)
		} else {
			resp, body = f.do("POST", "/index.html", url.Values{"processname": {"sleeper"}, "action": {"stop"}}, tc.header...)
		}
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "refused a request from another site") {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, body)
		}
		if tc.method == "GET" && !strings.Contains(body, `<form class="confirm" method="post" action="index.html"><input type="hidden" name="action" value="stop"><input type="hidden" name="processname" value="sleeper">`) {
			t.Errorf("%s: no confirm form:\n%s", tc.name, body)
		}
		if s := f.state("sleeper"); s != "RUNNING" {
			t.Fatalf("%s: sleeper %s after a refused stop", tc.name, s)
		}
	}
	// The page's own requests and plain GETs without an action pass.
	resp, _ := f.do("GET", "/index.html?processname=sleeper&action=stop", nil, "Sec-Fetch-Site", "same-origin")
	if message(t, resp) != "Process sleeper stopped" {
		t.Errorf("same-origin stop refused")
	}
	u, _ := url.Parse(f.url)
	resp, _ = f.do("POST", "/index.html", url.Values{"processname": {"sleeper"}, "action": {"start"}}, "Origin", "http://"+u.Host)
	if message(t, resp) != "Process sleeper started" {
		t.Errorf("same-origin start refused")
	}
	if resp, _ := f.do("GET", "/", nil, "Sec-Fetch-Site", "cross-site"); resp.StatusCode != 200 {
		t.Errorf("viewing from a link: %d", resp.StatusCode)
	}
}

func TestTailPage(t *testing.T) {
	f := start(t)
	if _, err := f.api.Call(context.Background(), "supervisor.sendProcessStdin", []any{"cat", "<meow>\n"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	var body string
	for {
		_, body = f.do("GET", "/tail.html?processname=cat", nil)
		if strings.Contains(body, `data-offset="7" data-follow="true" data-placeholder="false">&lt;meow&gt;`+"\n</pre>") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tail of cat:\n%s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(body, "<title>Supervisor tail of process cat</title>") ||
		!strings.Contains(body, `href="tail.html?processname=cat&amp;limit=1024">Refresh</a>`) {
		t.Errorf("tail page:\n%s", body)
	}
	for _, tc := range []struct{ query, want string }{
		{"", `data-placeholder="true">No process name found</pre>`},
		{"?processname=nope", `data-placeholder="true">ERROR: unexpected rpc fault [10] BAD_NAME: nope</pre>`},
		{"?processname=missing", `data-follow="false" data-placeholder="true">No file for missing</pre>`},
		{"?processname=cat&limit=5000", `limit=5000">Refresh`},
		{"?processname=cat&limit=10", `limit=1024">Refresh`},
		{"?processname=cat&channel=stderr", `<title>Supervisor tail of process cat (stderr)</title>`},
	} {
		if _, body := f.do("GET", "/tail.html"+tc.query, nil); !strings.Contains(body, tc.want) {
			t.Errorf("tail.html%s lacks %s:\n%s", tc.query, tc.want, body)
		}
	}
}

func TestMisc(t *testing.T) {
	f := start(t)
	if resp, body := f.do("GET", "/ok.html", nil); resp.StatusCode != 200 || body != "OK" {
		t.Errorf("ok.html: %d %q", resp.StatusCode, body)
	}
	for _, p := range []string{"/nope", "/ui/nope.js", "/stylesheets/supervisor.css", "/ui/status.html", "/ui/layout.html"} {
		if resp, _ := f.do("GET", p, nil); resp.StatusCode != 404 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	if resp, _ := f.do("HEAD", "/index.html?processname=sleeper&action=stop", nil); resp.StatusCode != 200 || f.state("sleeper") != "RUNNING" {
		t.Errorf("HEAD with an action: %d, sleeper %s", resp.StatusCode, f.state("sleeper"))
	}
	if resp, _ := f.do("DELETE", "/", nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /: %d", resp.StatusCode)
	}
	resp, body := f.do("GET", "/ui/stream.js", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "EventSource") || resp.Header.Get("ETag") == "" {
		t.Fatalf("stream.js: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := f.do("GET", "/ui/stream.js", nil, "If-None-Match", resp.Header.Get("ETag")); resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d", resp.StatusCode)
	}
}

// events reads a stream's events into a channel until the body ends.
func (f *fixture) events(path string, header ...string) (<-chan testkit.SSEEvent, func()) {
	f.t.Helper()
	return testkit.SSE(f.t, f.url+path, header...)
}

// next returns the next event named name (skipping others) whose data
// holds sub.
func next(t *testing.T, ch <-chan testkit.SSEEvent, name, sub string) testkit.SSEEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended before a %s event with %q", name, sub)
			}
			if ev.Event == name && strings.Contains(ev.Data, sub) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event with %q", name, sub)
		}
	}
}

func TestStatusEvents(t *testing.T) {
	f := start(t)
	ch, _ := f.events("/ui/events")
	snap := next(t, ch, "snapshot", "")
	var m struct {
		HTML     string
		Stopping bool
	}
	if err := jsonUnmarshal(snap.Data, &m); err != nil || !strings.Contains(m.HTML, `id="p:web:w_1"`) || m.Stopping {
		t.Fatalf("snapshot %v: %s", err, snap.Data)
	}
	if _, err := f.api.Call(context.Background(), "supervisor.stopProcess", []any{"web:w_1"}); err != nil {
		t.Fatal(err)
	}
	ev := next(t, ch, "process", `data-state=\"STOPPED\"`)
	if err := jsonUnmarshal(ev.Data, &m); err != nil || !strings.Contains(ev.Data, `"namespec":"web:w_1"`) ||
		!strings.HasPrefix(m.HTML, `<tr id="p:web:w_1" class="proc"`) || !strings.Contains(m.HTML, `value="start"`) {
		t.Errorf("process event: %s", ev.Data)
	}
	// The tree going down ends the stream once its processes are stopped.
	f.tree.Shutdown()
	next(t, ch, "supervisor", `"down":true`)
	timeout := time.After(30 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("the stream outlived the tree")
		}
	}
}

func TestTailEvents(t *testing.T) {
	f := start(t)
	send := func(s string) {
		if _, err := f.api.Call(context.Background(), "supervisor.sendProcessStdin", []any{"cat", s}); err != nil {
			t.Fatal(err)
		}
	}
	send("one\n")
	log := filepath.Join(f.dir, "cat.log")
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if b, _ := os.ReadFile(log); string(b) == "one\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("cat did not log")
		}
	}
	ch, _ := f.events("/ui/tail?processname=cat&offset=4")
	send("two ünïcode\n")
	ev := next(t, ch, "", "two")
	if ev.Data != `{"t":"two ünïcode\n"}` || ev.ID != fmt.Sprint(4+len("two ünïcode\n")) {
		t.Errorf("event %+v", ev)
	}
	// Clearing the log replaces its file; truncating it is seen too.
	if _, err := f.api.Call(context.Background(), "supervisor.clearProcessLogs", []any{"cat"}); err != nil {
		t.Fatal(err)
	}
	next(t, ch, "reset", `"reason":"rotated"`)
	send("three\n")
	if ev := next(t, ch, "", "three"); ev.ID != "6" {
		t.Errorf("after clearing: %+v", ev)
	}
	if err := os.Truncate(log, 0); err != nil {
		t.Fatal(err)
	}
	next(t, ch, "reset", `"reason":"truncated"`)
	send("three\n")
	if ev := next(t, ch, "", "three"); ev.ID != "6" {
		t.Errorf("after truncation: %+v", ev)
	}
	// Without an offset the stream starts with the last KiB; a reconnect
	// goes on from the last event it saw.
	ch2, _ := f.events("/ui/tail?processname=cat")
	next(t, ch2, "", `"three\n"`)
	req, _ := http.NewRequest("GET", f.url+"/ui/tail?processname=cat&offset=0", nil)
	req.Header.Set("Last-Event-ID", "6")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body) // ends at the timeout
	resp.Body.Close()
	if strings.Contains(string(b), "three") {
		t.Errorf("resumed stream repeats what was seen: %q", b)
	}
	// A character written in two pieces is sent whole, in one event.
	appendLog := func(s string) {
		f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.WriteString(s)
	}
	appendLog("\xc3")
	appendLog("\xa9!\n")
	if ev := next(t, ch, "", "!"); ev.Data != `{"t":"é!\n"}` || ev.ID != "10" {
		t.Errorf("a character in two writes: %+v", ev)
	}
	for _, q := range []string{"processname=nope", "processname=missing", ""} {
		if resp, _ := f.do("GET", "/ui/tail?"+q, nil); resp.StatusCode != 404 {
			t.Errorf("tail %s: %d", q, resp.StatusCode)
		}
	}
}

func TestQuote(t *testing.T) {
	if got := quote("ERROR: Process a:b_c-1.x~/ [x]"); got != "ERROR%3A%20Process%20a%3Ab_c-1.x~/%20%5Bx%5D" {
		t.Errorf("quote: %s", got)
	}
}
