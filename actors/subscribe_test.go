package actors

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/protocol/events"
	"supervisord/testkit/actortest"
)

// An observer sees every event of its types, but only events a pool takes
// are numbered: watching never changes the serials listeners see.
func TestObserversTakeNoSerials(t *testing.T) {
	t.Parallel()
	sys := actortest.QuietSystem()
	pool := actortest.NewProbe(t, sys)
	watcher := actortest.NewProbe(t, sys)
	bus := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return newBus(time.Now, 0) }))
	t.Cleanup(func() { _ = sys.Root.StopFuture(bus).Wait() })
	sys.Root.Send(bus, &subscribe{pool: pool.PID, types: []events.Type{events.TypeProcessState}})
	res, err := sys.Root.RequestFuture(bus, &observe{pid: watcher.PID, types: []events.Type{events.TypeProcessState, events.TypeProcessLog}},
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
	for i, want := range []struct {
		serial int64
		typ    events.Type
	}{
		{-1, events.TypeProcessLogStdout}, {0, events.TypeProcessStateRunning},
		{-1, events.TypeProcessLogStderr}, {1, events.TypeProcessStateStopping},
	} {
		if m := actortest.Expect[*observed](t, watcher, 5*time.Second); m.serial != want.serial || m.ev.EventType() != want.typ {
			t.Errorf("observed %d: serial %d %s, want %d %s", i, m.serial, m.ev.EventType(), want.serial, want.typ)
		}
	}
	for want := int64(0); want < 2; want++ {
		if m := actortest.Expect[*poolEvent](t, pool, 5*time.Second); m.serial != want {
			t.Errorf("pool got serial %d, want %d", m.serial, want)
		}
	}
	// Once unobserved, nothing more arrives. The bus answers an observe
	// only after it handled the publish before it, so the watcher's event,
	// had there been one, reached the watcher before the barrier did.
	sys.Root.Send(bus, &unobserve{pid: watcher.PID})
	sys.Root.Send(bus, &publish{ev: events.ProcessState{State: "STOPPED", Process: "a"}})
	if m := actortest.Expect[*poolEvent](t, pool, 5*time.Second); m.serial != 2 {
		t.Errorf("pool serial %d after unobserve", m.serial)
	}
	if _, err := sys.Root.RequestFuture(bus, &observe{pid: sys.NewLocalPID("nobody")}, time.Second).Result(); err != nil {
		t.Fatal(err)
	}
	watcher.Barrier(t)
	for _, m := range watcher.Pending() {
		if m, ok := m.(*observed); ok {
			t.Errorf("observed %s after unobserve", m.ev.EventType())
		}
	}
}

// Subscribe works right after Start (before the bus may exist), delivers
// in order, stops at cancel and fails once the tree is down.
func TestSubscribe(t *testing.T) {
	t.Parallel()
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
	// A second subscriber, kept, tells when the stop's events went out.
	witnessed := make(chan events.ProcessState, 16)
	keep, err := tr.Subscribe(context.Background(), []events.Type{events.TypeProcessState}, func(_ int64, ev events.Event) {
		witnessed <- ev.(events.ProcessState)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer keep()
	cancel()
	cancel() // twice is fine
	if err := tr.Stop(context.Background(), "late", "late", false); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(5 * time.Second)
	for stopped := false; !stopped; {
		select {
		case ev := <-witnessed:
			stopped = ev.State == "STOPPED"
		case <-deadline:
			t.Fatal("no STOPPED event")
		}
	}
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
