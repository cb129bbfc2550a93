package actors

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/scheduler"

	"supervisord/conf"
	"supervisord/protocol/events"
)

// supervisor is the root of the tree and the one owner of what runs: which
// groups and processes exist, in which order, and what state each is in.
// Everything from outside the tree (the service API in service.go) is a
// request to it; it answers from its registry or carries the request on to
// the one actor that can.
//
// Accepts: *actor.Started (spawn the bus and the groups, autostart them one
// group at a time), *ping, *listGroups, *resolve, *getStatus, *diffConfig,
// *getConfig, *setConfig, *getReloadStatus, *toProcess, *toGroup, *toBus,
// *addGroup, *removeGroup, *updateGroup, *startWatcher, *shutdown,
// *reopenLogs, *startTarget and *stopPlan (deps.go), and from its children
// *groupStarted, *groupStopped, *stateChanged (every process transition),
// *healthChanged, *awaitDeps and *cancelDeps (a process waiting for its
// depends_on, answered with *depsWaiting and *depsMet) and
// *actor.Terminated (a removed group), its own *shutdownReport timer.
// Emits *stopGroup to one group at a time, highest priority number first,
// as the reference does (with depends_on, dependents before what they
// depend on: see stopSteps), and stops itself once the last one has stopped;
// its Stopped handler closes the daemon's done channel.
// Children: the bus, one actor per group (a pool for eventlisteners), the
// config watcher when there is one.
// Failure policy: its guardian stops it on the first panic, which takes the
// whole tree (and every OS process) down and ends the daemon.
type supervisor struct {
	cfg     *conf.Config // the config the tree started with
	rt      *runtime
	done    chan struct{}
	groups  []*groupEntry // in start order
	byName  map[string]*groupEntry
	watcher *actor.PID // the config watcher; nil when there is none
	sched   *actor.PID // the scheduler of schedule= programs (schedule.go)
	// scheduled are the processes the scheduler was told of: only their
	// state changes go to it.
	scheduled map[conf.ProcessRef]bool

	// lastRead is the config last read (by reloadConfig or the watcher);
	// addProcessGroup and getAllConfigInfo use it, as the reference uses
	// its last reread.
	lastRead *conf.Config

	// startQueue holds the groups still to autostart at startup, in
	// priority order; the first is being started.
	startQueue []*actor.PID
	// leaving are removed groups whose actors have not stopped yet;
	// waitingAdds are adds of those names, answered once they have.
	leaving     map[string]bool
	waitingAdds map[string][]pendingAdd
	stopping    bool
	toStop      []shutdownStep // what the shutdown has still to stop, in order (deps.go)
	timers      *scheduler.TimerScheduler

	// depWaiters are the processes waiting for their depends_on
	// conditions (deps.go); nil until one waits.
	depWaiters map[conf.ProcessRef]*depWaiter
	waitSeq    uint64

	// exit is why the tree stops by itself (exit.go), handed to exitTo
	// (the Daemon's) just before done is closed; failed records a program
	// that failed (an unexpected exit, FATAL) for exit_when_all_done.
	exit   *Exit
	exitTo **Exit
	failed bool

	// intent is the operator's lasting intent and its writing to the
	// state file (intent.go).
	intent *intentStore
}

// groupEntry is what the supervisor knows of one group: its config, its
// actor, and the status of each of its processes (by name).
type groupEntry struct {
	cfg   *conf.Group
	pid   *actor.PID
	procs map[string]*procStatus
}

func newGroupEntry(cfg *conf.Group, pid *actor.PID) *groupEntry {
	e := &groupEntry{cfg: cfg, pid: pid, procs: make(map[string]*procStatus, len(cfg.Processes))}
	for _, p := range cfg.Processes {
		e.procs[p.Name] = &procStatus{state: Stopped}
	}
	return e
}

// pendingAdd is an add waiting for the old actor of its name to go.
type pendingAdd struct {
	cfg     *conf.Group
	replyTo *actor.PID
}

