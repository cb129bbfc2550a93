package actors

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/protocol/events"
)

// An observer sees every event of its types, but only events a pool takes
// are numbered: watching never changes the serials listeners see.
func TestObserversTakeNoSerials(t *testing.T) {
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	defer sys.Shutdown()
	bus := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return newBus(time.Now) }))
	pooled := make(chan *poolEvent, 16)
	pool := sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*poolEvent); ok {
			pooled <- m
		}
	}))
	seen := make(chan *observed, 16)
	watcher := sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *observed:
			seen <- m
		case string: // a barrier: everything sent before it was handled
			c.Respond(m)
		}
	}))
	sys.Root.Send(bus, &subscribe{pool: pool, types: []events.Type{events.TypeProcessState}})
	res, err := sys.Root.RequestFuture(bus, &observe{pid: watcher, types: []events.Type{events.TypeProcessState, events.TypeProcessLog}},
		time.Second).Result()
	if r, ok := res.(*Result); err != nil || !ok || r.Err != nil {
		t.Fatalf("observe: %v %v", res, err)
	}
	for _, ev := range []events.Event{
		events.ProcessLog{Channel: "stdout", Process: "a"},
		events.ProcessState{State: "RUNNING", Process: "a"},
		events.ProcessLog{Channel: "stderr", Process: "a"},
		events.RemoteCommunication{Type: "x"}, // neither takes it
		events.ProcessState{State: "STOPPING", Process: "a"},
	} {
		sys.Root.Send(bus, &publish{ev: ev})
	}
	recv := func(ch <-chan *observed) *observed {
		select {
		case m := <-ch:
			return m
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
			return nil
		}
	}
	for i, want := range []struct {
		serial int64
		typ    events.Type
	}{
		{-1, events.TypeProcessLogStdout}, {0, events.TypeProcessStateRunning},
		{-1, events.TypeProcessLogStderr}, {1, events.TypeProcessStateStopping},
	} {
		if m := recv(seen); m.serial != want.serial || m.ev.EventType() != want.typ {
			t.Errorf("observed %d: serial %d %s, want %d %s", i, m.serial, m.ev.EventType(), want.serial, want.typ)
		}
	}
	for want := int64(0); want < 2; want++ {
		select {
		case m := <-pooled:
			if m.serial != want {
				t.Errorf("pool got serial %d, want %d", m.serial, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("pool got nothing")
		}
	}
	// Once unobserved, nothing more arrives.
	sys.Root.Send(bus, &unobserve{pid: watcher})
	sys.Root.Send(bus, &publish{ev: events.ProcessState{State: "STOPPED", Process: "a"}})
	if m := <-pooled; m.serial != 2 {
		t.Errorf("pool serial %d after unobserve", m.serial)
	}
	if _, err := sys.Root.RequestFuture(watcher, "barrier", time.Second).Result(); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-seen:
		t.Errorf("observed %s after unobserve", m.ev.EventType())
	default:
	}
}

// Subscribe works right after Start (before the bus may exist), delivers
// in order, stops at cancel and fails once the tree is down.
func TestSubscribe(t *testing.T) {
	tr := startTree(t, []*conf.Group{program("late", "exec sleep 100", func(p *conf.Process) {
		p.AutoStart, p.StartSecs = false, 0
	})})
	got := make(chan events.ProcessState, 16)
	cancel, err := tr.Subscribe(context.Background(), []events.Type{events.TypeProcessState}, func(serial int64, ev events.Event) {
		if serial != -1 {
			t.Errorf("serial %d without listeners", serial)
		}
		got <- ev.(events.ProcessState)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(context.Background(), "late", "late", false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"STARTING", "RUNNING"} {
		select {
		case ev := <-got:
			if ev.State != want || ev.Process != "late" {
				t.Errorf("got %s of %s, want %s", ev.State, ev.Process, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s event", want)
		}
	}
	cancel()
	cancel() // twice is fine
	if err := tr.Stop(context.Background(), "late", "late", false); err != nil {
		t.Fatal(err)
	}
	tr.waitState(t, "late", Stopped, 5*time.Second)
	select {
	case ev := <-got:
		t.Errorf("event %s after cancel", ev.State)
	default:
	}
	tr.Shutdown()
	<-tr.Done()
	if _, err := tr.Subscribe(context.Background(), nil, func(int64, events.Event) {}); !errors.Is(err, ErrShuttingDown) {
		t.Errorf("Subscribe on a stopped tree: %v", err)
	}
}
