package webui

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"supervisord/actors"
	"supervisord/internal/auth"
	"supervisord/internal/statefile"
	"supervisord/protocol/events"
)

var buttonValue = regexp.MustCompile(`<button[^>]*value="([^"]+)"`)

// buttons are the actions a page's buttons offer, sorted, each once.
func buttons(html string) string {
	var vals []string
	for _, m := range buttonValue.FindAllStringSubmatch(html, -1) {
		vals = append(vals, m[1])
	}
	slices.Sort(vals)
	return strings.Join(slices.Compact(vals), ",")
}

// Each role sees the buttons it may use and no others, on every page and
// stream that shows them; no role header is a server without
// authentication, an admin.
func TestRoles(t *testing.T) {
	f := start(t)
	const (
		operator  = "restart,restartall,restartgroup,rollinggroup,start,startall,startgroup,stop,stopall,stopgroup"
		onTheList = "restart,restartgroup,rollinggroup,start,startgroup,stop,stopgroup"
	)
	for _, tc := range []struct {
		role                    string
		status, process, stream string // the buttons of /, of a process page and of the status stream
		postForms               bool
	}{
		{"read", "", "", "", false},
		{"operate", operator, "restart,stop", onTheList, true},
		{"admin", "clearlog," + operator, "clearlog,restart,stop", "clearlog," + onTheList, true},
		{"", "clearlog," + operator, "clearlog,restart,stop", "clearlog," + onTheList, true},
	} {
		var hdr []string
		if tc.role != "" {
			hdr = []string{"X-Test-Role", tc.role}
		}
		_, status := f.do("GET", "/", nil, hdr...)
		_, process := f.do("GET", "/process.html?processname=web:w_0", nil, hdr...)
		ch, stop := f.events("/ui/events", hdr...)
		var snap struct{ HTML string }
		if err := json.Unmarshal([]byte(next(t, ch, "snapshot", "").Data), &snap); err != nil {
			t.Fatal(err)
		}
		stop()
		for _, got := range []struct{ what, html, want string }{
			{"status page", status, tc.status},
			{"process page", process, tc.process},
			{"status stream", snap.HTML, tc.stream},
		} {
			if b := buttons(got.html); b != got.want {
				t.Errorf("%q: %s buttons %q, want %q", tc.role, got.what, b, got.want)
			}
			if has := strings.Contains(got.html, `method="post"`); has != tc.postForms {
				t.Errorf("%q: %s has a form that acts: %v", tc.role, got.what, has)
			}
			if strings.Contains(got.html, "<button") && tc.status == "" {
				t.Errorf("%q: %s has a button:\n%s", tc.role, got.what, got.html)
			}
		}
		if !strings.Contains(status, `<a class="button" href="index.html?action=refresh">Refresh</a>`) ||
			!strings.Contains(status, `href="process.html?processname=web%3aw_0">web:w_0</a>`) {
			t.Errorf("%q: the status page lacks its links:\n%s", tc.role, status)
		}
	}

	// A row that changes is sent as the viewer may see it.
	ch, _ := f.events("/ui/events", "X-Test-Role", "read")
	next(t, ch, "snapshot", "")
	if _, err := f.api.Call(context.Background(), "supervisor.stopProcess", []any{"web:w_1"}); err != nil {
		t.Fatal(err)
	}
	var row struct{ HTML string }
	if err := json.Unmarshal([]byte(next(t, ch, "process", `data-state=\"STOPPED\"`).Data), &row); err != nil ||
		strings.Contains(row.HTML, "<button") || strings.Contains(row.HTML, "<form") {
		t.Errorf("a reader's row has buttons (%v): %s", err, row.HTML)
	}
}