func newSupervisor(cfg *conf.Config, rt *runtime, done chan struct{}, exit **Exit) actor.Actor {
	return &supervisor{cfg: cfg, rt: rt, done: done, exitTo: exit, lastRead: cfg, byName: map[string]*groupEntry{},
		leaving: map[string]bool{}, waitingAdds: map[string][]pendingAdd{},
		intent: newIntentStore(rt.intent, rt.stateFile)}
}

func (s *supervisor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		s.rt.supervisor = c.Self()
		s.timers = scheduler.NewTimerScheduler(c.ActorSystem().Root)
		bus, err := c.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
			return newBus(s.rt.now, s.rt.eventHistory, s.rt.observers...)
		}), busName)
		if err != nil {
			panic(err)
		}
		s.rt.bus = bus
		s.sched = s.spawnScheduler(c)
		// A tree that takes over a handed-over one goes on with its events
		// (handoff.go): nothing was added, and the daemon never stopped.
		adopting := s.adoptBus(c)
		for _, gc := range s.cfg.Groups {
			gc = s.scaled(c, gc)
			e, err := s.spawnGroup(c, gc, !adopting)
			if err != nil {
				panic(err) // conf made the names unique; nothing else holds them yet
			}
			s.groups = append(s.groups, e)
			s.byName[gc.Name] = e
		}
		if !adopting {
			c.Send(s.rt.bus, &publish{ev: events.SupervisorRunning{}})
		}
		s.scheduleChanged(c)
		for _, e := range s.groups {
			s.startQueue = append(s.startQueue, e.pid)
		}
		s.startNext(c)
	case *ping:
		var fs []*actor.Future
		for _, e := range s.groups {
			fs = append(fs, c.RequestFuture(e.pid, &ping{}, askTimeout))
		}
		replyTo := c.Sender()
		awaitAll(c, fs, func() { c.Send(replyTo, &Result{}) })

	// Reads of the registry.
	case *listGroups:
		c.Respond(&groupList{groups: s.configs()})
	case *resolve:
		c.Respond(s.resolve(m.spec))
	case *getStatus:
		s.status(c)
	case *diffConfig:
		added, changed, removed := conf.Diff(&conf.Config{Groups: s.configs()}, m.cfg)
		c.Respond(&configDiff{added: added, changed: changed, removed: removed})
	case *getConfig:
		c.Respond(&configIs{cfg: s.lastRead})
	case *setConfig:
		s.lastRead = m.cfg
		c.Respond(&Result{})
	case *getReloadStatus:
		if s.watcher == nil {
			c.Respond(&reloadIs{})
			return
		}
		c.RequestWithCustomSender(s.watcher, m, c.Sender())

	// Requests carried on to the one actor that answers them.
	case *toProcess:
		e := s.group(m.group)
		if e == nil || e.cfg.Process(m.name) == nil {
			c.Respond(&Result{ErrBadName})
			return
		}
		if _, ok := m.msg.(*getInfo); ok {
			if in := s.intent.of(conf.ProcessRef{Group: m.group, Name: m.name}); !in.IsZero() {
				s.infoWithIntent(c, e, m)
				return
			}
		}
		c.RequestWithCustomSender(e.pid, m, c.Sender())
	case *toGroup:
		e := s.group(m.name)
		if e == nil {
			c.Respond(&Result{ErrBadName})
			return
		}
		c.RequestWithCustomSender(e.pid, m.msg, c.Sender())
	case *toBus:
		c.RequestWithCustomSender(s.rt.bus, m.msg, c.Sender())
	case *getSchedule:
		c.RequestWithCustomSender(s.sched, m, c.Sender())

	// Changes to what runs.
	case *addGroup:
		if s.leaving[m.cfg.Name] {
			// Its old actor is still stopping and holds the name: add it
			// once that one is gone.
			s.waitingAdds[m.cfg.Name] = append(s.waitingAdds[m.cfg.Name], pendingAdd{m.cfg, c.Sender()})
			return
		}
		s.add(c, m.cfg, c.Sender())
	case *actor.Terminated:
		name := strings.TrimPrefix(m.Who.Id, c.Self().Id+"/")
		delete(s.leaving, name)
		adds := s.waitingAdds[name]
		delete(s.waitingAdds, name)
		for i, a := range adds {
			if i == 0 {
				s.add(c, a.cfg, a.replyTo)
			} else {
				c.Send(a.replyTo, &Result{ErrAlreadyAdded})
			}
		}
	case *removeGroup:
		err := s.remove(c, m.name)
		if err == nil && !m.keepStops {
			s.forgetStops(c, m.name)
		}
		c.Respond(&Result{err})
	case *updateGroup:
		s.update(c, s.scaled(c, m.cfg))
	case *scaleGroup:
		s.scale(c, m)
	case *startWatcher:
		s.startWatcher(c, m)
	case *groupStarted:
		s.startQueue = s.startQueue[1:]
		s.startNext(c)
		if len(s.startQueue) == 0 {
			s.checkAllDone(c) // exit.go
		}
	case *stateChanged:
		ref := conf.ProcessRef{Group: m.group, Name: m.name}
		_, st := s.lookup(ref)
		if st == nil {
			return
		}
		st.state, st.final = m.to, m.final
		if m.to == Exited {
			st.expected = m.expected
		}
		if m.to != Running {
			st.healthy = false
		}
		s.recheckDeps(c, ref)
		s.checkExit(c, ref, m) // exit.go
		if s.scheduled[ref] {
			c.Send(s.sched, m) // schedule.go
		}
	case *healthChanged:
		if _, st := s.lookup(m.ref); st != nil {
			st.healthy = m.healthy && st.state == Running
			s.recheckDeps(c, m.ref)
		}

	// Dependencies (deps.go).
	case *awaitDeps:
		s.awaitDeps(c, m)
	case *cancelDeps:
		if s.depWaiters[m.ref] != nil {
			delete(s.depWaiters, m.ref)
			s.recheckDeps(c, m.ref) // who waits for it may be blocked now
		}
	case *startTarget:
		e := s.group(m.ref.Group)
		p, _ := s.lookup(m.ref)
		var deps []*conf.Process
		if p != nil && len(p.Lifecycle.DependsOn) > 0 {
			deps = s.planStart(m.ref)
		}
		switch {
		case p == nil:
			c.Respond(&Result{ErrBadName})
		case s.startRefused(c, m.ref, deps):
		case len(p.Lifecycle.DependsOn) > 0:
			c.Respond(&planned{levels: [][]*conf.Process{deps}})
		default: // the plain start, in one hop
			c.RequestWithCustomSender(e.pid, &toProcess{group: m.ref.Group, name: m.ref.Name, msg: &startProcess{}}, c.Sender())
		}
	case *stopPlan:
		c.Respond(&planned{levels: s.planStop(m.refs)})

	// The operator's intent (intent.go).
	case *setIntent:
		s.setIntent(c, m)
	case *stopTaken:
		s.stopTaken(c, m)
	case *intentSaved:
		s.intent.saved(c, s.rt, m.err)
	case *intentWrite:
		s.intent.write(c)

	// The stop sequence.
	case *shutdown:
		s.beginShutdown(c)
	case *shutdownReport:
		s.report(c)
	case *groupStopped:
		s.toStop = s.toStop[1:]
		s.stopNext(c)
	case *reopenLogs:
		for _, e := range s.groups {
			c.Send(e.pid, m)
		}
	case *actor.Stopped:
		s.intent.flush(s.rt)
		*s.exitTo = s.exit
		close(s.done)
	}
}

