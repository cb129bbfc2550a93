package actors

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
)

// pool is the actor of an [eventlistener:x] group: a group whose processes
// are listeners, plus the buffer of events they have not yet taken.
//
// Accepts what a group does (its *groupStatus answer carries the pool's
// counters, stats.go), and *poolEvent (from the bus), *listenerReady,
// *listenerResult and *listenerGone (from its listeners' protocol actors),
// *listenerRunning and *listenerAdopted (from its listener processes), and
// an upgrade's *freezePool, *snapPool and *thawPool (handoff.go).
// Emits *deliver to a READY listener's protocol actor, oldest event first,
// one event per listener at a time. An event a listener refuses (FAIL) or
// was busy with when it died goes back to the head of the buffer; when the
// buffer is full the oldest event is dropped with an error, as in the
// reference. Parent: the supervisor, which subscribes it at the bus.
type pool struct {
	*group
	poolSerial int64
	buffer     []*queuedEvent
	ready      map[string]*actor.PID // READY listeners' protocol actors
	running    map[string]bool       // RUNNING listener processes
	// sent holds each listener's event until it answers: if it dies first,
	// even before the event reached it, the event goes back to the buffer.
	sent map[string]delivery // by protocol actor id
	// An upgrade (handoff.go): frozen holds every event in the buffer;
	// adopted are the events handed-over listeners were sent, by listener
	// name, until each has its protocol actor again.
	frozen  bool
	adopted map[string]*queuedEvent
	stats   poolStats // stats.go
}

// delivery is an event a listener was sent.
type delivery struct {
	name string
	ev   *queuedEvent
}

func newPool(g *group) actor.Actor {
	return &pool{group: g, ready: map[string]*actor.PID{}, running: map[string]bool{}, sent: map[string]delivery{},
		adopted: map[string]*queuedEvent{}}
}

func (p *pool) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		p.adopt() // before the listeners start
		p.group.Receive(c)
	case *freezePool:
		p.frozen = true
		c.Respond(&Result{})
	case *snapPool:
		c.Respond(&poolRecord{p.record()})
	case *thawPool:
		p.frozen = false
		p.dispatch(c)
		c.Respond(&Result{})
	case *listenerAdopted:
		if ev := p.adopted[m.name]; ev != nil {
			delete(p.adopted, m.name)
			p.sent[m.proto.Id] = delivery{m.name, ev}
		}
		if m.ready {
			p.ready[m.name] = m.proto
		}
		p.dispatch(c)
	case *groupStatus:
		p.status(c, &PoolStats{Pool: p.cfg.Name, Queued: len(p.buffer), Delivered: p.stats.delivered,
			Redelivered: p.stats.redelivered, Dropped: p.stats.dropped})
	case *poolEvent:
		p.accept(&queuedEvent{serial: m.serial, poolSerial: p.poolSerial, ev: m.ev}, false)
		p.poolSerial++
		p.dispatch(c)
	case *listenerReady:
		p.ready[m.name] = m.proto
		p.dispatch(c)
	case *listenerResult:
		d, ok := p.sent[m.proto.Id]
		delete(p.sent, m.proto.Id)
		if !m.ok && ok {
			p.rebuffer(d.ev)
		}
		p.dispatch(c)
	case *listenerRunning:
		p.running[m.name] = m.running
		p.dispatch(c)
	case *listenerGone:
		p.unready(m.name, m.proto)
		if d, ok := p.sent[m.proto.Id]; ok {
			delete(p.sent, m.proto.Id)
			p.rebuffer(d.ev)
		}
		if ev := p.adopted[m.name]; ev != nil { // gone before it was adopted
			delete(p.adopted, m.name)
			p.rebuffer(ev)
		}
		p.dispatch(c)
	default:
		p.group.Receive(c)
	}
}

// unready takes a listener out of the READY set, unless a newer run of it
// is the one in there.
func (p *pool) unready(name string, proto *actor.PID) {
	if r, ok := p.ready[name]; ok && r.Equal(proto) {
		delete(p.ready, name)
	}
}

func (p *pool) rebuffer(ev *queuedEvent) {
	p.rt.log.Debug(fmt.Sprintf("rebuffering event %d for pool %s (buf size=%d, max=%d)",
		ev.serial, p.cfg.Name, len(p.buffer), p.cfg.BufferSize))
	p.accept(ev, true)
}

// accept buffers an event, at the head when it is going back for another
// try, dropping the oldest one when the buffer is full.
func (p *pool) accept(ev *queuedEvent, head bool) {
	if len(p.buffer) >= p.cfg.BufferSize && len(p.buffer) > 0 {
		dropped := p.buffer[0]
		p.buffer = p.buffer[1:]
		p.stats.dropped++
		p.rt.log.Error(fmt.Sprintf("pool %s event buffer overflowed, discarding event %d", p.cfg.Name, dropped.serial))
	}
	if head {
		p.buffer = append([]*queuedEvent{ev}, p.buffer...)
	} else {
		p.buffer = append(p.buffer, ev)
	}
}

// dispatch hands the oldest events to RUNNING listeners that said READY, in
// the pool's process order, until either runs out.
func (p *pool) dispatch(c actor.Context) {
	for len(p.buffer) > 0 && !p.frozen {
		name, proto := p.readyListener()
		if proto == nil {
			return
		}
		ev := p.buffer[0]
		p.buffer = p.buffer[1:]
		delete(p.ready, name)
		p.sent[proto.Id] = delivery{name, ev}
		p.stats.sent(ev)
		c.Send(proto, &deliver{ev: ev})
		p.rt.log.Debug(fmt.Sprintf("event %d sent to listener %s", ev.serial, name))
	}
}

func (p *pool) readyListener() (string, *actor.PID) {
	for _, pc := range p.cfg.Processes {
		if proto, ok := p.ready[pc.Name]; ok && p.running[pc.Name] {
			return pc.Name, proto
		}
	}
	return "", nil
}
