package fleettest

import (
	"context"
	"errors"
	"testing"
	"time"

	"supervisord/internal/fleet"
	"supervisord/protocol/selector"
	"supervisord/testkit"
)

func TestMain(m *testing.M) { testkit.VerifyTestMain(m) }

func sel(t *testing.T, text string) selector.Selector {
	s, err := selector.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The fake picks nodes by their labels, reports the nodes that do not
// answer, and changes states as a node's tree would.
func TestFake(t *testing.T) {
	f := Sample(time.Now())
	ctx := context.Background()
	replies := f.Status(ctx, sel(t, "zone=a"), nil)
	if len(replies) != 2 || replies[0].Node != "node-a" || len(replies[0].Processes) != 2 ||
		replies[1].Node != "node-c" || !errors.Is(replies[1].Err, fleet.ErrUnreachable) {
		t.Fatalf("status: %+v", replies)
	}
	for _, want := range []int{80, 70} { // stopped, then not running
		r, err := f.Act(ctx, fleet.Action{Verb: "stop"}, sel(t, "role=web,zone=a"), []string{"web:web_0"})
		if err != nil || len(r) != 1 || len(r[0].Results) != 1 || r[0].Results[0].Code != want {
			t.Fatalf("stop: %+v, %v; want code %d", r, err, want)
		}
	}
	if _, err := f.Act(ctx, fleet.Action{Verb: "frob"}, selector.Selector{}, []string{"web"}); !errors.Is(err, fleet.ErrBadVerb) {
		t.Errorf("an unknown verb: %v", err)
	}
	if got := f.Status(ctx, sel(t, "zone=a"), []string{"web:web_0"})[0].Processes[0].StateName; got != "STOPPED" {
		t.Errorf("web_0 after its stop: %s", got)
	}
}

// A stream gets what is emitted to its nodes and of its types, and ends
// with its context.
func TestFakeStreams(t *testing.T) {
	f := Sample(time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	events, err := f.Events(ctx, sel(t, "role=web"), []string{"PROCESS_STATE"})
	if err != nil {
		t.Fatal(err)
	}
	<-f.Opened()
	for _, l := range []fleet.Line{
		{Node: "node-c", Event: "PROCESS_STATE_RUNNING", Text: "{}"}, // not selected (and unreachable)
		{Node: "node-a", Event: "TICK_5", Text: "{}"},                // another type
		{Node: "node-a", Text: "a log line"},                         // not an event
	} {
		if n := f.Emit(l); n != 0 {
			t.Errorf("%+v went to %d streams", l, n)
		}
	}
	if n := f.Emit(fleet.Line{Node: "node-b", Event: "PROCESS_STATE_STOPPED", Text: "{}"}); n != 1 {
		t.Fatalf("went to %d streams", n)
	}
	if l := <-events; l.Node != "node-b" || l.Event != "PROCESS_STATE_STOPPED" {
		t.Errorf("got %+v", l)
	}
	cancel()
	for range events {
	}
	if n := f.Emit(fleet.Line{Node: "node-b", Event: "PROCESS_STATE_STOPPED", Text: "{}"}); n != 0 {
		t.Errorf("a closed stream got a line")
	}
}
