package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// The control surface reaches actors by name (NewLocalPID of a group,
// process or logger name). protoactor registers a name a moment before the
// actor's mailbox can take messages, and a message arriving in between
// leaves that mailbox broken. So spawning an actor that others address by
// name takes the write side of runtime.spawning, and sending by name from
// outside the tree takes the read side; both are short.

// ping is answered with *Result once its receiver has started: a group once
// its processes exist, the supervisor once the bus and every group do.
type ping struct{}

func (*ping) isMessage() {}

// spawnNamed spawns a child that is addressed by name from outside the tree.
func (rt *runtime) spawnNamed(c actor.Context, props *actor.Props, name string) (*actor.PID, error) {
	rt.spawning.Lock()
	defer rt.spawning.Unlock()
	return c.SpawnNamed(props, name)
}

// request sends msg to pid from outside the tree and returns the future of
// its answer.
func (d *Daemon) request(pid *actor.PID, msg message, timeout time.Duration) *actor.Future {
	d.rt.spawning.RLock()
	defer d.rt.spawning.RUnlock()
	return d.sys.Root.RequestFuture(pid, msg, timeout)
}

// tell sends msg to pid from outside the tree.
func (d *Daemon) tell(pid *actor.PID, msg message) {
	d.rt.spawning.RLock()
	defer d.rt.spawning.RUnlock()
	d.sys.Root.Send(pid, msg)
}

// awaitAll runs then on the actor once every future has completed, whatever
// its outcome.
func awaitAll(c actor.Context, fs []*actor.Future, then func()) {
	if len(fs) == 0 {
		then()
		return
	}
	left := len(fs)
	for _, f := range fs {
		c.ReenterAfter(f, func(any, error) {
			if left--; left == 0 {
				then()
			}
		})
	}
}
