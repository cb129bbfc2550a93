package webui

// End-to-end tests: the real daemon binary with an [inet_http_server] behind
// a password, driven by a real headless Chromium (Debian's chromium
// package) through chromedp, and by plain HTTP next to the reference
// daemon for the reference's URLs.

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	"supervisord/protocol/xmlrpc"
	"supervisord/testkit"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func TestMain(m *testing.M) {
	testkit.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if binDir != "" {
			os.RemoveAll(binDir)
		}
		os.Exit(code)
	}))
}

// daemonBin builds our supervisord once for the package's tests.
func daemonBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		var root string
		if root, buildErr = testkit.ModuleRoot(); buildErr != nil {
			return
		}
		if binDir, buildErr = os.MkdirTemp("", "webui-bin-"); buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, "supervisord"), "./cmd/supervisord")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "supervisord")
}

// chromium finds the browser or skips, loudly: go test hides skip
// messages unless -v, so it goes to stderr as well.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "SKIPPED: chromium not installed: the web UI's browser tests did not run " +
		"(apt-get install chromium; .ci/run installs it)"
	fmt.Fprintln(os.Stderr, "\n*** "+t.Name()+": "+msg+" ***")
	t.Skip(msg)
	return ""
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

const (
	user     = "admin"
	password = "s3cret"
)

// server is a daemon's HTTP side as a client with the password sees it.
type server struct {
	t    *testing.T
	base string
}

func (s server) call(method string, params ...any) (any, error) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.base+"/RPC2", bytes.NewReader(xmlrpc.EncodeCall(method, params...)))
	req.SetBasicAuth(user, password)
	req.Header.Set("Content-Type", "text/xml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return xmlrpc.ParseResponse(b)
}

// answer is how the server answers a GET of path, for a transcript: the
// status, then the redirect's query, the page's <pre> or the body.
func (s server) answer(path string) string {
	req, _ := http.NewRequest("GET", s.base+path, nil)
	req.SetBasicAuth(user, password)
	c := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	got := fmt.Sprintf("%d ", resp.StatusCode)
	if loc := resp.Header.Get("Location"); loc != "" {
		_, q, _ := strings.Cut(loc, "?")
		got += "?" + q
	} else if i := strings.Index(body, "<pre"); i >= 0 {
		pre := body[i:]
		pre = pre[strings.Index(pre, ">")+1:]
		got += "pre: " + pre[:strings.Index(pre, "</pre>")]
	} else {
		got += body
	}
	// ctime differs between runs; its shape does not.
	if i := strings.Index(got, "refreshed%20at%20"); i >= 0 {
		got = got[:i] + "refreshed at <ctime>"
	}
	return got
}

// waitStates polls until every named process is in its state.
func (s server) waitStates(want map[string]string) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := map[string]string{}
		v, err := s.call("supervisor.getAllProcessInfo")
		if list, ok := v.([]any); ok && err == nil {
			for _, e := range list {
				m, _ := e.(map[string]any)
				name, _ := m["name"].(string)
				if g, _ := m["group"].(string); g != name {
					name = g + ":" + name
				}
				got[name], _ = m["statename"].(string)
			}
		}
		ok := err == nil
		for k, v := range want {
			ok = ok && got[k] == v
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("states %v (%v), want %v", got, err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func inetSection(port int) string {
	return fmt.Sprintf("\n[inet_http_server]\nport=127.0.0.1:%d\nusername=%s\npassword=%s\n"+
		"\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n",
		port, user, password)
}

const browserPrograms = `
[program:sleeper]
command=/bin/sleep 1000
startsecs=0

[program:cat]
command=/bin/cat
startsecs=0
stdout_logfile={dir}/cat.log

[program:broken]
command=/bin/sh -c 'echo "no config found" >&2; exit 3'
startretries=0

[group:web]
programs=worker

[program:worker]
command=/bin/sleep 1000
process_name=%(program_name)s_%(process_num)d
numprocs=2
startsecs=0
`

// shot saves a screenshot in the test's temp dir (and in $WEBUI_ARTIFACTS
// when set, to keep it) and logs where.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dirs := []string{t.TempDir()}
	if d := os.Getenv("WEBUI_ARTIFACTS"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
}

// withAuth sends these credentials with every request of the tab,
// EventSource streams and fetches included.
func withAuth(u, p string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p))
		_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"Authorization": auth}})
		return err
	})
}

// tab is a headless Chromium tab and the test's ways of driving it.
type tab struct {
	t   *testing.T
	ctx context.Context
}

