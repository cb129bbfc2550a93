package webui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/auth"
	"supervisord/internal/fleet"
	"supervisord/protocol/events"
	"supervisord/protocol/selector"
	"supervisord/protocol/xmlrpc"
	"supervisord/testkit"
)

// fakeFleet is a fleet of three nodes as a gateway shows it: web-1 (this
// node) and web-2, which answer, and db-1, which does not. It selects
// nodes as the real gateway does (fleet.Node.Matches), records each
// action and carries it out on its processes.
type fakeFleet struct {
	mu    sync.Mutex
	nodes []fleet.Node               // in name order
	procs map[string][]fleet.Process // each node's
	down  map[string]bool            // nodes that do not answer
	acts  []fakeAct
}

// fakeAct is one Act call: its verb, the nodes its selector picked and
// the names.
type fakeAct struct {
	Verb         string
	Nodes, Names []string
}

func (a fakeAct) String() string {
	return a.Verb + " " + strings.Join(a.Names, ",") + " on " + strings.Join(a.Nodes, ",")
}

func newFakeFleet() *fakeFleet {
	f := &fakeFleet{
		nodes: []fleet.Node{
			{Name: "db-1", Labels: map[string]string{"role": "db", "zone": "a"}, State: "suspect"},
			{Name: "web-1", Labels: map[string]string{"role": "web", "zone": "a"}, State: "alive", Self: true},
			{Name: "web-2", Labels: map[string]string{"role": "web", "zone": "b"}, State: "alive"},
		},
		procs: map[string][]fleet.Process{},
		down:  map[string]bool{"db-1": true},
	}
	for _, p := range []struct {
		node, group, name string
		state             actors.State
	}{
		{"db-1", "db", "db", actors.Running},
		{"web-1", "sleeper", "sleeper", actors.Running},
		{"web-1", "web", "w_0", actors.Running},
		{"web-1", "web", "w_1", actors.Running},
		{"web-2", "web", "w_0", actors.Running},
		{"web-2", "web", "w_1", actors.Stopped},
	} {
		f.procs[p.node] = append(f.procs[p.node], fleet.Process{Node: p.node, Group: p.group, Name: p.name})
		f.setLocked(p.node, conf.Namespec(p.group, p.name), p.state)
	}
	return f
}

// set puts a process of a node in a state.
func (f *fakeFleet) set(node, spec string, s actors.State) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setLocked(node, spec, s)
}

func (f *fakeFleet) setLocked(node, spec string, s actors.State) bool {
	for i, p := range f.procs[node] {
		if conf.Namespec(p.Group, p.Name) == spec {
			p.State, p.StateName = int(s), s.String()
			p.Description = "Not started"
			if s == actors.Running {
				p.Description = fmt.Sprintf("pid %d, uptime 0:01:0%d", 4200+i, i)
			}
			f.procs[node][i] = p
			return true
		}
	}
	return false
}

// describe changes a process's description alone (its uptime moved on).
func (f *fakeFleet) describe(node, spec, desc string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, p := range f.procs[node] {
		if conf.Namespec(p.Group, p.Name) == spec {
			f.procs[node][i].Description = desc
		}
	}
}

func (f *fakeFleet) actions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, a := range f.acts {
		out = append(out, a.String())
	}
	return out
}

func (f *fakeFleet) Nodes() []fleet.Node {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.nodes)
}

func (f *fakeFleet) Status(ctx context.Context, sel selector.Selector, names []string) []fleet.NodeReply {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fleet.NodeReply
	for _, n := range f.nodes {
		if !n.Matches(sel) {
			continue
		}
		r := fleet.NodeReply{Node: n.Name}
		if f.down[n.Name] {
			r.Err = fmt.Errorf("%w: no answer within 5s", fleet.ErrUnreachable)
		} else {
			r.Processes = slices.Clone(f.procs[n.Name])
		}
		out = append(out, r)
	}
	return out
}

