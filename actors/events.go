package actors

import (
	"strconv"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/scheduler"
)

// Event is one notification: its type name (PROCESS_STATE_RUNNING, TICK_5,
// …) and the payload a listener receives after the envelope.
type Event struct {
	Name    string
	Payload []byte
}

// isA reports whether an event of type name is delivered to a subscription
// to parent: the reference's types form a tree under EVENT whose children
// extend their parent's name (PROCESS_STATE → PROCESS_STATE_RUNNING).
func isA(name, parent string) bool {
	return parent == "EVENT" || name == parent || strings.HasPrefix(name, parent+"_")
}

// ticks are the periodic events, with their periods in seconds.
var ticks = []struct {
	name   string
	period time.Duration
}{{"TICK_5", 5 * time.Second}, {"TICK_60", time.Minute}, {"TICK_3600", time.Hour}}

// bus is the event bus: it numbers every event (the envelope's serial) and
// hands it to each pool subscribed to its type, in publication order.
//
// Accepts: *publish (from anyone), *subscribe and *unsubscribe (from the
// supervisor), its own *tick. Emits *poolEvent to pools.
// Parent: the supervisor. It has no children and keeps no events: pools
// buffer what their listeners have not taken.
type bus struct {
	serial int
	subs   map[string]subscription // by pool PID id
	timers *scheduler.TimerScheduler
	now    func() time.Time
}

type subscription struct {
	pool  *actor.PID
	types []string
}

func newBus(now func() time.Time) actor.Actor {
	return &bus{subs: map[string]subscription{}, now: now}
}

func (b *bus) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		b.timers = scheduler.NewTimerScheduler(c.ActorSystem().Root)
		for _, t := range ticks {
			b.scheduleTick(c, t.name, t.period)
		}
	case *tick:
		// when: is the start of the period just entered, as in the reference.
		b.publish(c, Event{Name: m.name, Payload: []byte("when:" + strconv.FormatInt(m.at.Unix(), 10))})
		b.scheduleTick(c, m.name, m.period)
	case *publish:
		b.publish(c, m.ev)
	case *subscribe:
		b.subs[m.pool.Id] = subscription{pool: m.pool, types: m.types}
	case *unsubscribe:
		delete(b.subs, m.pool.Id)
	}
}

// scheduleTick fires at the next multiple of period, as the reference's
// ticks fall on whole multiples of their period since the epoch.
func (b *bus) scheduleTick(c actor.Context, name string, period time.Duration) {
	now := b.now()
	next := now.Truncate(period).Add(period)
	b.timers.SendOnce(next.Sub(now), c.Self(), &tick{name: name, period: period, at: next})
}

// publish numbers ev and sends it to its subscribers. Like the reference,
// an event nobody subscribes to takes no serial.
func (b *bus) publish(c actor.Context, ev Event) {
	var to []*actor.PID
	for _, s := range b.subs {
		for _, t := range s.types {
			if isA(ev.Name, t) {
				to = append(to, s.pool)
				break
			}
		}
	}
	if len(to) == 0 {
		return
	}
	for _, pool := range to {
		c.Send(pool, &poolEvent{serial: b.serial, ev: ev})
	}
	b.serial++ // serials count from 0, as the reference's do
}
