package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/internal/fcgisock"
)

// group is the actor for one process group ([program:x], [group:x], …): the
// parent of its process actors. It keeps their PIDs, not their states (the
// supervisor owns those), and runs what concerns the group as a whole:
// autostart in priority order, stopping all in reverse order, reshaping.
//
// Accepts: *startGroup (answered with *groupStarted when autostarting),
// *stopGroup (answered with *groupStopped once every process is in a
// stopped state), *groupStatus (answered with *statusList), *toProcess
// (carried to the process, which answers the asker), *reshapeGroup (see
// reshape.go), *ping, *shutdownBegun and *reopenLogs (passed on to every
// process), *autostarted from its processes. Children: one process actor per
// instance, named by process name. Parent: the supervisor. Failure policy
// for its children: restart a crashed process actor (its Restarting handler
// kills the OS process first) up to 10 times in 10 s, then stop it.
type group struct {
	cfg    *conf.Group
	rt     *runtime
	procs  []*actor.PID // in start order
	byName map[string]*actor.PID

	autostarting []*actor.PID // processes still to autostart, in order
	autostarter  *actor.PID   // who to answer with *groupStarted

	shuttingDown bool // the daemon or the group is going down: no process may start or be added

	sock *fcgisock.Socket // an fcgi-program's socket, nil for other groups (fcgi.go)
}

func newGroup(cfg *conf.Group, rt *runtime) *group {
	return &group{cfg: cfg, rt: rt, sock: groupSocket(cfg, rt), byName: make(map[string]*actor.PID)}
}

var processSupervision = actor.NewOneForOneStrategy(10, 10*time.Second, actor.DefaultDecider)

func (g *group) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		for _, pc := range g.cfg.Processes {
			g.procs = append(g.procs, g.spawnProcess(c, pc))
		}
	case *toProcess:
		pid := g.byName[m.name]
		if pid == nil { // being replaced by a reshape
			c.Respond(&Result{ErrBadName})
			return
		}
		c.RequestWithCustomSender(pid, m.msg, c.Sender())
	case *groupStatus:
		g.status(c, nil)
	case *reshapeGroup:
		g.reshape(c, m.cfg, m.hold)
	case *ping:
		c.Respond(&Result{})
	case *dupSocket: // an upgrade (fcgi.go)
		g.dupSocket(c)
	case *startGroup:
		if m.autostartOnly {
			g.autostarter = c.Sender()
			g.autostarting = nil
			for _, pid := range g.procs {
				if !m.hold[g.nameOf(pid)] {
					g.autostarting = append(g.autostarting, pid)
				}
			}
			g.autostartNext(c)
		}
	case *autostarted:
		g.autostarting = g.autostarting[1:]
		g.autostartNext(c)
	case *stopGroup:
		g.stop(c, m.only)
	case *awaitDrained:
		fs := make([]*actor.Future, 0, len(g.procs))
		for _, pid := range g.procs {
			fs = append(fs, c.RequestFuture(pid, m, drainTimeout+askTimeout))
		}
		replyTo := c.Sender()
		awaitAll(c, fs, func() { c.Send(replyTo, &Result{}) })
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
		append([]actor.PropsOption{actor.WithReceiverMiddleware(mw...)}, g.rt.processProps...)...)
	pid, err := c.SpawnNamed(props, pc.Name)
	if err != nil {
		panic(err) // names are unique within a group once conf accepted them, and free once stopped
	}
	g.byName[pc.Name] = pid
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

// stop asks every process (those in only, when not nil) to stop, in reverse priority order, and answers
// with *groupStopped once each is in a stopped state. A process handles a
// stop before the wait sent after it, so the wait is never too early.
func (g *group) stop(c actor.Context, only map[string]bool) {
	replyTo := c.Sender()
	var waits []*actor.Future
	for _, pc := range g.cfg.StopOrder() {
		if only != nil && !only[pc.Name] {
			continue
		}
		pid := g.byName[pc.Name]
		if pid == nil {
			continue // being replaced by a reshape, and stopped already
		}
		c.RequestFuture(pid, &stopProcess{}, askTimeout) // NOT_RUNNING is fine
		waits = append(waits, c.RequestFuture(pid, &awaitStopped{}, waitTimeout))
	}
	awaitAll(c, waits, func() { c.Send(replyTo, &groupStopped{name: g.cfg.Name}) })
}

// status asks every process for its info at once and answers with all of
// them in process order; one that does not answer is UNKNOWN. A pool
// passes its counters, which go with the answer.
func (g *group) status(c actor.Context, pool *PoolStats) {
	procs := g.cfg.Processes
	fs := make([]*actor.Future, len(procs))
	for i, pc := range procs {
		if pid := g.byName[pc.Name]; pid != nil {
			fs[i] = c.RequestFuture(pid, &getInfo{}, askTimeout)
		}
	}
	replyTo := c.Sender()
	awaitAll(c, fs, func() {
		infos := make([]ProcessInfo, len(procs))
		for i, pc := range procs {
			infos[i] = ProcessInfo{Name: pc.Name, Group: pc.Group, State: Unknown, Now: g.rt.now()}
			if fs[i] == nil {
				continue
			}
			if res, err := fs[i].Result(); err == nil {
				if in, ok := res.(*ProcessInfo); ok {
					infos[i] = *in
				}
			}
		}
		list := &statusList{infos: infos}
		if pool != nil {
			list.pools = []PoolStats{*pool}
		}
		c.Send(replyTo, list)
	})
}