func (f *fakeFleet) Act(ctx context.Context, a fleet.Action, sel selector.Selector, names []string) ([]fleet.NodeReply, error) {
	if a.Verb != "start" && a.Verb != "stop" && a.Verb != "restart" {
		return nil, fmt.Errorf("%w: %q", fleet.ErrBadVerb, a.Verb)
	}
	if len(names) == 0 {
		return nil, errors.New("fleet: name the processes to " + a.Verb)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	act := fakeAct{Verb: a.Verb, Names: names}
	var out []fleet.NodeReply
	for _, n := range f.nodes {
		if !n.Matches(sel) {
			continue
		}
		act.Nodes = append(act.Nodes, n.Name)
		r := fleet.NodeReply{Node: n.Name}
		if f.down[n.Name] {
			r.Err = fmt.Errorf("%w: no answer within 5s", fleet.ErrUnreachable)
			out = append(out, r)
			continue
		}
		for _, spec := range names {
			res := fleet.Result{Node: n.Name, Name: spec, Code: xmlrpc.FaultSuccess, Description: "OK"}
			running := false
			found := slices.ContainsFunc(f.procs[n.Name], func(p fleet.Process) bool {
				running = p.State == int(actors.Running)
				return conf.Namespec(p.Group, p.Name) == spec
			})
			switch {
			case !found:
				res.Code, res.Description = xmlrpc.FaultBadName, "BAD_NAME: "+spec
			case a.Verb == "stop" && !running:
				res.Code, res.Description = xmlrpc.FaultNotRunning, "NOT_RUNNING: "+spec
			case a.Verb == "start" && running:
				res.Code, res.Description = xmlrpc.FaultAlreadyStarted, "ALREADY_STARTED: "+spec
			case a.Verb == "stop":
				f.setLocked(n.Name, spec, actors.Stopped)
			default:
				f.setLocked(n.Name, spec, actors.Running)
			}
			r.Results = append(r.Results, res)
		}
		out = append(out, r)
	}
	f.acts = append(f.acts, act)
	return out, nil
}

var errNoStreams = errors.New("the fake fleet streams nothing")

func (f *fakeFleet) Events(context.Context, selector.Selector, []string) (<-chan fleet.Line, error) {
	return nil, errNoStreams
}

func (f *fakeFleet) Tail(context.Context, selector.Selector, string, string) (<-chan fleet.Line, error) {
	return nil, errNoStreams
}

var (
	headRE = regexp.MustCompile(`<th class="node( unreachable)?" scope="col" data-node="([^"]+)">`)
	rowRE  = regexp.MustCompile(`<tr class="prog" data-name="([^"]+)">`)
	cellRE = regexp.MustCompile(`<td class="cell( unknown| absent)?" data-node="([^"]+)"(?: data-state="([^"]+)")?`)
)

// gridOf is a fleet grid as lines: the nodes ("!" for unreachable), then
// each program with its state on each node ("?" unknown, "-" absent).
func gridOf(html string) string {
	var heads []string
	for _, m := range headRE.FindAllStringSubmatch(html, -1) {
		heads = append(heads, m[2]+map[bool]string{true: "!"}[m[1] != ""])
	}
	lines := []string{strings.Join(heads, " ")}
	rows := rowRE.FindAllStringSubmatchIndex(html, -1)
	for i, m := range rows {
		end := len(html)
		if i+1 < len(rows) {
			end = rows[i+1][0]
		}
		line := html[m[2]:m[3]] + ":"
		for _, c := range cellRE.FindAllStringSubmatch(html[m[1]:end], -1) {
			state := c[3]
			switch c[1] {
			case " unknown":
				state = "?"
			case " absent":
				state = "-"
			}
			line += " " + c[2] + "=" + state
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func startFleet(t *testing.T) (*fixture, *fakeFleet) {
	t.Helper()
	ff := newFakeFleet()
	return startOpts(t, func(o *Options) { o.Fleet = ff }), ff
}

// Not in a fleet: no view, no stream, no link.
func TestFleetNotInFleet(t *testing.T) {
	f := start(t)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/fleet.html"}, {"POST", "/fleet.html"}, {"GET", "/ui/fleet"},
	} {
		var form url.Values
		if tc.method == "POST" {
			form = url.Values{"action": {"stop"}, "processname": {"sleeper"}, "node": {"web-1"}}
		}
		if resp, _ := f.do(tc.method, tc.path, form); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s: %d", tc.method, tc.path, resp.StatusCode)
		}
	}
	if f.state("sleeper") != "RUNNING" {
		t.Error("a fleet action outside a fleet stopped a local process")
	}
	for _, p := range []string{"/", "/events.html", "/process.html?processname=cat"} {
		if _, body := f.do("GET", p, nil); strings.Contains(body, "fleet.html") {
			t.Errorf("%s links a fleet view", p)
		}
	}
}

// The grid: nodes across in name order with their labels and states, the
// unreachable one marked, programs down, each cell its state on its node.
func TestFleetView(t *testing.T) {
	f, _ := startFleet(t)
	resp, body := f.do("GET", "/fleet.html", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("fleet.html: %d %s", resp.StatusCode, body)
	}
	want := strings.Join([]string{
		"db-1! web-1 web-2",
		"sleeper: db-1=? web-1=RUNNING web-2=-",
		"web:w_0: db-1=? web-1=RUNNING web-2=RUNNING",
		"web:w_1: db-1=? web-1=RUNNING web-2=STOPPED",
	}, "\n")
	if got := gridOf(body); got != want {
		t.Errorf("grid:\n%s\nwant:\n%s", got, want)
	}
	for _, sub := range []string{
		`<span class="node-name">db-1</span><span class="labels">role=db,zone=a</span>`,
		`<span class="nstate nstate-suspect">suspect</span> <span class="unreach" title="unreachable: no answer within 5s">unreachable</span>`,
		`<span class="node-name">web-1</span> <small class="self">this node</small><span class="labels">role=web,zone=a</span>`,
		`<span class="badge state-running" title="pid 4201, uptime 0:01:01">running</span>`,
		`<td class="cell unknown" data-node="db-1" data-key="false true  []" title="db-1 did not answer">`,
		`<title>Supervisor fleet</title>`,
		`<h1 class="ident">Fleet · test</h1>`,
		`<table id="fleet" class="fleet" data-selector="">`,
	} {
		if !strings.Contains(body, sub) {
			t.Errorf("fleet.html lacks %s", sub)
		}
	}
	// Every page links the view.
	for _, p := range []string{"/", "/events.html", "/process.html?processname=cat"} {
		if _, body := f.do("GET", p, nil); !strings.Contains(body, `<a class="nav" href="fleet.html">Fleet</a>`) {
			t.Errorf("%s does not link the fleet view", p)
		}
	}

	// The selector picks the columns, by label or by name.
	for _, tc := range []struct{ sel, grid string }{
		{"role=web", "web-1 web-2\nsleeper: web-1=RUNNING web-2=-\nweb:w_0: web-1=RUNNING web-2=RUNNING\nweb:w_1: web-1=RUNNING web-2=STOPPED"},
		{"zone=a", "db-1! web-1\nsleeper: db-1=? web-1=RUNNING\nweb:w_0: db-1=? web-1=RUNNING\nweb:w_1: db-1=? web-1=RUNNING"},
		{"node=web-2", "web-2\nweb:w_0: web-2=RUNNING\nweb:w_1: web-2=STOPPED"},
		{"zone in (a, b), role!=web", "db-1!"},
		{"role=cache", ""},
	} {
		_, body := f.do("GET", "/fleet.html?selector="+url.QueryEscape(tc.sel), nil)
		if got := gridOf(body); got != tc.grid {
			t.Errorf("selector %q:\n%s\nwant:\n%s", tc.sel, got, tc.grid)
		}
		if !strings.Contains(body, `value="`+templateEscape(tc.sel)+`"`) {
			t.Errorf("selector %q not kept in its box", tc.sel)
		}
	}
	if _, body := f.do("GET", "/fleet.html?selector=role%3Dcache", nil); !strings.Contains(body, `<td colspan="1">No node is selected</td>`) {
		t.Errorf("no node selected:\n%s", body)
	}
	if _, body := f.do("GET", "/fleet.html?selector=zone%3Da,role%3Ddb", nil); !strings.Contains(body, `<td colspan="2">No programs on these nodes</td>`) {
		t.Errorf("no programs:\n%s", body)
	}

	// A selector that does not parse: its error, the box marked, no grid.
	resp, body = f.do("GET", "/fleet.html?selector="+url.QueryEscape("role in (web"), nil)
	want = `<div id="message" class="message shown error" role="status" aria-live="polite">ERROR: selector: expected &#39;,&#39; or &#39;)&#39; in a set of values at offset 12 of &#34;role in (web&#34;</div>`
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, want) ||
		!strings.Contains(body, `value="role in (web" autocomplete="off" spellcheck="false" aria-label="Select nodes by their labels" class="invalid" aria-invalid="true">`) ||
		strings.Contains(body, `id="fleet"`) {
		t.Errorf("a bad selector: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := f.do("GET", "/ui/fleet?selector="+url.QueryEscape("role in (web"), nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a stream with a bad selector: %d", resp.StatusCode)
	}
}

// templateEscape is text as html/template writes it in an attribute.
func templateEscape(s string) string {
	return strings.NewReplacer(`'`, "&#39;", `"`, "&#34;", "<", "&lt;", ">", "&gt;", "&", "&amp;").Replace(s)
}

// fleetPost posts a fleet action as the page's script does (JSON back) or
// as a plain form.
func (f *fixture) fleetPost(role string, form url.Values, asJSON bool, header ...string) (int, string, *http.Response) {
	f.t.Helper()
	hdr := append([]string{"X-Test-Role", role}, header...)
	if asJSON {
		hdr = append(hdr, "Accept", "application/json")
	}
	resp, body := f.do("POST", "/fleet.html", form, hdr...)
	return resp.StatusCode, body, resp
}

func outcome(t *testing.T, body string) (string, bool) {
	t.Helper()
	var m struct {
		Message string
		Error   bool
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return m.Message, m.Error
}

// Roles as on the local page: a reader sees no button and may not act;
// an operator acts on one node (a cell) or on every selected node (a row),
// and each action is audited.
func TestFleetActions(t *testing.T) {
	f, ff := startFleet(t)
	cell := func(action, spec, node string) url.Values {
		return url.Values{"action": {action}, "processname": {spec}, "node": {node}}
	}
	row := func(action, spec, sel string) url.Values {
		return url.Values{"action": {action}, "processname": {spec}, "selector": {sel}}
	}

	// What each role sees.
	for _, tc := range []struct{ role, buttons string }{
		{"read", ""}, {"operate", "restart,start,stop"}, {"admin", "restart,start,stop"},
	} {
		_, body := f.do("GET", "/fleet.html", nil, "X-Test-Role", tc.role)
		if got := buttons(body); got != tc.buttons {
			t.Errorf("%s sees buttons %q, want %q", tc.role, got, tc.buttons)
		}
		if tc.role == "read" && strings.Contains(body, `method="post"`) {
			t.Errorf("a reader sees a form:\n%s", body)
		}
	}
	_, body := f.do("GET", "/fleet.html", nil, "X-Test-Role", "operate")
	for _, sub := range []string{
		// a running process: restart and stop; a stopped one: start
		`<td class="cell" data-node="web-1" data-state="RUNNING" data-key="true false RUNNING [restart stop]">`,
		`<input type="hidden" name="processname" value="web:w_1"><input type="hidden" name="node" value="web-2">` +
			"\n" + `<span class="buttons"><button name="action" value="start" class="act-start">Start</button></span>`,
		// a row's buttons go to the page's selection
		`<input type="hidden" name="processname" value="sleeper"><input type="hidden" name="selector" value="">`,
	} {
		if !strings.Contains(body, sub) {
			t.Errorf("the operator's grid lacks %s", sub)
		}
	}

	// A reader's action: 403, nothing done, nothing audited.
	code, body, _ := f.fleetPost("read", cell("stop", "web:w_0", "web-1"), true)
	if msg, failed := outcome(t, body); code != http.StatusForbidden || msg != "ERROR: role read may not stop (it takes operate)" || !failed {
		t.Errorf("a reader's stop: %d %s", code, body)
	}
	code, body, _ = f.fleetPost("read", row("restart", "web:w_0", ""), false)
	if code != http.StatusForbidden || !strings.Contains(body, "ERROR: role read may not restart (it takes operate)") || gridOf(body) == "" {
		t.Errorf("a reader's form: %d\n%s", code, body)
	}
	// Another site's, or a bad request: refused.
	code, body, _ = f.fleetPost("operate", cell("stop", "web:w_0", "web-1"), false, "Sec-Fetch-Site", "cross-site")
	if code != http.StatusForbidden || !strings.Contains(body, "refused a request from another site") {
		t.Errorf("a cross-site stop: %d %s", code, body)
	}
	for _, form := range []url.Values{cell("clearlog", "web:w_0", "web-1"), cell("stop", "", "web-1"), {}} {
		if code, _, _ := f.fleetPost("operate", form, true); code != http.StatusBadRequest {
			t.Errorf("%v: %d", form, code)
		}
	}
	if acts := ff.actions(); len(acts) != 0 {
		t.Fatalf("refused actions were taken: %v", acts)
	}

	// An operator's: one node's process, a program on every selected node.
	for _, tc := range []struct {
		form   url.Values
		act    string // what the gateway was asked; "" for nothing
		msg    string
		failed bool
	}{
		{cell("stop", "web:w_0", "web-2"), "stop web:w_0 on web-2", "Process web:w_0 stopped on web-2", false},
		{cell("stop", "web:w_0", "web-2"), "stop web:w_0 on web-2", "ERROR: Process web:w_0 not stopped: web-2: NOT_RUNNING: web:w_0", true},
		{row("start", "web:w_1", "role=web"), "start web:w_1 on web-1,web-2",
			"Process web:w_1 started on web-2 with errors: web-1: ALREADY_STARTED: web:w_1", true},
		{row("restart", "web:w_0", "role=web"), "restart web:w_0 on web-1,web-2", "Process web:w_0 restarted on web-1, web-2", false},
		// a node that lacks the program is skipped; one that does not answer fails
		{row("stop", "sleeper", ""), "stop sleeper on db-1,web-1,web-2",
			"Process sleeper stopped on web-1 (not on web-2) with errors: db-1: unreachable: no answer within 5s", true},
		{row("stop", "nope", "role=web"), "stop nope on web-1,web-2", "ERROR: no selected node has nope", true},
		{row("stop", "web:w_0", "role=cache"), "stop web:w_0 on ", "ERROR: no node is selected", true},
		{cell("start", "nope", "web-1"), "start nope on web-1", "ERROR: Process nope not started: web-1: BAD_NAME: nope", true},
		{cell("start", "sleeper", "web-9"), "start sleeper on ", "ERROR: no node named web-9 in the fleet", true},
		{cell("start", "sleeper", "web 1"), "", "ERROR: a selector cannot name node 'web 1'", true},
		{row("start", "sleeper", "role in ("), "", "ERROR: selector: expected a value at offset 9 of \"role in (\"", true},
	} {
		before := len(ff.actions())
		code, body, _ := f.fleetPost("operate", tc.form, true)
		msg, failed := outcome(t, body)
		if code != http.StatusOK || msg != tc.msg || failed != tc.failed {
			t.Errorf("%v: %d %q %v, want %q %v", tc.form, code, msg, failed, tc.msg, tc.failed)
		}
		var got string
		if acts := ff.actions(); len(acts) > before {
			got = acts[len(acts)-1]
		}
		if got != tc.act {
			t.Errorf("%v: the gateway was asked %q, want %q", tc.form, got, tc.act)
		}
	}
	if _, body := f.do("GET", "/fleet.html", nil); !strings.Contains(gridOf(body), "web:w_0: db-1=? web-1=RUNNING web-2=RUNNING") ||
		!strings.Contains(gridOf(body), "sleeper: db-1=? web-1=STOPPED web-2=-") {
		t.Errorf("the grid after the actions:\n%s", gridOf(body))
	}

	// A plain form is redirected to the view, with the message and the
	// selection.
	code, _, resp := f.fleetPost("operate", row("start", "sleeper", "role=web"), false)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if code != http.StatusSeeOther || loc.Path != "fleet.html" || loc.Query().Get("selector") != "role=web" ||
		loc.Query().Get("message") != "Process sleeper started on web-1 (not on web-2)" {
		t.Errorf("a form's answer: %d %s", code, resp.Header.Get("Location"))
	}
	if _, body := f.do("GET", "/"+loc.String(), nil); !strings.Contains(body, `<div id="message" class="message shown" role="status" aria-live="polite">Process sleeper started on web-1 (not on web-2)</div>`) ||
		gridOf(body) != "web-1 web-2\nsleeper: web-1=RUNNING web-2=-\nweb:w_0: web-1=RUNNING web-2=RUNNING\nweb:w_1: web-1=RUNNING web-2=RUNNING" {
		t.Errorf("the page redirected to:\n%s", body)
	}

	// Each action taken is audited, with where it went.
	var audit []string
	for _, line := range strings.Split(f.logs.String(), "\n") {
		if _, msg, ok := strings.Cut(line, "msg="); ok && strings.HasPrefix(msg, `"page fleet `) {
			audit = append(audit, strings.Split(msg, " by ")[0])
		}
	}
	want := []string{
		`"page fleet stop 'web:w_0' node='web-2'`,
		`"page fleet stop 'web:w_0' node='web-2'`,
		`"page fleet start 'web:w_1' selector='role=web'`,
		`"page fleet restart 'web:w_0' selector='role=web'`,
		`"page fleet stop 'sleeper' selector=''`,
		`"page fleet stop 'nope' selector='role=web'`,
		`"page fleet stop 'web:w_0' selector='role=cache'`,
		`"page fleet start 'nope' node='web-1'`,
		`"page fleet start 'sleeper' node='web-9'`,
		`"page fleet start 'sleeper' node='web 1'`,
		`"page fleet start 'sleeper' selector='role in ('`,
		`"page fleet start 'sleeper' selector='role=web'`,
	}
	if !slices.Equal(audit, want) {
		t.Errorf("audit lines:\n%s\nwant:\n%s", strings.Join(audit, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(f.logs.String(), `msg="page fleet stop 'web:w_0' node='web-2' by operate-user (operate)"`) {
		t.Errorf("audit line lacks its principal:\n%s", f.logs.String())
	}
}

// The live stream: the grid at once, as the viewer may act on it, for the
// nodes the selector picks; it ends when the client goes away.
func TestFleetEvents(t *testing.T) {
	f, _ := startFleet(t)
	for _, tc := range []struct{ role, buttons string }{{"read", ""}, {"operate", "restart,start,stop"}} {
		ch, stop := f.events("/ui/fleet?selector="+url.QueryEscape("role=web"), "X-Test-Role", tc.role)
		var snap struct{ HTML string }
		if err := json.Unmarshal([]byte(next(t, ch, "snapshot", "").Data), &snap); err != nil {
			t.Fatal(err)
		}
		if got, want := gridOf(snap.HTML), "web-1 web-2\nsleeper: web-1=RUNNING web-2=-\nweb:w_0: web-1=RUNNING web-2=RUNNING\nweb:w_1: web-1=RUNNING web-2=STOPPED"; got != want {
			t.Errorf("%s's snapshot:\n%s\nwant:\n%s", tc.role, got, want)
		}
		if got := buttons(snap.HTML); got != tc.buttons {
			t.Errorf("%s's snapshot has buttons %q, want %q", tc.role, got, tc.buttons)
		}
		if n := f.page.kicks.open(); n != 1 {
			t.Errorf("%d streams open", n)
		}
		stop()
		testkit.Eventually(t, 10*time.Second, func() bool { return f.page.kicks.open() == 0 }, "the stream ended with its client")
	}
}

// idleTree is a daemon that is up and says nothing: the fleet stream asks
// the tree only whether it is down.
type idleTree struct {
	Tree
	done chan struct{}
}

func (idleTree) Subscribe(context.Context, []events.Type, func(int64, events.Event)) (func(), error) {
	return func() {}, nil
}

func (t idleTree) Done() <-chan struct{} { return t.done }

// streamRecorder is a response being streamed, read as it goes.
type streamRecorder struct {
	mu     sync.Mutex
	header http.Header
	body   strings.Builder
}

func (r *streamRecorder) Header() http.Header { return r.header }
func (r *streamRecorder) WriteHeader(int)     {}
func (r *streamRecorder) Flush()              {}
func (r *streamRecorder) Write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.body.Write(b)
}

// snapshots are the grids of the snapshot events so far.
func (r *streamRecorder) snapshots() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range strings.Split(r.body.String(), "\n\n") {
		if data, ok := strings.CutPrefix(ev, "event: snapshot\ndata: "); ok {
			var m struct{ HTML string }
			json.Unmarshal([]byte(data), &m)
			out = append(out, gridOf(m.HTML))
		}
	}
	return out
}

// The stream looks every fleetEvery and sends a grid that changed; an
// action taken from a page makes it look at once (a fake clock).
func TestFleetEventsTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ff := newFakeFleet()
		down := make(chan struct{})
		h, err := New(context.Background(), Options{Tree: idleTree{done: down}, Fleet: ff})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		ctx, cancel := context.WithCancel(context.Background())
		rec := &streamRecorder{header: http.Header{}}
		ended := make(chan struct{})
		go func() {
			defer close(ended)
			h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, "GET", "/ui/fleet?selector=node%3Dweb-2", nil))
		}()
		synctest.Wait()
		first := "web-2\nweb:w_0: web-2=RUNNING\nweb:w_1: web-2=STOPPED"
		if got := rec.snapshots(); !slices.Equal(got, []string{first}) {
			t.Fatalf("at once: %q", got)
		}
		ff.set("web-2", "web:w_1", actors.Running)
		time.Sleep(fleetEvery - time.Millisecond)
		synctest.Wait()
		if n := len(rec.snapshots()); n != 1 {
			t.Fatalf("%d snapshots before the first look", n)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		second := "web-2\nweb:w_0: web-2=RUNNING\nweb:w_1: web-2=RUNNING"
		if got := rec.snapshots(); !slices.Equal(got, []string{first, second}) {
			t.Fatalf("after a look: %q", got)
		}
		// Nothing changes: nothing is sent.
		time.Sleep(10 * fleetEvery)
		synctest.Wait()
		if n := len(rec.snapshots()); n != 2 {
			t.Fatalf("%d snapshots of an unchanged grid", n)
		}
		// An action: the stream looks at once.
		form := url.Values{"action": {"stop"}, "processname": {"web:w_0"}, "node": {"web-2"}}
		req := httptest.NewRequestWithContext(auth.With(context.Background(), auth.Principal{Role: auth.Operate}),
			"POST", "/fleet.html", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("stop: %d %s", w.Code, w.Body)
		}
		synctest.Wait()
		third := "web-2\nweb:w_0: web-2=STOPPED\nweb:w_1: web-2=RUNNING"
		if got := rec.snapshots(); !slices.Equal(got, []string{first, second, third}) {
			t.Fatalf("after an action: %q", got)
		}
		// The client goes: the stream ends.
		cancel()
		synctest.Wait()
		select {
		case <-ended:
		default:
			t.Fatal("the stream outlived its client")
		}
		if n := h.kicks.open(); n != 0 {
			t.Errorf("%d streams open", n)
		}
	})
}

// The daemon going down ends the stream, saying so.
func TestFleetEventsDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		down := make(chan struct{})
		h, err := New(context.Background(), Options{Tree: idleTree{done: down}, Fleet: newFakeFleet()})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		rec := &streamRecorder{header: http.Header{}}
		ended := make(chan struct{})
		go func() {
			defer close(ended)
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/ui/fleet", nil))
		}()
		synctest.Wait()
		close(down)
		synctest.Wait()
		select {
		case <-ended:
		default:
			t.Fatal("the stream outlived the daemon")
		}
		if body := rec.body.String(); !strings.HasSuffix(body, "event: supervisor\ndata: {\"down\":true,\"stopping\":true}\n\n") {
			t.Errorf("the stream's end:\n%s", body)
		}
	})
}
