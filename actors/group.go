package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/internal/fcgisock"
)

// group is the actor for one process group ([program:x], [group:x], …).
//
// Accepts: *startGroup (answered with *groupStarted when autostarting),
// *reshapeGroup (see reshape.go),
// *stopGroup (answered with *groupStopped once every
// process is in a stopped state), *shutdownBegun and *reopenLogs (passed on
// to every process), *stateChanged and *Result
// from its processes. Children:
// one process actor per instance, named by process name. Parent: the
// supervisor. Failure policy for its children: restart a crashed process actor
// (its Restarting handler kills the OS process first) up to 10 times in 10 s,
// then stop it.
type group struct {
	cfg    *conf.Group
	rt     *runtime
	procs  []*actor.PID // in start order
	byName map[string]*actor.PID
	state  map[string]State

	stopAwaited int          // stop replies still expected from processes
	stopWaiters []*actor.PID // who asked for stopGroup

	autostarting []*actor.PID // processes still to autostart, in order
	autostarter  *actor.PID   // who to answer with *groupStarted

	shuttingDown bool // the daemon or the group is going down: no process may start or be added

	sock *fcgisock.Socket // an fcgi-program's socket, nil for other groups (fcgi.go)
}

func newGroup(cfg *conf.Group, rt *runtime) *group {
	return &group{cfg: cfg, rt: rt, sock: groupSocket(cfg, rt), state: make(map[string]State, len(cfg.Processes)), byName: make(map[string]*actor.PID)}
}

var processSupervision = actor.NewOneForOneStrategy(10, 10*time.Second, actor.DefaultDecider)

func (g *group) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		for _, pc := range g.cfg.Processes {
			g.procs = append(g.procs, g.spawnProcess(c, pc))
		}
	case *reshapeGroup:
		g.reshape(c, m.cfg)
	case *ping:
		c.Respond(&Result{})
	case *startGroup:
		if m.autostartOnly {
			g.autostarter = c.Sender()
			g.autostarting = append([]*actor.PID(nil), g.procs...)
			g.autostartNext(c)
			return
		}
		for _, pid := range g.procs {
			c.Send(pid, &startProcess{})
		}
	case *autostarted:
		g.autostarting = g.autostarting[1:]
		g.autostartNext(c)
	case *stopGroup:
		g.stopWaiters = append(g.stopWaiters, c.Sender())
		for _, pc := range g.cfg.StopOrder() {
			pid := g.byName[pc.Name]
			if pid == nil {
				continue // being replaced by a reshape, and stopped already
			}
			g.stopAwaited++
			c.Request(pid, &stopProcess{})
		}
		g.answerStop(c) // when none was asked
	case *Result:
		if g.stopAwaited > 0 {
			g.stopAwaited--
			g.answerStop(c)
		}
	case *stateChanged:
		g.state[m.name] = m.to
		g.answerStop(c)
	case *actor.Stopping:
		g.shuttingDown = true
	case *shutdownBegun, *reopenLogs:
		if _, ok := m.(*shutdownBegun); ok {
			g.shuttingDown = true
		}
		for _, pid := range g.procs {
			c.Send(pid, m)
		}
	}
}

// spawnProcess starts the actor of one of the group's processes, in STOPPED.
func (g *group) spawnProcess(c actor.Context, pc *conf.Process) *actor.PID {
	mw := append([]actor.ReceiverMiddleware{panicStacks(g.rt.log)}, g.rt.processMiddleware...)
	var pool *actor.PID
	if g.cfg.Kind == conf.KindEventListener {
		pool = c.Self() // the pool actor embedding this group
	}
	props := actor.PropsFromProducer(func() actor.Actor { return g.withSocket(newProcess(pc, g.rt, pool)) },
		actor.WithReceiverMiddleware(mw...))
	pid, err := g.rt.spawnNamed(c, props, pc.Name)
	if err != nil {
		panic(err) // names are unique within a group once conf accepted them, and free once stopped
	}
	g.byName[pc.Name] = pid
	g.state[pc.Name] = Stopped
	return pid
}

// autostartNext asks the next process to autostart, one at a time so spawns
// happen in the group's priority order, and answers the supervisor at the end.
func (g *group) autostartNext(c actor.Context) {
	if len(g.autostarting) > 0 {
		c.Request(g.autostarting[0], &autostart{})
		return
	}
	if g.autostarter != nil {
		c.Send(g.autostarter, &groupStarted{})
		g.autostarter = nil
	}
}

// answerStop answers every pending stopGroup once all stop requests have been
// acknowledged and no process is left in a running state. Replies from a
// process come after its own state changes, so the states seen here are current.
func (g *group) answerStop(c actor.Context) {
	if len(g.stopWaiters) == 0 || g.stopAwaited > 0 {
		return
	}
	for _, s := range g.state {
		if !s.IsStopped() {
			return
		}
	}
	for _, w := range g.stopWaiters {
		c.Send(w, &groupStopped{name: g.cfg.Name})
	}
	g.stopWaiters = nil
}
