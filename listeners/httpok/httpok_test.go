package httpok

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"supervisord/listeners"
	"supervisord/listeners/listenertest"
	"supervisord/listeners/notify"
	"supervisord/listeners/rpc"
	"supervisord/protocol/events"
)

func TestParseArgs(t *testing.T) {
	o, err := ParseArgs([]string{"-p", "web", "-pgrp:w1", "-t", "5", "-c", "200", "-c204", "-b", "alive", "-E",
		"-w", "30", "-d", "/tmp/cores", "-g", "gcore", "--webhook", "http://h", "http://localhost:8080/health?x=1"})
	want := Options{Programs: []string{"web", "grp:w1"}, URL: "http://localhost:8080/health?x=1", Timeout: 5 * time.Second,
		Codes: []string{"200", "204"}, InBody: "alive", Eager: false, Delay: 30 * time.Second, Gcore: "gcore",
		CoreDir: "/tmp/cores", RetryTime: 10 * time.Second, Notifier: notify.Notifier{Webhook: "http://h"}}
	if err != nil || !reflect.DeepEqual(o, want) {
		t.Fatalf("ParseArgs =\n%+v, %v\nwant\n%+v", o, err, want)
	}
	o, err = ParseArgs([]string{"-a", "https://x/"})
	if err != nil || !o.Any || !o.Eager || o.Timeout != 10*time.Second || !reflect.DeepEqual(o.Codes, []string{"200"}) ||
		o.Gcore != "/usr/bin/gcore -o" {
		t.Errorf("defaults %+v, %v", o, err)
	}
	for _, bad := range [][]string{{}, {"-a"}, {"http://a", "http://b"}, {"ftp://x"}, {"-t", "x", "http://a"},
		{"-w", "-1", "http://a"}, {"-z", "http://a"}, {"localhost:80"}} {
		if _, err := ParseArgs(bad); err == nil {
			t.Errorf("ParseArgs(%q) accepted", bad)
		}
	}
	if _, err := ParseArgs([]string{"-h"}); !errors.Is(err, ErrHelp) {
		t.Error("-h")
	}
}

type env struct {
	sup     *listenertest.Server
	web     *httptest.Server
	handler atomic.Value // http.HandlerFunc
	hits    atomic.Int32
	m       *Monitor
	stderr  *strings.Builder
	sent    []notify.Message
}

func setup(t *testing.T, o Options) *env {
	e := &env{stderr: &strings.Builder{}}
	e.sup = listenertest.New(
		&listenertest.Process{Name: "web", Group: "web", State: rpc.StateRunning, PID: 100, Start: 1000, Now: 1100},
		&listenertest.Process{Name: "w1", Group: "pool", State: rpc.StateRunning, PID: 101, Start: 1000, Now: 1100},
		&listenertest.Process{Name: "w2", Group: "pool", State: rpc.StateStopped},
	)
	e.handler.Store(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("alive")) }))
	e.web = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		if r.Header.Get("User-Agent") != "httpok" {
			t.Errorf("User-Agent %q", r.Header.Get("User-Agent"))
		}
		e.handler.Load().(http.HandlerFunc)(w, r)
	}))
	t.Cleanup(func() { e.sup.Close(); e.web.Close() })
	client, _ := rpc.New(e.sup.URL, "", "")
	if o.URL == "" {
		o.URL = e.web.URL + "/health"
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Second
	}
	if len(o.Codes) == 0 {
		o.Codes = []string{"200"}
	}
	e.m = &Monitor{Options: o, RPC: client, Stderr: e.stderr,
		Notify: func(_ context.Context, m notify.Message) error { e.sent = append(e.sent, m); return nil }}
	return e
}

func (e *env) tick(t *testing.T) {
	t.Helper()
	var out strings.Builder
	stream := listenertest.Stream(events.ProcessGroupAdded{Group: "x"}, events.Tick{Period: 60, When: 60})
	if err := listeners.New(strings.NewReader(stream), &out).Run(e.m.Handle); err != nil {
		t.Fatal(err)
	}
	if out.String() != "READY\nRESULT 2\nOKREADY\nRESULT 2\nOKREADY\n" {
		t.Errorf("protocol %q", out.String())
	}
}

func TestHealthyDoesNothing(t *testing.T) {
	e := setup(t, Options{Programs: []string{"web"}, Eager: true, InBody: "alive"})
	e.tick(t)
	if e.hits.Load() != 1 || len(e.sup.Calls()) != 0 || len(e.sent) != 0 {
		t.Errorf("hits %d, calls %q, sent %v", e.hits.Load(), e.sup.Calls(), e.sent)
	}
}