func TestProcessPage(t *testing.T) {
	f := start(t)
	if _, err := f.api.Call(context.Background(), "supervisor.sendProcessStdin", []any{"cat", "<purr>\n"}); err != nil {
		t.Fatal(err)
	}
	var body string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var resp *http.Response
		resp, body = f.do("GET", "/process.html?processname=cat", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("process page: %d", resp.StatusCode)
		}
		if strings.Contains(body, `data-offset="7" data-follow="true" data-placeholder="false">&lt;purr&gt;`+"\n</pre>") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("process page of cat:\n%s", body)
		}
	}
	for _, want := range []string{
		`<title>cat · Supervisor process</title>`,
		`<table id="procs" class="procs" data-stream="ui/events?processname=cat">`,
		`<tr id="p:cat" class="proc" data-name="cat" data-state="RUNNING"`,
		`<pre id="tail" class="log wrap" data-processname="cat" data-channel="stdout"`,
		`<a class="button current" href="process.html?processname=cat&amp;limit=1024">stdout</a>`,
		`<p id="history-note" class="note">No history is kept`,
		`<div id="search-box" class="search" role="search" hidden>`,
		`<p id="why" class="why" title="as the page was loaded (supervisorctl why)">cat is RUNNING (pid `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("process page lacks %s:\n%s", want, body)
		}
	}
	if n := strings.Count(body, `class="proc"`); n != 1 || strings.Contains(body, "chart-cpu") {
		t.Errorf("process page: %d rows, charts without a history:\n%s", n, body)
	}
	for _, tc := range []struct {
		query string
		code  int
		want  string
	}{
		{"processname=web:w_0", 200, `data-stream="ui/events?processname=web:w_0"`},
		{"processname=web:w_0", 200, `<h1 class="ident">web:w_0</h1>`},
		{"processname=cat:cat", 200, `<h1 class="ident">cat</h1>`},
		{"processname=cat&channel=stderr", 200, `<a class="button current" href="process.html?processname=cat&amp;limit=1024&amp;channel=stderr">stderr</a>`},
		{"processname=missing", 200, `data-placeholder="true">No file for missing</pre>`},
		{"processname=nope", 404, `class="message shown error" role="status" aria-live="polite">No such process named nope</div>`},
		{"processname=web:*", 404, `No such process named web:*`},
		{"", 404, `No process name found`},
	} {
		resp, body := f.do("GET", "/process.html?"+tc.query, nil)
		if resp.StatusCode != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("process.html?%s: %d, want %d with %s:\n%s", tc.query, resp.StatusCode, tc.code, tc.want, body)
		}
		if tc.code == 404 && strings.Contains(body, "<table") {
			t.Errorf("process.html?%s: a table for no process", tc.query)
		}
	}
	// With a history, the charts' places.
	g := startWith(t, func(string, string) (any, bool) { return nil, false })
	_, body = g.do("GET", "/process.html?processname=cat", nil)
	for _, want := range []string{`<figure id="chart-cpu" class="chart">`, `<figure id="chart-rss" class="chart">`,
		`<figure id="timeline" class="chart timeline">`, `<p id="history-note" class="note" hidden></p>`} {
		if !strings.Contains(body, want) {
			t.Errorf("process page with a history lacks %s", want)
		}
	}
}

// The status stream of one process (the process page's row) holds that
// row alone and sends its changes only.
func TestStatusEventsOfOne(t *testing.T) {
	f := start(t)
	ch, _ := f.events("/ui/events?processname=web:w_0")
	snap := next(t, ch, "snapshot", "")
	if strings.Count(snap.Data, `class=\"proc\"`) != 1 || !strings.Contains(snap.Data, `id=\"p:web:w_0\"`) ||
		strings.Contains(snap.Data, "group-head") {
		t.Fatalf("snapshot: %s", snap.Data)
	}
	for _, p := range []string{"web:w_1", "web:w_0"} {
		if _, err := f.api.Call(context.Background(), "supervisor.stopProcess", []any{p}); err != nil {
			t.Fatal(err)
		}
	}
	for ev := next(t, ch, "process", ""); !strings.Contains(ev.Data, `data-state=\"STOPPED\"`); ev = next(t, ch, "process", "") {
		if !strings.Contains(ev.Data, `"namespec":"web:w_0"`) {
			t.Fatalf("another process's row: %s", ev.Data)
		}
	}
}

