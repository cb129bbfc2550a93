package webui

// The process and events pages in headless Chromium, served in process
// with a History of known samples and marks: the charts, the timeline, the
// log search and the live events are what the browser drew, and every
// request the pages made went to their own server.

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// fakeHistory is an hour of cat's life: 40 samples a minute apart, a
// restart after the 20th (a new pid, so the lines break there), four marks,
// and a sample and a mark from before the hour that are not drawn.
func fakeHistory(now time.Time) map[string]any {
	at := func(d time.Duration) string { return now.Add(d).UTC().Format(time.RFC3339Nano) }
	samples := []map[string]any{{"time": at(-2 * time.Hour), "pid": 50, "cpu_seconds": 1, "cpu_percent": 400.0, "rss_bytes": 1 << 40}}
	for i := range 40 {
		pid := 100
		if i >= 20 {
			pid = 200
		}
		samples = append(samples, map[string]any{"time": at(time.Duration(i-40) * time.Minute), "pid": pid,
			"cpu_seconds": float64(i), "cpu_percent": 2.5 * float64(i), "rss_bytes": (i + 1) << 20})
	}
	marks := []map[string]any{
		{"time": at(-3 * time.Hour), "kind": "start", "state": "STARTING", "pid": 50},
		{"time": at(-40 * time.Minute), "kind": "start", "state": "STARTING", "pid": 100},
		{"time": at(-20*time.Minute - 30*time.Second), "kind": "exit", "state": "EXITED", "pid": 100, "exit_code": 1, "expected": false},
		{"time": at(-20 * time.Minute), "kind": "start", "state": "STARTING", "pid": 200},
		{"time": at(-30 * time.Second), "kind": "exit", "state": "STOPPED", "pid": 200, "signal": "SIGTERM", "expected": true},
	}
	return map[string]any{"group": "cat", "name": "cat", "interval_seconds": 60, "samples": samples, "marks": marks}
}

// origins records every request a tab makes and every request its pages'
// security policy blocked.
type origins struct {
	mu   sync.Mutex
	urls []string
}

