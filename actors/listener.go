package actors

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/asynkron/protoactor-go/actor"
)

// Listener states, as the reference names them.
type listenerState int

const (
	acknowledged listenerState = iota // waiting for READY
	ready                             // said READY, may be sent an event
	busy                              // has an event, waiting for its RESULT
	unknown                           // broke the protocol; gets no more events
)

// listener is the eventlistener protocol for one run of a listener
// process: it reads the process's stdout for READY and RESULT, and writes
// envelopes to its stdin.
//
// Accepts: *logChunk (the listener's stdout), *deliver (from the pool).
// Emits *listenerReady, *listenerResult and, when it stops (its process
// exited), *listenerGone to the pool. Parent: the listener's process actor,
// which starts one per spawn and stops it when the process is reaped.
type listener struct {
	name     string
	pool     *actor.PID
	poolName string
	stdin    *stdinWriter
	rt       *runtime

	state listenerState
	buf   []byte
}

func newListener(name, poolName string, pool *actor.PID, stdin *stdinWriter, rt *runtime) actor.Actor {
	return &listener{name: name, pool: pool, poolName: poolName, stdin: stdin, rt: rt}
}

func (l *listener) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *logChunk:
		l.buf = append(l.buf, m.data...)
		m.release()
		l.parse(c)
	case *deliver:
		if l.state != ready {
			// It broke the protocol meanwhile: the event goes back.
			c.Send(l.pool, &listenerResult{name: l.name, proto: c.Self(), ok: false})
			return
		}
		l.state = busy
		if err := l.stdin.write(envelope(l.rt.identifier, l.poolName, m.ev)); err != nil {
			l.rt.log.Debug(fmt.Sprintf("epipe occurred while sending event %d to listener %s, listener state unchanged", m.ev.serial, l.name))
		}
	case *actor.Stopping:
		c.Send(l.pool, &listenerGone{name: l.name, proto: c.Self()})
	}
}

var (
	readyToken  = []byte("READY\n")
	resultToken = []byte("RESULT ")
)

// parse consumes what the listener wrote, as far as it makes whole
// protocol messages.
func (l *listener) parse(c actor.Context) {
	for len(l.buf) > 0 {
		switch l.state {
		case acknowledged:
			if len(l.buf) < len(readyToken) && bytes.HasPrefix(readyToken, l.buf) {
				return // READY may still be on its way
			}
			if !bytes.HasPrefix(l.buf, readyToken) {
				l.protocolError(c)
				return
			}
			l.buf = l.buf[len(readyToken):]
			l.state = ready
			l.rt.log.Debug(l.name + ": ACKNOWLEDGED -> READY")
			c.Send(l.pool, &listenerReady{name: l.name, proto: c.Self()})
		case busy:
			nl := bytes.IndexByte(l.buf, '\n')
			if nl < 0 {
				if len(l.buf) > len(resultToken)+20 || !bytes.HasPrefix(resultToken, l.buf[:min(len(l.buf), len(resultToken))]) {
					l.protocolError(c)
				}
				return
			}
			n, err := strconv.Atoi(string(bytes.TrimPrefix(l.buf[:nl], resultToken)))
			if !bytes.HasPrefix(l.buf, resultToken) || err != nil || n < 0 {
				l.protocolError(c)
				return
			}
			if len(l.buf) < nl+1+n {
				return
			}
			body := string(l.buf[nl+1 : nl+1+n])
			l.buf = l.buf[nl+1+n:]
			l.state = acknowledged
			l.rt.log.Debug(l.name + ": BUSY -> ACKNOWLEDGED (processed)")
			c.Send(l.pool, &listenerResult{name: l.name, proto: c.Self(), ok: body == "OK"})
		default: // ready or unknown: nothing is expected
			l.protocolError(c)
			return
		}
	}
}

// protocolError puts the listener in UNKNOWN: it gets no more events until
// it is restarted, and the one it held goes back to the pool.
func (l *listener) protocolError(c actor.Context) {
	if l.state != unknown {
		l.rt.log.Warn(fmt.Sprintf("%s: %s -> UNKNOWN", l.name, []string{"ACKNOWLEDGED", "READY", "BUSY"}[l.state]))
		l.rt.log.Warn(fmt.Sprintf("%s: has entered the UNKNOWN state and will no longer receive events, this usually indicates the process violated the eventlistener protocol", l.name))
		// Out of the pool's READY set, its event (if any) back in the buffer.
		c.Send(l.pool, &listenerGone{name: l.name, proto: c.Self()})
	}
	l.state = unknown
	l.buf = nil
}
