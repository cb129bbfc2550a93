package jsonapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/auth"
	"supervisord/internal/mainlog"
	"supervisord/internal/rpcinterface"
	"supervisord/testkit"
)

func TestMain(m *testing.M) { testkit.VerifyTestMain(m) }

const testConf = `
[supervisord]
logfile=%(here)s/main.log
childlogdir=%(here)s
identifier=jsontest
event_history=500
[program:sleeper]
command=/bin/sleep 1000
startsecs=0
[program:slow]
command=/bin/sleep 1000
startsecs=0
autostart=false
[program:quick]
command=/bin/sh -c 'echo hello; exit 1'
autostart=false
startretries=0
[program:cat]
command=/bin/cat
startsecs=0
stdout_logfile=%(here)s/cat.log
stdout_events_enabled=true
[program:missing]
command=/no/such/thing
autostart=false
stdout_logfile=NONE
[program:pair]
command=/bin/sleep 1000
process_name=%(program_name)s_%(process_num)d
numprocs=2
startsecs=0
autostart=false
`

// fixture is a real tree with the API (and the XML-RPC API, which holds
// the daemon's state) in front of it, on a test server. A request's role
// comes from its X-Test-Role header (none: no principal, an anonymous
// admin), as the servers' authentication will put it in the context.
type fixture struct {
	t         *testing.T
	url       string
	dir, conf string
	tree      *actors.Daemon
	rpc       *rpcinterface.Handler
	api       *Handler
	log       *records
	shutdowns atomic.Int32
	restarts  atomic.Int32
}

// records keeps the messages logged to the main log.
type records struct {
	mu   sync.Mutex
	msgs []string
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Message)
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

// has reports whether a message containing s was logged.
func (r *records) has(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.msgs {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

func (r *records) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = nil
}

func (r *records) count(s string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if strings.Contains(m, s) {
			n++
		}
	}
	return n
}

func startFixture(t *testing.T, text string) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), log: &records{}}
	f.conf = filepath.Join(f.dir, "supervisord.conf")
	if err := os.WriteFile(f.conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.Load(f.conf)
	if err != nil {
		t.Fatal(err)
	}
	ml, err := mainlog.New(mainlog.Options{Path: cfg.Supervisord.Logfile, Level: conf.LevelInfo})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ml.Close() })
	log := slog.New(slog.NewMultiHandler(f.log, ml.Logger.Handler()))
	f.tree, err = actors.Start(cfg, actors.Options{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	reread := func() (*conf.Config, error) { return conf.Load(f.conf) }
	f.rpc = rpcinterface.New(rpcinterface.Options{Tree: f.tree, Config: cfg, PID: os.Getpid(), Log: log,
		Shutdown: func() { f.shutdowns.Add(1) }, Restart: func() { f.restarts.Add(1) }, Reread: reread})
	f.api = New(Options{Tree: f.tree, Control: f.rpc, Config: cfg, PID: os.Getpid(), Log: log, Reread: reread})
	srv := httptest.NewServer(withTestRole(f.api))
	t.Cleanup(func() {
		f.api.Close()
		srv.Close()
		f.tree.Shutdown()
		<-f.tree.Done()
	})
	f.url = srv.URL
	for _, p := range cfg.Groups {
		for _, pr := range p.Processes {
			if pr.AutoStart {
				f.waitState(pr.Group+":"+pr.Name, "RUNNING")
			}
		}
	}
	return f
}

// withTestRole puts the principal X-Test-Role names in the request's
// context.
func withTestRole(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name := r.Header.Get("X-Test-Role"); name != "" {
			role := auth.None
			if name != "none" {
				var err error
				if role, err = auth.ParseRole(name); err != nil {
					http.Error(w, err.Error(), 400)
					return
				}
			}
			r = r.WithContext(auth.With(r.Context(), auth.Principal{User: "tester", Role: role, Remote: "192.0.2.1:4242"}))
		}
		next.ServeHTTP(w, r)
	})
}

// response is an answer: its status, headers and body.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body as an object.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// do sends a request; hdr are header name, value pairs.
func (f *fixture) do(method, path, body string, hdr ...string) response {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func (f *fixture) statename(spec string) string {
	r := f.do("GET", "/api/v1/processes/"+spec, "")
	var p Process
	json.Unmarshal(r.body, &p)
	return p.Statename
}

func (f *fixture) waitState(spec, state string) {
	f.t.Helper()
	testkit.Eventually(f.t, 10*time.Second, func() bool { return f.statename(spec) == state }, spec+" "+state)
}

// sseEvent is one server-sent event as a client sees it.
type sseEvent = testkit.SSEEvent

// stream opens a server-sent event stream (failing the test unless it
// opens) and hands its events to ch until the stream ends or cancel is
// called.
func (f *fixture) stream(path string, hdr ...string) (ch <-chan sseEvent, cancel func()) {
	f.t.Helper()
	return testkit.SSE(f.t, f.url+path, hdr...)
}

// next is the next event of a stream that is not a comment.
func next(t *testing.T, ch <-chan sseEvent) sseEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("the stream ended")
			}
			if ev.Comment || ev.IDOnly {
				continue
			}
			return ev
		case <-timeout:
			t.Fatal("no event within 10s")
		}
	}
}