func TestBadStatusRestarts(t *testing.T) {
	e := setup(t, Options{Programs: []string{"web", "pool:w2", "ghost"}, Eager: true})
	e.handler.Store(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	e.tick(t)
	want := []string{"supervisor.getAllProcessInfo", "supervisor.stopProcess web true", "supervisor.startProcess web true"}
	if got := e.sup.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls %q", got)
	}
	if len(e.sent) != 1 || e.sent[0].Subject != "httpok for "+e.m.URL+": bad status returned" {
		t.Fatalf("sent %+v", e.sent)
	}
	body := e.sent[0].Body
	for _, s := range []string{"status contacting " + e.m.URL + ": 503 Service Unavailable", "web is in RUNNING state, restarting",
		"web restarted", "pool:w2 not in RUNNING state, NOT restarting", "did not exist: ghost"} {
		if !strings.Contains(body, s) {
			t.Errorf("report lacks %q:\n%s", s, body)
		}
	}
}

func TestBadBodyAndAny(t *testing.T) {
	e := setup(t, Options{Any: true, Eager: true, InBody: "alive", Codes: []string{"200", "204"}})
	e.handler.Store(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("dead")) }))
	e.tick(t)
	calls := strings.Join(e.sup.Calls(), "\n")
	if !strings.Contains(calls, "stopProcess web true") || !strings.Contains(calls, "stopProcess pool:w1 true") ||
		strings.Contains(calls, "w2") {
		t.Errorf("calls %s", calls)
	}
	if len(e.sent) != 1 || !strings.HasSuffix(e.sent[0].Subject, "bad body returned") ||
		!strings.Contains(e.sent[0].Body, "Restarting all running processes") {
		t.Errorf("sent %+v", e.sent)
	}
}

func TestTimeoutAndDelay(t *testing.T) {
	e := setup(t, Options{Programs: []string{"web", "w1"}, Eager: true, Timeout: 200 * time.Millisecond, Delay: time.Hour})
	release := make(chan struct{})
	defer close(release)
	e.handler.Store(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	start := time.Now()
	e.tick(t)
	if time.Since(start) > 5*time.Second {
		t.Error("the timeout did not apply")
	}
	if got := e.sup.Calls(); len(got) != 1 {
		t.Errorf("restarted despite -w: %q", got)
	}
	if len(e.sent) != 1 || !strings.Contains(e.sent[0].Body, "error contacting") ||
		!strings.Contains(e.sent[0].Body, "web is in RUNNING state 100 seconds (<3600), delay restarting") {
		t.Errorf("sent %+v", e.sent)
	}
}

func TestRefusedRetriesThenRestarts(t *testing.T) {
	e := setup(t, Options{Programs: []string{"web"}, Eager: true, Timeout: 500 * time.Millisecond,
		RetryTime: 100 * time.Millisecond, CoreDir: "/cores", Gcore: "echo dumping"})
	e.web.Close()
	e.m.URL = e.web.URL
	start := time.Now()
	e.tick(t)
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("gave up after %v without retrying", d)
	}
	if got := e.sup.Calls(); len(got) != 3 {
		t.Errorf("calls %q", got)
	}
	if !strings.Contains(e.stderr.String(), "gcore output for web:\n\n dumping /cores/web 100") {
		t.Errorf("stderr %s", e.stderr.String())
	}
}

func TestNotEager(t *testing.T) {
	e := setup(t, Options{Programs: []string{"pool:w2"}, Eager: false})
	e.tick(t)
	if e.hits.Load() != 0 {
		t.Error("checked the URL with nothing running")
	}
	e.m.Programs = []string{"w1"}
	e.tick(t)
	if e.hits.Load() != 1 {
		t.Error("did not check with w1 running")
	}
}

func TestMain_(t *testing.T) {
	var out, errOut strings.Builder
	if Main([]string{"-h"}, nil, nil, &out, &errOut) != 0 || !strings.Contains(out.String(), "--not-eager") {
		t.Error("-h")
	}
	if Main([]string{"-a"}, nil, nil, &out, &errOut) != 2 {
		t.Error("no URL")
	}
	if Main([]string{"http://x"}, func(string) string { return "" }, nil, &out, &errOut) != 2 {
		t.Error("no server URL")
	}
	e := setup(t, Options{})
	e.handler.Store(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	getenv := func(k string) string {
		if k == "SUPERVISOR_SERVER_URL" {
			return e.sup.URL
		}
		return ""
	}
	out.Reset()
	code := Main([]string{"-p", "web", "-t", "2", e.web.URL}, getenv,
		strings.NewReader(listenertest.Stream(events.Tick{Period: 5, When: 5})), &out, &errOut)
	if code != 0 || out.String() != "READY\nRESULT 2\nOKREADY\n" || len(e.sup.Calls()) != 3 {
		t.Errorf("Main = %d, %q, calls %q, stderr %s", code, out.String(), e.sup.Calls(), errOut.String())
	}
}
