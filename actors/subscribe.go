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
	pid := d.sys.Root.Spawn(observerProps(fn))
	stop := func() { _ = d.sys.Root.StopFuture(pid).Wait() }
	if _, err := d.ask(ctx, &toBus{msg: &observe{pid: pid, types: types}}, askTimeout); err != nil {
		stop()
		return nil, d.downOr(err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			d.tell(&toBus{msg: &unobserve{pid: pid}})
			stop()
		})
	}, nil
}

// observerProps make the actor that calls fn for each event an observer
// is handed.
func observerProps(fn func(serial int64, ev events.Event)) *actor.Props {
	return actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*observed); ok {
			fn(m.serial, m.ev)
		}
	})
}
