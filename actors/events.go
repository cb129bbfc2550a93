package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/scheduler"

	"supervisord/internal/handoff"
	"supervisord/protocol/events"
)

// ticks are the periodic events' periods.
var ticks = []time.Duration{5 * time.Second, time.Minute, time.Hour}

// bus is the event bus: it numbers every event (the envelope's serial) and
// hands it to each pool subscribed to its type, in publication order. It
// also keeps the latest events, numbered on a sequence of their own, for the
// JSON API's event stream (history.go).
//
// Accepts: *publish (from anyone), *subscribe and *unsubscribe (from the
// supervisor), *observe (answered with *Result) and *unobserve (from
// Daemon.Subscribe), *readEvents (answered with *EventBatch, from
// Daemon.Events), its own *tick, and an upgrade's *freezeBus, *takeBus,
// *thawBus and *adoptBus. Emits *poolEvent to pools and
// *observed to observers.
// Parent: the supervisor. It has no children. Pools buffer what their
// listeners have not taken; the history (event_history= events at most)
// is lost when the bus restarts, and readers then see a new epoch.
type bus struct {
	serial int64
	subs   map[string]subscription // by pool PID id
	// observers get every event of their types without taking part in
	// the numbering (subscribe.go): the web UI watching the tree must not
	// change the serials listeners see.
	observers map[string]subscription // by observer PID id
	timers    *scheduler.TimerScheduler
	now       func() time.Time
	// frozen holds what is published, unnumbered, in held, while the
	// tree is handed over.
	frozen bool
	held   []events.Event
	// history keeps the latest events for Daemon.Events.
	history *history
}

type subscription struct {
	pool  *actor.PID
	types []events.Type
}

// newBus makes the bus, keeping historySize events for readers
// (Daemon.Events), with the observers the tree starts with
// (Options.Observers).
func newBus(now func() time.Time, historySize int, observers ...subscription) actor.Actor {
	b := &bus{subs: map[string]subscription{}, observers: map[string]subscription{}, now: now,
		history: newHistory(historySize)}
	for _, o := range observers {
		b.observers[o.pool.Id] = o
	}
	return b
}

func (b *bus) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		b.timers = scheduler.NewTimerScheduler(c.ActorSystem().Root)
		for _, period := range ticks {
			b.scheduleTick(c, period)
		}
	case *tick:
		// when: is the start of the period just entered, as in the reference.
		b.publish(c, events.Tick{Period: int64(m.period / time.Second), When: m.at.Unix()})
		b.scheduleTick(c, m.period)
	case *publish:
		b.publish(c, m.ev)
	case *subscribe:
		b.subs[m.pool.Id] = subscription{pool: m.pool, types: m.types}
	case *unsubscribe:
		delete(b.subs, m.pool.Id)
	case *observe:
		b.observers[m.pid.Id] = subscription{pool: m.pid, types: m.types}
		c.Respond(&Result{})
	case *unobserve:
		delete(b.observers, m.pid.Id)
	case *readEvents:
		c.Respond(b.history.after(m.after, m.limit))
	// An upgrade (handoff.go).
	case *freezeBus:
		b.frozen = true
		c.Respond(&Result{})
	case *takeBus:
		held := make([]handoff.Event, len(b.held))
		for i, ev := range b.held {
			held[i] = handoff.NewEvent(0, 0, ev)
		}
		c.Respond(&busRecord{serial: b.serial, held: held})
	case *thawBus:
		held := b.held
		b.frozen, b.held = false, nil
		for _, ev := range held {
			b.publish(c, ev)
		}
		c.Respond(&Result{})
	case *adoptBus:
		b.serial = m.serial
		for _, e := range m.held {
			b.publish(c, adoptedEvent(e))
		}
	}
}

// scheduleTick fires at the next multiple of period, as the reference's
// ticks fall on whole multiples of their period since the epoch.
func (b *bus) scheduleTick(c actor.Context, period time.Duration) {
	now := b.now()
	next := now.Truncate(period).Add(period)
	b.timers.SendOnce(next.Sub(now), c.Self(), &tick{period: period, at: next})
}

// publish numbers ev and sends it to its subscribers. Like the reference,
// an event nobody subscribes to takes no serial.
func (b *bus) publish(c actor.Context, ev events.Event) {
	if b.frozen {
		b.held = append(b.held, ev)
		return
	}
	b.history.add(ev, b.now())
	var to []*actor.PID
	for _, s := range b.subs {
		if events.Subscribed(s.types, ev.EventType()) {
			to = append(to, s.pool)
		}
	}
	serial := int64(-1)
	if len(to) > 0 {
		serial = b.serial
		for _, pool := range to {
			c.Send(pool, &poolEvent{serial: serial, ev: ev})
		}
		b.serial++ // serials count from 0, as the reference's do
	}
	b.notify(c, serial, ev)
}