func (o *origins) watch(b *tab) {
	b.step("watch the requests", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.blocked = []; document.addEventListener('securitypolicyviolation', (e) => window.blocked.push(e.blockedURI + ' ' + e.violatedDirective));`})
		return err
	}))
	if err := chromedp.Listen(b.ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			o.mu.Lock()
			o.urls = append(o.urls, e.Request.URL)
			o.mu.Unlock()
		}
	}); err != nil {
		b.t.Fatal(err)
	}
}

// check fails the test for a request that left base, or one the page's
// policy had to block.
func (o *origins) check(b *tab, base string) {
	b.t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.urls) == 0 {
		b.t.Fatal("no request seen")
	}
	for _, u := range o.urls {
		if !strings.HasPrefix(u, base+"/") && !strings.HasPrefix(u, "data:") {
			b.t.Errorf("a request left the origin: %s", u)
		}
	}
	if blocked := b.eval(`window.blocked.join('\n')`); blocked != "" {
		b.t.Errorf("the security policy blocked: %v", blocked)
	}
	b.t.Logf("%d requests, all to %s", len(o.urls), base)
}

func TestBrowserPages(t *testing.T) {
	b := newTab(t)
	now := time.Now()
	f := startWith(t, func(group, name string) (any, bool) {
		if group == "cat" && name == "cat" {
			return fakeHistory(now), true
		}
		return nil, false
	})
	var reqs origins
	reqs.watch(b)
	for _, line := range []string{"alpha one", "beta two", "ALPHA three"} {
		if _, err := f.api.Call(context.Background(), "supervisor.sendProcessStdin", []any{"cat", line + "\n"}); err != nil {
			t.Fatal(err)
		}
	}
	b.step("open cat's page", chromedp.Navigate(f.url+"/process.html?processname=cat"),
		chromedp.WaitVisible(chromedp.CSS("#live.on")), chromedp.WaitVisible(chromedp.CSS("#tail-live.on")),
		poll(`document.querySelectorAll('#timeline .mark').length > 0`),
		poll(`document.getElementById('tail').textContent.includes('ALPHA three')`))

	// The charts: a line through every sample of the hour, broken at the
	// restart, and labelled axes.
	for _, tc := range []struct{ chart, yLabels string }{
		{"chart-cpu", "0%,50%,100%"},
		{"chart-rss", "0 B,32 MiB,64 MiB"},
	} {
		d := b.eval(`document.querySelector('#` + tc.chart + ` svg path.line').getAttribute('d')`).(string)
		if points, moves := strings.Count(d, "M")+strings.Count(d, "L"), strings.Count(d, "M"); points != 40 || moves != 2 {
			t.Errorf("%s: %d points in %d lines, want 40 in 2: %s", tc.chart, points, moves, d)
		}
		if got := b.eval(`Array.from(document.querySelectorAll('#` + tc.chart + ` text.axis.y')).map(e => e.textContent).join(',')`); got != tc.yLabels {
			t.Errorf("%s: y labels %v, want %s", tc.chart, got, tc.yLabels)
		}
		// A label at each quarter of an hour: four or five in an hour.
		labels := b.eval(`Array.from(document.querySelectorAll('#` + tc.chart + ` text.axis.x')).map(e => e.textContent).join(',')`).(string)
		if n := len(strings.Split(labels, ",")); n < 4 || n > 5 || !regexp.MustCompile(`^(\d\d:(00|15|30|45),?)+$`).MatchString(labels) {
			t.Errorf("%s: time labels %s", tc.chart, labels)
		}
	}
	if got := b.eval(`document.querySelector('#chart-cpu .latest').textContent`); got != "98%" {
		t.Errorf("latest CPU: %v", got)
	}
	// The timeline: the four marks of the hour, each with its title.
	titles := b.eval(`Array.from(document.querySelectorAll('#timeline .mark')).map(m => m.getAttribute('class') + ' | ' + m.querySelector('title').textContent.replace(/^\d\d:\d\d:\d\d /, '')).join('\n')`)
	want := strings.Join([]string{
		"mark start kind-start | started (STARTING), pid 100",
		"mark exit unexpected kind-exit | exited (EXITED), pid 100, exit status 1, unexpected",
		"mark start kind-start | started (STARTING), pid 200",
		"mark exit expected kind-exit | exited (STOPPED), pid 200, killed by SIGTERM, expected",
	}, "\n")
	if titles != want {
		t.Errorf("timeline marks:\n%v\nwant:\n%s", titles, want)
	}
	if got := b.eval(`document.querySelector('#timeline .latest').textContent`); got != "2 starts, 2 exits, 1 unexpected" {
		t.Errorf("timeline summary: %v", got)
	}
	shot(t, b.ctx, "process.png")

	// The log search highlights every match, in what comes later too.
	marks := `document.querySelectorAll('#tail mark').length`
	count := `document.getElementById('count').textContent`
	b.step("search alpha", chromedp.SendKeys(chromedp.CSS("#search"), "alpha"),
		poll(count+` === '2 matches' && `+marks+` === 2`))
	if got := b.eval(`Array.from(document.querySelectorAll('#tail mark')).map(m => m.textContent).join(',')`); got != "alpha,ALPHA" {
		t.Errorf("marked %v", got)
	}
	if _, err := f.api.Call(context.Background(), "supervisor.sendProcessStdin", []any{"cat", "Alphabet four\n"}); err != nil {
		t.Fatal(err)
	}
	b.step("see a new match", poll(count+` === '3 matches' && `+marks+` === 3`))
	shot(t, b.ctx, "process-search.png")
	b.step("search a regexp", chromedp.Click(chromedp.CSS("#regexp")),
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('search'); s.value = 'b.ta|f[aeiou]+r'; s.dispatchEvent(new Event('input')); })()`),
		poll(count+` === '2 matches' && `+marks+` === 2`))
	b.step("matching lines only", chromedp.Click(chromedp.CSS("#matching")),
		poll(`!document.getElementById('matches').hidden && document.getElementById('tail').hidden`))
	if got := b.eval(`document.getElementById('matches').textContent`); got != "beta two\nAlphabet four" {
		t.Errorf("matching lines: %q", got)
	}
	b.step("a bad regexp", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('search'); s.value = '(('; s.dispatchEvent(new Event('input')); })()`),
		poll(count+` === 'invalid pattern' && !document.getElementById('tail').hidden`))

	// The events page shows an event as it happens, newest on top; paused,
	// it holds new ones back; filtered, it hides other types.
	b.step("open the events page", chromedp.Navigate(f.url+"/events.html"), chromedp.WaitVisible(chromedp.CSS("#live.on")))
	remote := func(data string) {
		if _, err := f.api.Call(context.Background(), "supervisor.sendRemoteCommEvent", []any{"test", data}); err != nil {
			t.Fatal(err)
		}
	}
	remote("hello from the test")
	// index is the place of the event that says text, from the top; -1
	// for none (TICK_5 events come in between).
	index := func(text string) string {
		return `Array.from(document.querySelectorAll('#events li')).findIndex(li => li.textContent.includes('` + text + `'))`
	}
	b.step("see the event", poll(index("hello from the test")+` >= 0`))
	if got := b.eval(`document.querySelectorAll('#events li')[` + index("hello from the test") + `].querySelector('.etype').textContent`); got != "REMOTE_COMMUNICATION" {
		t.Errorf("event type %v", got)
	}
	b.step("pause", chromedp.Click(chromedp.CSS("#pause")))
	remote("while paused")
	b.step("held back", poll(`/^\d+ new$/.test(document.getElementById('pending').textContent)`))
	if got := b.eval(index("while paused")); got != -1.0 {
		t.Errorf("a paused list changed: %v", got)
	}
	b.step("resume", chromedp.Click(chromedp.CSS("#pause")),
		poll(index("while paused")+` >= 0 && document.getElementById('pending').textContent === ''`))
	if got := b.eval(index("while paused") + ` < ` + index("hello from the test")); got != true {
		t.Error("the newest event is not above the older one")
	}
	if _, err := f.api.Call(context.Background(), "supervisor.stopProcess", []any{"sleeper"}); err != nil {
		t.Fatal(err)
	}
	b.step("see a state change", poll(index("PROCESS_STATE_STOPPED")+` >= 0`))
	b.step("filter", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('type'); s.value = 'REMOTE_COMMUNICATION'; s.dispatchEvent(new Event('change')); })()`),
		poll(`Array.from(document.querySelectorAll('#events li:not([hidden]) .etype')).every(e => e.textContent === 'REMOTE_COMMUNICATION')`))
	if got := b.eval(`document.querySelectorAll('#events li:not([hidden])').length`); got != 2.0 {
		t.Errorf("%v events shown of type REMOTE_COMMUNICATION, want 2", got)
	}
	if got := b.eval(`location.search`); got != "?type=REMOTE_COMMUNICATION" {
		t.Errorf("filter not in the URL: %v", got)
	}
	shot(t, b.ctx, "events.png")
	b.step("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(f.url+"/process.html?processname=cat"), poll(`document.querySelectorAll('#timeline .mark').length === 4`))
	shot(t, b.ctx, "process-phone.png")
	reqs.check(b, f.url)
}
