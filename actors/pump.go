package actors

import (
	"os"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/internal/output"
)

// readOutput has one child output pipe read until EOF, each read going to
// the actor to (a logger) as a *logChunk, which the logger releases once
// written. With no logger (to is nil), or once the process actor is gone
// (gone is closed), output is read and dropped so the child never blocks on
// a full pipe. The runtime's output hub reads it; without one (it could not
// start), a goroutine of its own. It returns at once.
func (rt *runtime) readOutput(root *actor.RootContext, f *os.File, to *actor.PID, pid int, gone <-chan struct{}) {
	sink := chunkSink(root, to, pid)
	if rt.output != nil && rt.output.Add(f, sink, gone) == nil {
		return
	}
	go output.ReadDirect(f, sink, gone)
}

// readProtocol has a listener's stdout read by a goroutine of its own, one
// hop less than the hub: the listener protocol's event rate is bound by
// round trips. It returns at once, with the reader, which a handover
// stops.
func readProtocol(root *actor.RootContext, f *os.File, to *actor.PID, pid int, gone <-chan struct{}) *output.Direct {
	return output.StartDirect(f, chunkSink(root, to, pid), gone)
}

// chunkSink sends each read to an actor as a *logChunk; nil when there is
// no actor, so the reader drops the output.
func chunkSink(root *actor.RootContext, to *actor.PID, pid int) output.Sink {
	if to == nil {
		return nil
	}
	return func(data []byte, release func()) {
		if data == nil { // EOF
			root.Send(to, &logChunk{pid: pid, eof: true, release: func() {}})
			return
		}
		root.Send(to, &logChunk{data: data, pid: pid, release: release})
	}
}