// newTab starts the browser (or skips the test without one); it is closed
// when the test ends.
func newTab(t *testing.T) *tab {
	t.Helper()
	chrome := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 720))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // the browser, with no deadline of its own
		t.Fatal(err)
	}
	return &tab{t, ctx}
}

func (b *tab) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	sctx, scancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer scancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b *tab) eval(expr string) any {
	b.t.Helper()
	sctx, scancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer scancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[any](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

func poll(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(20*time.Millisecond),
		chromedp.WithPollingTimeout(15*time.Second))
}

func TestBrowser(t *testing.T) {
	b := newTab(t)
	ctx, step, eval := b.ctx, b.step, b.eval
	port := freePort(t)
	testkit.StartDaemon(t, daemonBin(t), testkit.Config("{dir}")+inetSection(port)+browserPrograms)
	srv := server{t, fmt.Sprintf("http://127.0.0.1:%d", port)}
	srv.waitStates(map[string]string{"sleeper": "RUNNING", "cat": "RUNNING", "broken": "FATAL",
		"web:worker_0": "RUNNING", "web:worker_1": "RUNNING"})

	// The page lists the configured processes and goes live.
	step("open the status page", withAuth(user, password), chromedp.Navigate(srv.base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#live.on")))
	rows := eval(`Array.from(document.querySelectorAll('tr.proc')).map(tr => tr.dataset.name + ' ' + tr.dataset.state).join(', ')`)
	if want := "broken FATAL, cat RUNNING, sleeper RUNNING, web:worker_0 RUNNING, web:worker_1 RUNNING"; rows != want {
		t.Fatalf("rows: %v, want %s", rows, want)
	}
	eval(`window.sameDocument = true`)

	// Stop turns the row to STOPPED without a reload; start brings it back.
	step("stop sleeper", chromedp.Click(chromedp.CSS(`tr[id="p:sleeper"] button[value="stop"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[id="p:sleeper"][data-state="STOPPED"] .badge.state-stopped`)),
		poll(`document.getElementById('message').textContent === 'Process sleeper stopped'`))
	if eval(`window.sameDocument === true`) != true {
		t.Fatal("the page was reloaded")
	}
	srv.waitStates(map[string]string{"sleeper": "STOPPED"})
	step("start sleeper", chromedp.Click(chromedp.CSS(`tr[id="p:sleeper"] button[value="start"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[id="p:sleeper"][data-state="RUNNING"] .badge.state-running`)),
		poll(`document.getElementById('message').textContent === 'Process sleeper started'`))
	if eval(`window.sameDocument === true`) != true {
		t.Fatal("the page was reloaded")
	}
	// A change made elsewhere shows up too.
	if _, err := srv.call("supervisor.stopProcess", "web:worker_1"); err != nil {
		t.Fatal(err)
	}
	step("see a stop made over XML-RPC", chromedp.WaitVisible(chromedp.CSS(`tr[id="p:web:worker_1"][data-state="STOPPED"]`)))
	eval(`document.querySelectorAll('.flash').forEach(tr => tr.classList.remove('flash'))`) // a still picture
	shot(t, ctx, "status.png")

	step("filter by name", chromedp.SendKeys(chromedp.CSS("#filter"), "work"),
		poll(`document.getElementById('p:sleeper').hidden && !document.getElementById('p:web:worker_0').hidden`))
	if u := eval(`location.search`); u != "?filter=work" {
		t.Errorf("filter not in the URL: %v", u)
	}
	step("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(srv.base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#live.on")))
	shot(t, ctx, "status-phone.png")
	step("desktop again", chromedp.EmulateViewport(1280, 720))

	// The tail view shows new output as it appears.
	if _, err := srv.call("supervisor.sendProcessStdin", "cat", "first line\n"); err != nil {
		t.Fatal(err)
	}
	step("open the tail view", chromedp.Navigate(srv.base+"/tail.html?processname=cat"),
		chromedp.WaitVisible(chromedp.CSS("#live.on")))
	for i := range 3 {
		line := fmt.Sprintf("appeared while watching %d", i)
		if _, err := srv.call("supervisor.sendProcessStdin", "cat", line+"\n"); err != nil {
			t.Fatal(err)
		}
		step("see "+line, poll(`document.getElementById('tail').textContent.includes('`+line+`')`))
	}
	if text := eval(`document.getElementById('tail').textContent`); !strings.HasPrefix(text.(string), "first line\n") {
		t.Errorf("tail text: %q", text)
	}
	shot(t, ctx, "tail.png")

	// A wrong password gets nothing but 401, in a fresh tab; so does no
	// password (the browser would ask for one: headless Chromium does not).
	for _, creds := range [][2]string{{user, "wrong"}, {"", ""}} {
		status, body := refused(t, ctx, srv.base+"/", creds)
		if status != http.StatusUnauthorized || strings.Contains(body, "procs") {
			t.Errorf("credentials %q: status %d, page %q", creds, status, body)
		}
	}
}

// refused opens url in a new tab with these credentials ("" for none) and
// returns the status of the page's response and what the tab shows.
func refused(t *testing.T, ctx context.Context, url string, creds [2]string) (int64, string) {
	t.Helper()
	tab, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()
	tctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	steps := []chromedp.Action[chromedp.Void]{withAuth(creds[0], creds[1])}
	if creds[0] == "" {
		steps = []chromedp.Action[chromedp.Void]{chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{})
			return err
		})}
	}
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatal(err)
	}
	// The raw response is seen even when Chromium fails the load
	// (ERR_INVALID_AUTH_CREDENTIALS for credentials it was given).
	extra := chromedp.Events(tctx, network.ResponseReceivedExtraInfo)
	navErr := chromedp.Do(tctx, chromedp.Navigate(url))
	var status int64
	for ev, err := range extra {
		if err != nil {
			t.Fatalf("no response to %s (navigation: %v): %v", url, navErr, err)
		}
		status = ev.StatusCode
		break
	}
	body, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.documentElement ? document.documentElement.outerHTML : ""`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("credentials %q: HTTP %d, navigation error %v", creds, status, navErr)
	return status, body
}

// The reference's URLs give the reference's answers: the same requests
// to both daemons, the messages compared.
func TestLegacyURLsMatchReference(t *testing.T) {
	if _, err := os.Stat("/usr/bin/supervisord"); err != nil {
		t.Skip("the reference supervisord is not installed")
	}
	// ticker only wakes the reference's main loop, which otherwise looks at
	// a deferred reply (a stop, a start) once a second.
	const programs = `