func TestHistoryJSON(t *testing.T) {
	sample := map[string]any{"group": "web", "name": "w_0", "interval_seconds": 10,
		"samples": []map[string]any{{"time": "2026-01-02T03:04:05.5Z", "pid": 123, "cpu_seconds": 1.5,
			"cpu_percent": 12.5, "rss_bytes": 1048576}},
		"marks": []map[string]any{{"time": "2026-01-02T03:04:00Z", "kind": "start", "state": "STARTING", "pid": 123}}}
	f := startWith(t, func(group, name string) (any, bool) {
		switch {
		case group == "web" && name == "w_0":
			return sample, true
		case name == "fail":
			return func() {}, true // cannot be encoded
		}
		return nil, false
	})
	want, _ := json.Marshal(sample)
	for _, tc := range []struct {
		query string
		code  int
		body  string
	}{
		{"processname=web:w_0", 200, string(want)},
		{"processname=web%3Aw_0", 200, string(want)},
		{"processname=sleeper", 404, `{"code":"NO_HISTORY","message":"no history of sleeper"}`},
		{"processname=nope", 404, `{"code":"BAD_NAME","message":"No such process named nope"}`},
		{"processname=web:*", 404, `{"code":"BAD_NAME","message":"No such process named web:*"}`},
		{"", 404, `{"code":"BAD_NAME","message":"No such process named "}`},
		{"processname=fail", 500, `{"code":"INTERNAL","message":"cannot encode the answer"}`},
	} {
		resp, body := f.do("GET", "/history.json?"+tc.query, nil)
		if resp.StatusCode != tc.code || body != tc.body || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("history.json?%s: %d %s %q, want %d %q", tc.query, resp.StatusCode,
				resp.Header.Get("Content-Type"), body, tc.code, tc.body)
		}
	}
	if resp, _ := f.do("POST", "/history.json?processname=web:w_0", nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST history.json: %d", resp.StatusCode)
	}
	g := start(t)
	if resp, body := g.do("GET", "/history.json?processname=cat", nil); resp.StatusCode != 404 ||
		body != `{"code":"NO_HISTORY","message":"no history is kept"}` {
		t.Errorf("history.json without a history: %d %s", resp.StatusCode, body)
	}
}

func TestEventsPage(t *testing.T) {
	f := start(t)
	remote := func(data string) {
		t.Helper()
		if _, err := f.api.Call(context.Background(), "supervisor.sendRemoteCommEvent", []any{"test", data}); err != nil {
			t.Fatal(err)
		}
	}
	ch, _ := f.events("/ui/bus")
	remote("hello <events>")
	ev := next(t, ch, "event", "hello")
	var d struct {
		Seq   int64
		Types string
		HTML  string
	}
	if err := json.Unmarshal([]byte(ev.Data), &d); err != nil || ev.ID != strconv.FormatInt(d.Seq, 10) ||
		d.Types != "REMOTE_COMMUNICATION EVENT" ||
		!strings.HasPrefix(d.HTML, `<li class="ev fam-remote_communication" data-seq="`+ev.ID+`" data-types="REMOTE_COMMUNICATION EVENT">`) ||
		!strings.Contains(d.HTML, `<span class="etype">REMOTE_COMMUNICATION</span>`) ||
		!strings.Contains(d.HTML, "<pre class=\"payload\">type:test\nhello &lt;events&gt;</pre>") {
		t.Fatalf("event %v: %+v", err, ev)
	}
	helloSeq := d.Seq
	if _, err := f.api.Call(context.Background(), "supervisor.stopProcess", []any{"web:w_1"}); err != nil {
		t.Fatal(err)
	}
	ev = next(t, ch, "event", "PROCESS_STATE_STOPPED")
	if err := json.Unmarshal([]byte(ev.Data), &d); err != nil || d.Types != "PROCESS_STATE_STOPPED PROCESS_STATE EVENT" ||
		!strings.Contains(d.HTML, `<span class="about"><a href="process.html?processname=web%3aw_1">web:w_1</a></span>`) {
		t.Errorf("state event: %s", ev.Data)
	}

	// The page starts with what happened, newest first; a filter hides
	// the other types.
	_, body := f.do("GET", "/events.html", nil)
	hello, stopped := strings.Index(body, "hello &lt;events&gt;"), strings.Index(body, "PROCESS_STATE_STOPPED</span>")
	if hello < 0 || stopped < 0 || stopped > hello {
		t.Errorf("events page, newest first:\n%s", body)
	}
	if !strings.Contains(body, `<option value="PROCESS_STATE">PROCESS_STATE (all)</option>`) ||
		!strings.Contains(body, `<option value="PROCESS_HEALTH_READY">PROCESS_HEALTH_READY</option>`) {
		t.Errorf("events page's filter:\n%s", body)
	}
	_, body = f.do("GET", "/events.html?type=PROCESS_STATE", nil)
	if !strings.Contains(body, `data-types="REMOTE_COMMUNICATION EVENT" hidden>`) ||
		!strings.Contains(body, `data-types="PROCESS_STATE_STOPPED PROCESS_STATE EVENT">`) ||
		!strings.Contains(body, `<option value="PROCESS_STATE" selected>`) {
		t.Errorf("events page filtered:\n%s", body)
	}

	// A stream goes on after the event its page or browser saw last.
	resumed, _ := f.events("/ui/bus?after=0", "Last-Event-ID", strconv.FormatInt(helloSeq, 10))
	remote("second")
	for ev := next(t, resumed, "event", ""); !strings.Contains(ev.Data, "second"); ev = next(t, resumed, "event", "") {
		if strings.Contains(ev.Data, "hello") {
			t.Fatalf("a resumed stream repeats what was seen: %s", ev.Data)
		}
	}
	again, _ := f.events("/ui/bus?after=0")
	next(t, again, "event", "hello")
}

