package actors

import (
	"context"
	"log/slog"
	"slices"
	"syscall"
	"testing"
	"time"

	"supervisord/conf"
	"supervisord/protocol/events"
)

// An observer the tree starts with sees its first events, and the event
// that ends a run says how it ended; the process counts its exits and
// automatic restarts.
func TestObserverAndExitStats(t *testing.T) {
	t.Parallel()
	got := make(chan events.ProcessState, 64)
	cfg := &conf.Config{Groups: []*conf.Group{
		program("three", "exit 3", func(p *conf.Process) { p.StartSecs, p.AutoRestart = 0, conf.RestartNever }),
		// Killed by SIGTERM once, restarted, then exits 0 (expected).
		program("killed", `[ -e "$0.ran" ] && exit 0; : > "$0.ran"; kill -TERM $$`, func(p *conf.Process) {
			p.StartSecs = 0
			p.Argv = []string{"/bin/sh", "-c", p.Command, t.TempDir() + "/killed"}
		}),
	}}
	cfg.Supervisord.ChildLogDir = t.TempDir()
	obs := Observer{Types: []events.Type{events.TypeProcessState}, Fn: func(_ int64, ev events.Event) {
		got <- ev.(events.ProcessState)
	}}
	d, err := Start(cfg, Options{Log: slog.New(slog.DiscardHandler), Observers: []Observer{obs}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { d.Shutdown(); <-d.Done() }()
	type seen struct {
		state string
		exit  events.Exit
		ended bool
	}
	want := map[string][]seen{
		"three": {{state: "STARTING"}, {state: "RUNNING"}, {state: "EXITED", exit: events.Exit{Code: 3}, ended: true}},
		"killed": {{state: "STARTING"}, {state: "RUNNING"}, {state: "EXITED", exit: events.Exit{Code: -1, Signal: syscall.SIGTERM}, ended: true},
			{state: "STARTING"}, {state: "RUNNING"}, {state: "EXITED", exit: events.Exit{Code: 0, Expected: true}, ended: true}},
	}
	have := map[string][]seen{}
	deadline := time.After(20 * time.Second)
	for len(have["three"]) < len(want["three"]) || len(have["killed"]) < len(want["killed"]) {
		select {
		case ev := <-got:
			s := seen{state: ev.State, ended: ev.Exit != nil}
			if ev.Exit != nil {
				s.exit = *ev.Exit
			}
			have[ev.Process] = append(have[ev.Process], s)
		case <-deadline:
			t.Fatalf("events so far: %+v", have)
		}
	}
	for name, w := range want {
		if !slices.Equal(have[name], w) {
			t.Errorf("%s's events:\n%+v\nwant\n%+v", name, have[name], w)
		}
	}
	infos, err := d.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		var want ProcessStats
		switch in.Name {
		case "three":
			want = ProcessStats{Exits: []ExitCount{{Code: 3, Count: 1}}}
		case "killed":
			want = ProcessStats{Restarts: 1, Exits: []ExitCount{{Code: -1, Signal: syscall.SIGTERM, Count: 1}, {Code: 0, Count: 1}}}
		}
		if in.Stats.Restarts != want.Restarts || !slices.Equal(in.Stats.Exits, want.Exits) {
			t.Errorf("%s's stats %+v, want %+v", in.Name, in.Stats, want)
		}
	}
}
