// Package actortest helps tests of actors: a quiet actor system and a probe
// actor whose inbox the test reads. It is apart from testkit so that tests
// with no actors do not link the actor library.
package actortest

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// QuietSystem is a fresh actor system whose own logging (its start line,
// dead letters, supervision) is discarded, so test output holds only what
// the test logs.
func QuietSystem() *actor.ActorSystem {
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
}

// Probe is an actor that keeps what it is sent for the test to take with
// Expect: pass its PID where code under test expects a subscriber, a bus
// or a parent. Its inbox has no bound, so a sender never blocks on it.
type Probe struct {
	PID *actor.PID

	root  *actor.RootContext
	mu    sync.Mutex
	inbox []any
	wake  chan struct{} // signalled after each message that arrives
}

// NewProbe spawns a probe in sys; it is stopped when the test ends.
// Lifecycle messages (Started, Stopping, Stopped) are not kept.
func NewProbe(t testing.TB, sys *actor.ActorSystem) *Probe {
	p := &Probe{root: sys.Root, wake: make(chan struct{}, 1)}
	p.PID = sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch c.Message().(type) {
		case *actor.Started, *actor.Stopping, *actor.Stopped, *actor.Restarting:
			return
		case probeBarrier:
			c.Respond(probeBarrier{})
			return
		}
		p.mu.Lock()
		p.inbox = append(p.inbox, c.Message())
		p.mu.Unlock()
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(func() { _ = sys.Root.StopFuture(p.PID).Wait() })
	return p
}

// next takes the oldest message kept, if any.
func (p *Probe) next() (any, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.inbox) == 0 {
		return nil, false
	}
	m := p.inbox[0]
	p.inbox = p.inbox[1:]
	return m, true
}

// Expect returns the next message of type T the probe got, dropping the
// messages of other types before it, or fails the test if none comes
// within the given time.
func Expect[T any](t testing.TB, p *Probe, within time.Duration) T {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		for m, ok := p.next(); ok; m, ok = p.next() {
			if v, ok := m.(T); ok {
				return v
			}
		}
		select {
		case <-p.wake:
		case <-deadline.C:
			var zero T
			t.Fatalf("probe: no %T within %v", zero, within)
			return zero
		}
	}
}

// probeBarrier asks a probe to answer once it has kept every message
// that reached it before.
type probeBarrier struct{}

// Barrier returns once the probe has kept every message that reached its
// mailbox before this call's request did: a message an actor sent it
// before answering the test is then in Pending (or taken by Expect).
func (p *Probe) Barrier(t testing.TB) {
	t.Helper()
	if _, err := p.root.RequestFuture(p.PID, probeBarrier{}, 10*time.Second).Result(); err != nil {
		t.Fatalf("probe barrier: %v", err)
	}
}

// Pending returns the messages the probe got that no Expect took yet, and
// forgets them. After a barrier (a reply that proves earlier messages were
// handled) it tells what did arrive; an empty result shows nothing did.
func (p *Probe) Pending() []any {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.inbox
	p.inbox = nil
	return out
}