// beginShutdown starts the stop sequence, once.
func (s *supervisor) beginShutdown(c actor.Context) {
	if s.stopping {
		return
	}
	s.stopping = true
	if s.watcher != nil {
		c.Stop(s.watcher) // no update may start on a tree going down
	}
	c.Send(s.rt.bus, &publish{ev: events.SupervisorStopping{}})
	for _, e := range s.groups {
		c.Send(e.pid, &shutdownBegun{})
	}
	s.toStop = s.stopSteps()
	s.stopNext(c)
	s.report(c)
}

// busName is the bus's actor name, one no group can have (names cannot
// hold a colon).
const busName = "events:bus"

func (s *supervisor) group(name string) *groupEntry { return s.byName[name] }

// configs is the running groups' configs, in start order.
func (s *supervisor) configs() []*conf.Group {
	out := make([]*conf.Group, len(s.groups))
	for i, e := range s.groups {
		out[i] = e.cfg
	}
	return out
}

// resolve finds what a namespec names: "name" (a group of one), "group:name",
// "group:*" or "group:".
func (s *supervisor) resolve(spec string) message {
	gname, pname := conf.SplitNamespec(spec)
	e := s.group(gname)
	if e == nil {
		return &Result{ErrBadName}
	}
	if pname == "" {
		return &resolved{group: e.cfg}
	}
	if p := e.cfg.Process(pname); p != nil {
		return &resolved{group: e.cfg, proc: p}
	}
	return &Result{ErrBadName}
}