func TestRecent(t *testing.T) {
	rc := recent{feeds: map[*feed]struct{}{}}
	f := &feed{wake: make(chan struct{}, 1)}
	rc.feeds[f] = struct{}{}
	if recs, missed, next := rc.since(0); len(recs) != 0 || missed != 0 || next != 0 {
		t.Errorf("empty: %v %d %d", recs, missed, next)
	}
	const n = ringSize + 5
	for i := range n {
		rc.add(record{Payload: strconv.Itoa(i)})
	}
	select {
	case <-f.wake:
	default:
		t.Error("a feed was not woken")
	}
	for _, tc := range []struct {
		after              int64
		count, missed      int
		firstSeq, nextWant int64
	}{
		{0, ringSize, 5, 6, n},
		{3, ringSize, 2, 6, n},
		{5, ringSize, 0, 6, n},
		{n - 1, 1, 0, n, n},
		{n, 0, 0, 0, n},
		{n + 100, ringSize, 5, 6, n}, // a stream of a daemon before a restart
		{-1, ringSize, 5, 6, n},
	} {
		recs, missed, next := rc.since(tc.after)
		if len(recs) != tc.count || missed != int64(tc.missed) || next != tc.nextWant ||
			(tc.count > 0 && (recs[0].Seq != tc.firstSeq || recs[len(recs)-1].Seq != n ||
				recs[0].Payload != strconv.FormatInt(tc.firstSeq-1, 10))) {
			t.Errorf("since(%d): %d records from %v, %d missed, next %d", tc.after, len(recs),
				recs[:min(1, len(recs))], missed, next)
		}
	}
}

