package rpcinterface

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/protocol/xmlrpc"
)

// supervisor.getSchedule reports a scheduled program's schedule, stays
// out of system.listMethods, and leaves getProcessInfo's keys as they are.
func TestGetSchedule(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "supervisord.conf")
	os.WriteFile(path, []byte(`[supervisord]
logfile=%(here)s/main.log
pidfile=%(here)s/supervisord.pid
childlogdir=%(here)s
[program:job]
command=/bin/true
schedule=0 3 * * *
schedule_timezone=UTC
schedule_overlap=queue
[program:plain]
command=/bin/true
autostart=false
`), 0o644)
	cfg, err := conf.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := actors.Start(cfg, actors.Options{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Shutdown(); <-d.Done() })
	h := New(Options{Tree: d, Config: cfg, PID: os.Getpid(), Log: log, Shutdown: func() {}, Restart: func() {},
		Reread: func() (*conf.Config, error) { return conf.Load(path) }})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c := client{t: t, url: srv.URL}

	v, err := c.call("supervisor.getSchedule", "job")
	if err != nil {
		t.Fatal(err)
	}
	s := v.(map[string]any)
	now := time.Now().UTC()
	due := time.Date(now.Year(), now.Month(), now.Day(), 3, 0, 0, 0, time.UTC)
	if !due.After(now) {
		due = due.AddDate(0, 0, 1)
	}
	want := map[string]any{"name": "job", "group": "job", "schedule": "0 3 * * *", "timezone": "UTC", "overlap": "queue",
		"catchup": false, "next_run": int(due.Unix()), "last_run": 0, "queued": false}
	if len(s) != len(want) {
		t.Errorf("getSchedule = %v, want %v", s, want)
	}
	for k, w := range want {
		if s[k] != w {
			t.Errorf("getSchedule %s = %v, want %v", k, s[k], w)
		}
	}
	if _, err := c.call("supervisor.getSchedule", "plain"); err == nil || err.(*xmlrpc.Fault).Code != xmlrpc.FaultBadName {
		t.Errorf("getSchedule of an unscheduled program: %v, want BAD_NAME", err)
	}
	if _, err := c.call("supervisor.getSchedule", "nosuch"); err == nil || err.(*xmlrpc.Fault).Code != xmlrpc.FaultBadName {
		t.Errorf("getSchedule of no program: %v, want BAD_NAME", err)
	}
	methods, err := c.call("system.listMethods")
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(methods.([]any), any("supervisor.getSchedule")) {
		t.Error("system.listMethods lists supervisor.getSchedule")
	}
	in, err := c.call("supervisor.getProcessInfo", "job")
	if err != nil {
		t.Fatal(err)
	}
	if m := in.(map[string]any); len(m) != 14 {
		t.Errorf("getProcessInfo of a scheduled program has %d keys, want the reference's 14: %v", len(m), m)
	}
}