// status asks every group for its processes' info at once and answers with
// all of them, in start order.
func (s *supervisor) status(c actor.Context) {
	fs := make([]*actor.Future, len(s.groups))
	for i, e := range s.groups {
		fs[i] = c.RequestFuture(e.pid, &groupStatus{}, askTimeout)
	}
	groups := s.configs()
	replyTo := c.Sender()
	awaitAll(c, fs, func() {
		var infos []ProcessInfo
		var pools []PoolStats
		for i, f := range fs {
			res, err := f.Result() // done: awaitAll ran
			if l, ok := res.(*statusList); ok && err == nil {
				for j := range l.infos {
					l.infos[j].Intent = s.intent.of(conf.ProcessRef{Group: l.infos[j].Group, Name: l.infos[j].Name})
				}
				infos = append(infos, l.infos...)
				pools = append(pools, l.pools...)
				continue
			}
			for _, p := range groups[i].Processes {
				infos = append(infos, ProcessInfo{Name: p.Name, Group: p.Group, State: Unknown, Now: s.rt.now()})
			}
		}
		c.Send(replyTo, &statusList{infos: infos, pools: pools})
	})
}

// spawnGroup starts a group's actor (a pool for eventlisteners, subscribed
// at once) and announces it with PROCESS_GROUP_ADDED, as the reference
// does for every group it adds, at startup too.
func (s *supervisor) spawnGroup(c actor.Context, gc *conf.Group, announce bool) (*groupEntry, error) {
	produce := func() actor.Actor { return newGroup(gc, s.rt) }
	if gc.Kind == conf.KindEventListener {
		produce = func() actor.Actor { return newPool(newGroup(gc, s.rt)) }
	}
	props := actor.PropsFromProducer(produce,
		actor.WithSupervisor(processSupervision),
		actor.WithReceiverMiddleware(panicStacks(s.rt.log)))
	pid, err := c.SpawnNamed(props, gc.Name)
	if err != nil {
		return nil, errorf(Failed, "cannot start group %s: %v", gc.Name, err)
	}
	if gc.Kind == conf.KindEventListener {
		var types []events.Type
		for _, name := range gc.Events {
			if t, ok := events.TypeByOptionName(name); ok { // conf checked them
				types = append(types, t)
			}
		}
		c.Send(s.rt.bus, &subscribe{pool: pid, types: types})
	}
	if announce {
		c.Send(s.rt.bus, &publish{ev: events.ProcessGroupAdded{Group: gc.Name}})
	}
	return newGroupEntry(gc, pid), nil
}

// add brings in a group from a re-read config, autostarting its programs,
// and answers replyTo once the group's processes exist.
func (s *supervisor) add(c actor.Context, gc *conf.Group, replyTo *actor.PID) {
	answer := func(err error) { c.Send(replyTo, &Result{err}) }
	if s.stopping {
		answer(ErrShuttingDown)
		return
	}
	if s.group(gc.Name) != nil {
		answer(ErrAlreadyAdded)
		return
	}
	if err := checkSocket(gc, s.rt.log); err != nil { // fcgi.go
		answer(err)
		return
	}
	gc = s.scaled(c, gc)
	e, err := s.spawnGroup(c, gc, true)
	if err != nil {
		answer(err)
		return
	}
	s.groups = append(s.groups, e)
	s.byName[gc.Name] = e
	s.scheduleChanged(c)
	c.Send(e.pid, &startGroup{autostartOnly: true, hold: s.intent.held(gc.Name, gc.Processes)}) // no sender: no answer wanted

	awaitAll(c, []*actor.Future{c.RequestFuture(e.pid, &ping{}, askTimeout)}, func() { answer(nil) })
}