func TestRecordOf(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	big := strings.Repeat("é", maxPayload) // 2 bytes each
	for _, tc := range []struct {
		ev                      events.Event
		types, family, namespec string
		group, payloadPrefix    string
		cut                     bool
		hiddenBy                events.Type
		shownBy                 events.Type
	}{
		{ev: events.ProcessState{State: "RUNNING", Process: "w_0", Group: "web", From: "STARTING", PID: 7},
			types: "PROCESS_STATE_RUNNING PROCESS_STATE EVENT", family: "process_state", namespec: "web:w_0",
			payloadPrefix: "processname:w_0 groupname:web from_state:STARTING pid:7",
			hiddenBy:      events.TypeTick, shownBy: events.TypeProcessState},
		{ev: events.ProcessLog{Channel: "stderr", Process: "cat", Group: "cat", PID: 9, Data: []byte(big)},
			types: "PROCESS_LOG_STDERR PROCESS_LOG EVENT", family: "process_log", namespec: "cat",
			payloadPrefix: "processname:cat groupname:cat pid:9 channel:stderr\néé", cut: true,
			hiddenBy: events.TypeProcessLogStdout, shownBy: events.TypeEvent},
		{ev: events.ProcessHealth{Type: events.TypeProcessHealthReady, Process: "api", Group: "api", PID: 3},
			types: "PROCESS_HEALTH_READY PROCESS_HEALTH", family: "process_health", namespec: "api",
			payloadPrefix: "processname:api groupname:api pid:3",
			hiddenBy:      events.TypeEvent, shownBy: events.TypeProcessHealth},
		{ev: events.ProcessGroupAdded{Group: "web"}, types: "PROCESS_GROUP_ADDED PROCESS_GROUP EVENT",
			family: "process_group", group: "web", payloadPrefix: "groupname:web\n",
			hiddenBy: events.TypeProcessGroupRemoved, shownBy: events.TypeProcessGroup},
		{ev: events.Tick{Period: 5, When: 1767323045}, types: "TICK_5 TICK EVENT", family: "tick",
			payloadPrefix: "when:1767323045", hiddenBy: events.TypeTick60, shownBy: events.TypeTick5},
		{ev: events.RemoteCommunication{Type: "x", Data: big}, types: "REMOTE_COMMUNICATION EVENT",
			family: "remote_communication", payloadPrefix: "type:x\né", cut: true,
			hiddenBy: events.TypeProcessState, shownBy: events.TypeRemoteCommunication},
	} {
		r := recordOf(4, tc.ev, at)
		row := eventRowOf(r, 0, false)
		name := tc.ev.EventType().String()
		if row.Types != tc.types || row.Family != tc.family || row.Namespec != tc.namespec || row.Group != tc.group ||
			!strings.HasPrefix(row.Payload, tc.payloadPrefix) || row.Cut != tc.cut || row.Serial != 4 ||
			row.Clock != "03:04:05.000" || row.Time != "2026-01-02T03:04:05Z" || row.Hidden {
			t.Errorf("%s: %+v", name, row)
		}
		if len(r.Payload) > maxPayload || !utf8.ValidString(r.Payload) {
			t.Errorf("%s: payload of %d bytes, valid UTF-8 %v", name, len(r.Payload), utf8.ValidString(r.Payload))
		}
		if !eventRowOf(r, tc.hiddenBy, true).Hidden || eventRowOf(r, tc.shownBy, true).Hidden {
			t.Errorf("%s: filtered by %s or %s", name, tc.hiddenBy, tc.shownBy)
		}
	}
}

func TestActionsFor(t *testing.T) {
	for _, tc := range []struct {
		state                actors.State
		read, operate, admin string
	}{
		{actors.Running, "", "restart,stop", "restart,stop,clearlog"},
		{actors.Starting, "", "stop", "stop,clearlog"},
		{actors.Backoff, "", "stop", "stop,clearlog"},
		{actors.Stopped, "", "start", "start,clearlog"},
		{actors.Exited, "", "start", "start,clearlog"},
		{actors.Fatal, "", "start", "start,clearlog"},
		{actors.Stopping, "", "", "clearlog"},
		{actors.Unknown, "", "", "clearlog"},
	} {
		for role, want := range map[auth.Role]string{auth.None: "", auth.Read: tc.read, auth.Operate: tc.operate, auth.Admin: tc.admin} {
			if got := strings.Join(actionsFor(actors.ProcessInfo{State: tc.state}, role), ","); got != want {
				t.Errorf("%s as %s: %q, want %q", tc.state, role, got, want)
			}
		}
	}
	// A disabled process is enabled, not started.
	disabled := actors.ProcessInfo{State: actors.Stopped, Intent: statefile.Intent{Disabled: true}}
	if got := strings.Join(actionsFor(disabled, auth.Operate), ","); got != "enable" {
		t.Errorf("disabled, as operate: %q, want enable", got)
	}
}