[program:ticker]
command=/bin/sh -c 'while :; do echo tick; sleep 0.05; done'
startsecs=0
stdout_logfile=NONE
[program:sleeper]
command=/bin/sleep 1000
startsecs=0
[program:cat]
command=/bin/cat
startsecs=0
[program:fail]
command=/bin/false
autostart=false
startretries=0
[program:missing]
command=/no/such/thing
autostart=false
stdout_logfile=NONE
[group:web]
programs=worker
[program:worker]
command=/bin/sleep 1000
process_name=%(program_name)s_%(process_num)d
numprocs=2
startsecs=0
`
	urls := []string{
		"/index.html?processname=sleeper&action=stop",
		"/index.html?processname=sleeper&action=stop",
		"/index.html?processname=sleeper&action=start",
		"/index.html?processname=sleeper&action=start",
		"/index.html?processname=nope&action=start",
		"/index.html?processname=web:*&action=stop",
		"/index.html?processname=web:worker_1&action=restart",
		"/?processname=web:worker_1&action=stop",
		"/index.html?processname=fail&action=start",
		"/index.html?processname=missing&action=start",
		"/index.html?processname=cat&action=clearlog",
		"/index.html?action=refresh",
		"/tail.html",
		"/tail.html?processname=nope",
		"/tail.html?processname=missing",
		"/ok.html",
	}
	// Both daemons run at once: the reference takes half a second for
	// each action (its page's deferred-reply delay).
	var servers []server
	for _, bin := range []string{"/usr/bin/supervisord", daemonBin(t)} {
		port := freePort(t)
		testkit.StartDaemon(t, bin, testkit.Config("{dir}")+inetSection(port)+programs)
		servers = append(servers, server{t, fmt.Sprintf("http://127.0.0.1:%d", port)})
	}
	transcripts := make([][]string, len(servers))
	var wg sync.WaitGroup
	for i, srv := range servers {
		srv.waitStates(map[string]string{"sleeper": "RUNNING", "cat": "RUNNING", "web:worker_0": "RUNNING", "web:worker_1": "RUNNING"})
		wg.Go(func() {
			for _, u := range urls {
				transcripts[i] = append(transcripts[i], u+" -> "+srv.answer(u))
			}
		})
	}
	wg.Wait()
	ref, ours := transcripts[0], transcripts[1]
	testkit.ReportDiff(t, "webui-compat", "the reference's URLs", "reference",
		strings.Join(ref, "\n")+"\n", "ours", strings.Join(ours, "\n")+"\n")
}