// remove drops a group whose processes are all stopped.
func (s *supervisor) remove(c actor.Context, name string) error {
	if s.stopping {
		return ErrShuttingDown
	}
	at := slices.IndexFunc(s.groups, func(e *groupEntry) bool { return e.cfg.Name == name })
	if at < 0 {
		return ErrBadName
	}
	e := s.groups[at]
	for _, st := range e.procs {
		if !st.state.IsStopped() {
			return ErrStillRunning
		}
	}
	for name := range e.procs {
		delete(s.depWaiters, conf.ProcessRef{Group: e.cfg.Name, Name: name})
	}
	c.Send(s.rt.bus, &unsubscribe{pool: e.pid})
	s.leaving[name] = true
	c.Watch(e.pid)
	c.Stop(e.pid)
	c.Send(s.rt.bus, &publish{ev: events.ProcessGroupRemoved{Group: name}})
	s.groups = slices.Delete(s.groups, at, at+1)
	delete(s.byName, name)
	s.scheduleChanged(c)
	if i := slices.IndexFunc(s.startQueue, e.pid.Equal); i >= 0 {
		s.startQueue = slices.Delete(s.startQueue, i, i+1)
		if i == 0 {
			s.startNext(c)
		}
	}
	return nil
}

// startNext autostarts the next group, one at a time so every spawn happens
// in priority order as with the reference. A shutdown ends the sequence.
func (s *supervisor) startNext(c actor.Context) {
	if len(s.startQueue) > 0 && !s.stopping {
		var hold map[string]bool
		for _, e := range s.groups {
			if e.pid.Equal(s.startQueue[0]) {
				hold = s.intent.held(e.cfg.Name, e.cfg.Processes)
			}
		}
		c.Request(s.startQueue[0], &startGroup{autostartOnly: true, hold: hold})
	}
}

// stopNext takes the next step of the shutdown, or stops the supervisor
// itself when none is left.
func (s *supervisor) stopNext(c actor.Context) {
	if len(s.toStop) == 0 {
		// Every program has stopped; what they wrote last reaches its log
		// before the loggers go.
		fs := make([]*actor.Future, len(s.groups))
		for i, e := range s.groups {
			fs[i] = c.RequestFuture(e.pid, &awaitDrained{}, drainTimeout+2*askTimeout)
		}
		awaitAll(c, fs, func() { c.Stop(c.Self()) })
		return
	}
	c.Request(s.toStop[0].pid, &stopGroup{only: s.toStop[0].only})
}

// report logs the processes the shutdown still waits for, every 3 seconds
// like the reference, as long as there are any.
func (s *supervisor) report(c actor.Context) {
	var names []string
	for _, e := range s.groups {
		for _, p := range e.cfg.Processes {
			if st := e.procs[p.Name]; st != nil && !st.state.IsStopped() {
				names = append(names, p.Name)
			}
		}
	}
	if len(names) == 0 {
		return
	}
	s.rt.log.Info("waiting for " + strings.Join(names, ", ") + " to die")
	s.timers.SendOnce(3*time.Second, c.Self(), &shutdownReport{})
}

// panicStacks logs a panic with its stack, which protoactor does not, and
// re-panics so supervision still decides what happens next.
func panicStacks(log *slog.Logger) actor.ReceiverMiddleware {
	return func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			defer func() {
				if r := recover(); r != nil {
					log.Error(fmt.Sprintf("actor %s crashed handling %T: %v\n%s", c.Self().Id, env.Message, r, debug.Stack()))
					panic(r)
				}
			}()
			next(c, env)
		}
	}
}
