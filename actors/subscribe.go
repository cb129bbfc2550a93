package actors

import (
	"context"
	"sync"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/protocol/events"
)

// Observers: Go code outside the tree (the web UI) watching the event bus.
// An observer sees every event of its types as the bus publishes it, but is
// not a subscriber in the reference's sense: an event only an observer takes
// gets no serial, so watching the tree never changes what eventlisteners see.

// Bus messages for observers (the closed set is in messages.go; these are
// kept next to their only user).
type (
	// observe registers an observer actor for events of these types (and
	// their subtypes); the bus answers with *Result once it is in place.
	observe struct {
		pid   *actor.PID
		types []events.Type
	}
	// unobserve drops an observer.
	unobserve struct{ pid *actor.PID }
	// observed is an event the bus hands an observer; serial is the one
	// eventlisteners saw it with, -1 when no listener took it.
	observed struct {
		serial int64
		ev     events.Event
	}
)

func (*observe) isMessage()   {}
func (*unobserve) isMessage() {}
func (*observed) isMessage()  {}

// An observer may be gone a moment before the bus hears of it, and the bus
// may be gone (the tree is down) when an observer leaves.
func (*observed) IgnoreDeadLetterLogging()  {}
func (*unobserve) IgnoreDeadLetterLogging() {}

// notify hands ev to every observer of its type.
func (b *bus) notify(c actor.Context, serial int64, ev events.Event) {
	for _, o := range b.observers {
		if events.Subscribed(o.types, ev.EventType()) {
			c.Send(o.pool, &observed{serial: serial, ev: ev})
		}
	}
}

// Subscribe calls fn for every event of the given types (and their
// subtypes) published from the moment it returns until cancel is called,
// in publication order, one call at a time. fn runs on an actor's
// goroutine: it must return quickly (hand the event on without blocking).
// The serial is the one eventlisteners saw the event with, -1 when none
// took it; subscribing never changes serials.
//
// Subscribe fails with ErrShuttingDown once the tree is down, or with ctx's
// error. After cancel returns fn is not called again.
func (d *Daemon) Subscribe(ctx context.Context, types []events.Type, fn func(serial int64, ev events.Event)) (cancel func(), err error) {
	types = append([]events.Type(nil), types...)
	pid := d.sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*observed); ok {
			fn(m.serial, m.ev)
		}
	}))
	bus := d.sys.NewLocalPID(d.root.Id + "/" + busName)
	stop := func() { _ = d.sys.Root.StopFuture(pid).Wait() }
	if _, err := d.ask(ctx, bus, &observe{pid: pid, types: types}, askTimeout); err != nil {
		stop()
		return nil, d.downOr(err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			d.tell(bus, &unobserve{pid: pid})
			stop()
		})
	}, nil
}

// downOr is ErrShuttingDown once the tree is down (nothing answers then),
// else err.
func (d *Daemon) downOr(err error) error {
	select {
	case <-d.done:
		return ErrShuttingDown
	default:
		return err
	}
}
