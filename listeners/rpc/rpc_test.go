package rpc

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"supervisord/internal/rpcclient"
	"supervisord/listeners/listenertest"
	"supervisord/protocol/xmlrpc"
	"supervisord/testkit"
)

func TestAgainstFakeServer(t *testing.T) {
	srv := listenertest.New(
		&listenertest.Process{Name: "web", Group: "web", State: StateRunning, PID: 42, Start: 100, Now: 160},
		&listenertest.Process{Name: "w1", Group: "pool", State: StateStopped, Now: 160},
	)
	defer srv.Close()
	srv.User, srv.Password = "u", "p"
	env := map[string]string{"SUPERVISOR_SERVER_URL": srv.URL + "/ignored/path", "SUPERVISOR_USERNAME": "u", "SUPERVISOR_PASSWORD": "p"}
	c, err := FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	all, err := c.GetAllProcessInfo(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("GetAllProcessInfo = %+v, %v", all, err)
	}
	if all[0].Namespec() != "web" || all[0].PID != 42 || all[0].Uptime() != time.Minute || all[0].StateName != "RUNNING" {
		t.Errorf("web = %+v", all[0])
	}
	if all[1].Namespec() != "pool:w1" || all[1].Uptime() != 0 {
		t.Errorf("w1 = %+v", all[1])
	}
	if err := c.Restart(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	if err := c.Restart(ctx, "pool:w1"); err != nil {
		t.Fatal(err)
	}
	info, err := c.GetProcessInfo(ctx, "pool:w1")
	if err != nil || info.State != StateRunning || info.PID == 0 {
		t.Errorf("after restart: %+v, %v", info, err)
	}
	_, err = c.GetProcessInfo(ctx, "nope")
	if !IsFault(err, xmlrpc.FaultBadName) {
		t.Errorf("bad name: %v", err)
	}
	want := []string{"supervisor.getAllProcessInfo", "supervisor.stopProcess web true", "supervisor.startProcess web true",
		"supervisor.stopProcess pool:w1 true", "supervisor.startProcess pool:w1 true",
		"supervisor.getProcessInfo pool:w1", "supervisor.getProcessInfo nope"}
	if got := srv.Calls(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s", strings.Join(got, "\n"))
	}
	srv.FailStart["web"] = true
	if err := c.Restart(ctx, "web"); err == nil || !strings.Contains(err.Error(), "starting web") {
		t.Errorf("failing start: %v", err)
	}
	// Wrong credentials: a plain HTTP error.
	bad, _ := New(srv.URL, "u", "wrong")
	if _, err := bad.GetAllProcessInfo(ctx); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("bad auth: %v", err)
	}
}

func TestNew(t *testing.T) {
	if _, err := FromEnv(func(string) string { return "" }); !errors.Is(err, ErrNoServerURL) {
		t.Errorf("no URL: %v", err)
	}
	for _, bad := range []string{"ftp://x", "http://", "/tmp/sock", ""} {
		if _, err := New(bad, "", ""); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
	c, err := New("http://Example.com:80/x", "", "")
	if err != nil || c.rpc.Server() != (rpcclient.Server{Network: "tcp", Address: "example.com:80", Host: "example.com"}) {
		t.Errorf("server %+v, %v", c.rpc.Server(), err)
	}
}

// The client against the reference supervisord over its unix socket.
func TestAgainstReferenceSupervisord(t *testing.T) {
	if _, err := os.Stat("/usr/bin/supervisord"); err != nil {
		t.Skip("SKIPPED: the reference /usr/bin/supervisord is missing")
	}
	d := testkit.StartDaemon(t, "/usr/bin/supervisord", `
[unix_http_server]
file={dir}/s.sock
[supervisord]
logfile={dir}/supervisord.log
pidfile={dir}/supervisord.pid
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[program:sleeper]
command=/bin/sleep 1000
startsecs=0
[group:grp]
programs=other
[program:other]
command=/bin/sleep 1000
startsecs=0
`)
	c, err := New("unix://"+d.Dir+"/s.sock", "", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var all []ProcessInfo
	if !testkit.Poll(30*time.Second, func() bool {
		all, err = c.GetAllProcessInfo(ctx)
		return err == nil && len(all) == 2 && all[0].State == StateRunning && all[1].State == StateRunning
	}) {
		t.Fatalf("never both RUNNING: %+v, %v", all, err)
	}
	specs := all[0].Namespec() + " " + all[1].Namespec()
	if specs != "grp:other sleeper" || all[1].PID == 0 || all[1].Now < all[1].Start {
		t.Fatalf("processes %s: %+v", specs, all)
	}
	old := all[0].PID
	if err := c.Restart(ctx, "grp:other"); err != nil {
		t.Fatal(err)
	}
	info, err := c.GetProcessInfo(ctx, "grp:other")
	if err != nil || info.State != StateRunning || info.PID == old || info.PID == 0 {
		t.Errorf("after restart: %+v, %v (old pid %d)", info, err, old)
	}
	if _, err := c.GetProcessInfo(ctx, "nope"); !IsFault(err, xmlrpc.FaultBadName) {
		t.Errorf("bad name: %v", err)
	}
	if err := c.StopProcess(ctx, "sleeper", true); err != nil {
		t.Fatal(err)
	}
	if err := c.StopProcess(ctx, "sleeper", true); !IsFault(err, xmlrpc.FaultNotRunning) {
		t.Errorf("stopping twice: %v", err)
	}
}
