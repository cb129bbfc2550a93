package actors

import (
	"context"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/internal/handoff"
	"supervisord/protocol/events"
)

// listener is the eventlistener protocol for one run of a listener
// process: it reads the process's stdout for READY and RESULT, and writes
// envelopes to its stdin.
//
// Accepts: *logChunk (the listener's stdout, passed on to its stdout
// logger), *deliver (from the pool), *snapshotListener (an upgrade).
// Emits *listenerReady, *listenerResult and, when it stops (its process
// exited), *listenerGone to the pool. Parent: the listener's process actor,
// which starts one per spawn and stops it when the process is reaped.
type listener struct {
	name     string
	pool     *actor.PID
	poolName string
	stdin    *stdinWriter
	rt       *runtime
	out      *events.ListenerOutput
	log      *actor.PID // the process's stdout logger, nil when none
}

// newListener starts in out's state: ACKNOWLEDGED for a new run, the
// handed-over state for an adopted one.
func newListener(name, poolName string, pool *actor.PID, stdin *stdinWriter, log *actor.PID, rt *runtime, out *events.ListenerOutput) actor.Actor {
	return &listener{name: name, pool: pool, poolName: poolName, stdin: stdin, log: log, rt: rt, out: out}
}

func (l *listener) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *logChunk:
		signals := l.out.Feed(m.data) // copies what it keeps
		if l.log != nil {
			// What the listener says is also its stdout log, as with the
			// reference.
			c.Send(l.log, m)
		} else {
			m.release()
		}
		for _, sig := range signals {
			l.handle(c, sig)
		}
	case *deliver:
		if l.out.State() != events.ListenerReady {
			// It broke the protocol meanwhile: the event goes back.
			c.Send(l.pool, &listenerResult{name: l.name, proto: c.Self(), ok: false})
			return
		}
		l.out.Dispatched()
		env := events.Envelope(l.rt.identifier, m.ev.serial, l.poolName, m.ev.poolSerial, m.ev.ev)
		if err := l.stdin.write(env); err != nil {
			l.rt.log.Debug(fmt.Sprintf("epipe occurred while sending event %d to listener %s, listener state unchanged", m.ev.serial, l.name))
		}
	case *snapshotListener: // handoff.go: every read and delivery is acted on
		c.Respond(&listenerRecord{rec: &handoff.EventListener{Protocol: l.out.Snapshot()}, queued: l.stdin.pending()})
	case *actor.Stopping:
		c.Send(l.pool, &listenerGone{name: l.name, proto: c.Self()})
	}
}

// handle acts on what the listener said, logging it as the reference does.
func (l *listener) handle(c actor.Context, sig events.Signal) {
	for _, line := range sig.Logs(l.name) {
		l.rt.log.Log(context.Background(), line.Level, line.Message)
	}
	switch s := sig.(type) {
	case events.Ready:
		c.Send(l.pool, &listenerReady{name: l.name, proto: c.Self()})
	case events.Result:
		c.Send(l.pool, &listenerResult{name: l.name, proto: c.Self(), ok: !s.Rejected()})
	case events.ProtocolError:
		// UNKNOWN: out of the pool's READY set, its event back in the buffer.
		c.Send(l.pool, &listenerGone{name: l.name, proto: c.Self()})
	case events.Stalled:
		// The reference stops reading such a listener; it keeps its event
		// until it exits, when the event goes back to the pool.
	}
}
