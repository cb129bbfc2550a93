package jsonapi

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/faults"
	"supervisord/protocol/events"
)

var update = flag.Bool("update", false, "rewrite testdata/shapes.golden")

// The JSON the API answers with, one line per shape: what clients parse,
// kept in a golden file so that a change to it is a deliberate one.
func TestShapes(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 500_000_000, time.UTC)
	running := actors.ProcessInfo{Name: "web_0", Group: "web", State: actors.Running, Start: at.Add(-time.Hour), Now: at,
		PID: 4242, StdoutLogfile: "/var/log/web.log", Health: "healthy"}
	stopped := actors.ProcessInfo{Name: "db", Group: "db", State: actors.Stopped, WaitingFor: "net to be ready"}
	var d Daemon
	d.State.Code, d.State.Name = 1, "RUNNING"
	d.PID, d.Version, d.Identification = 99, "4.2.5", "supervisor"
	rec := func(seq uint64, ev events.Event) []byte {
		return eventData(actors.Recorded{Seq: seq, At: at, Event: ev})
	}
	missed := uint64(65)
	shapes := []struct {
		name string
		v    any
	}{
		{"process running", processOf(running)},
		{"process waiting", processOf(stopped)},
		{"group", Group{Name: "web", Kind: "program", Priority: 999, Processes: []Process{processOf(running)}}},
		{"outcome ok", outcomeOf("web", "web_0", nil)},
		{"outcome failed", outcomeOf("web", "web_0", actors.ErrAlreadyStarted)},
		{"error fault", apiError(&actors.Error{Kind: actors.SpawnError, Detail: "no such user"}, "web:web_0")},
		{"error read", apiError(faults.OfRead(actors.ErrBadArguments, "web"), "web")},
		{"error other", apiError(errors.New("something"), "")},
		{"error request", badRequest(`unknown field "x"`)},
		{"process config", ProcessConfig{Sections: []Section{sectionOf(conf.Source{Section: "program:web", File: "/etc/supervisor/conf.d/web.conf", Line: 3,
			Options: []conf.SourceOption{{Name: "command", Value: "/usr/bin/web --port 8001", File: "/etc/supervisor/conf.d/web.conf", Line: 4}}})}}},
		{"daemon", d},
		{"changes", Changes{Added: []string{"new"}, Changed: []string{}, Removed: []string{"old"}}},
		{"update", Update{Changes{Added: []string{}, Changed: []string{"web"}, Removed: []string{}}, []string{"adding x: supervisor: failed"}}},
		{"reload status", ReloadStatus{Enabled: true, Files: []string{"/etc/s.conf"}, LastRead: 1, Error: "", LastApplied: 1,
			Added: []string{}, Changed: []string{}, Removed: []string{}}},
		{"gap", gap{From: "3f9a2c1b-108", Missed: &missed}},
		{"gap unknown", gap{From: "3f9a2c1b-1"}},
		{"fleet node", FleetNode{Name: "node-a", Labels: map[string]string{"zone": "a", "role": "web"}, Address: "10.0.0.1:7947",
			Gossip: "10.0.0.1:7946", State: "alive", LastSeen: at.Unix(), Self: true}},
		{"fleet status", FleetStatus{Node: "node-a", Processes: []FleetProcess{{Node: "node-a", Name: "web_0", Group: "web",
			Namespec: "web:web_0", State: 20, Statename: "RUNNING", Description: "pid 4242, uptime 1:00:00",
			Start: at.Add(-time.Hour).Unix(), Now: at.Unix(), PID: 4242}}}},
		{"fleet status unreachable", FleetStatus{Node: "node-c", Error: "fleet: unreachable", Unreachable: true, Processes: []FleetProcess{}}},
		{"fleet results", FleetResults{Node: "node-a", Results: []FleetOutcome{{Node: "node-a", Group: "web", Name: "web_0",
			Code: "ALREADY_STARTED", Message: "ALREADY_STARTED: web:web_0"}}}},
		{"fleet event", fleetEventData{Node: "node-a", Payload: []byte(`{"when":1796120400}`)}},
		{"fleet log line", fleetLogLine{Node: "node-a", Text: "<b>\n"}},
		{"error not in fleet", notInFleet()},
	}
	var b strings.Builder
	for _, s := range shapes {
		j, err := marshal(s.v)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s: %s\n", s.name, j)
	}
	for i, ev := range []events.Event{
		events.ProcessState{State: events.StateStarting, Process: "web_0", Group: "web", From: "STOPPED", Tries: 1},
		events.ProcessState{State: events.StateRunning, Process: "web_0", Group: "web", From: "STARTING", PID: 4242},
		events.ProcessState{State: events.StateExited, Process: "web_0", Group: "web", From: "RUNNING", PID: 4242, Expected: true},
		events.ProcessState{State: events.StateFatal, Process: "web_0", Group: "web", From: "BACKOFF"},
		events.ProcessLog{Channel: "stderr", Process: "web_0", Group: "web", PID: 4242, Data: []byte("<b>\xff\n")},
		events.ProcessCommunication{Channel: "stdout", Process: "web_0", Group: "web", PID: 4242, Data: []byte("hi")},
		events.RemoteCommunication{Type: "deploy", Data: "v2"},
		events.SupervisorRunning{},
		events.SupervisorStopping{},
		events.Tick{Period: 60, When: 1796120400},
		events.ProcessGroupAdded{Group: "web"},
		events.ProcessGroupRemoved{Group: "web"},
		events.ProcessHealth{Type: events.TypeProcessHealthUnhealthy, Process: "api", Group: "api", PID: 7, Detail: "status 503"},
		events.Raw{Type: events.TypeProcessStateRunning, Body: "processname:a groupname:a from_state:STARTING pid:1"},
	} {
		fmt.Fprintf(&b, "event %s: %s\n", ev.EventType(), rec(uint64(i+1), ev))
	}
	const golden = "testdata/shapes.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("shapes differ from %s (go test -update to rewrite):\n%s", golden, b.String())
	}
}
