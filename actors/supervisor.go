package actors

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/scheduler"

	"supervisord/conf"
	"supervisord/protocol/events"
)

// supervisor is the root of the tree: it owns one group actor per process
// group, starts them in priority order and runs the stop sequence.
//
// Accepts: *actor.Started (spawn groups, autostart them one group at a
// time), *ping, *groupStarted, *addGroup, *removeGroup, *groupReshaped, *actor.Terminated (of a
// removed group), *shutdown,
// *reopenLogs, *groupStopped, *stateChanged (from every process), its own
// *shutdownReport timer. Emits *stopGroup to one group at a time, highest
// priority number first, as the reference does, and stops itself once the
// last one has stopped; its Stopped handler closes the daemon's done channel.
// Failure policy: its guardian stops it on the first panic, which takes the
// whole tree (and every OS process) down and ends the daemon.
type supervisor struct {
	cfg    *conf.Config
	rt     *runtime
	done   chan struct{}
	groups []*actor.PID // in start order

	// procs lists every process in config order with its last known state
	// (keyed group:name), for the shutdown report.
	procs []*conf.Process
	state map[string]State

	// startQueue holds the groups still to autostart at startup, in
	// priority order; the first is being started.
	startQueue []*actor.PID
	// leaving are removed groups whose actors have not stopped yet;
	// waitingAdds are adds of those names, answered once they have.
	leaving     map[string]bool
	waitingAdds map[string][]pendingAdd
	stopping    bool
	toStop      []*actor.PID // groups not yet stopped, start order
	timers      *scheduler.TimerScheduler
}

func newSupervisor(cfg *conf.Config, rt *runtime, done chan struct{}) actor.Actor {
	return &supervisor{cfg: cfg, rt: rt, done: done, state: map[string]State{},
		leaving: map[string]bool{}, waitingAdds: map[string][]pendingAdd{}}
}

func (s *supervisor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		s.rt.supervisor = c.Self()
		s.timers = scheduler.NewTimerScheduler(c.ActorSystem().Root)
		bus, err := s.rt.spawnNamed(c, actor.PropsFromProducer(func() actor.Actor { return newBus(time.Now) }), busName)
		if err != nil {
			panic(err)
		}
		s.rt.bus = bus
		for _, gc := range s.cfg.Groups {
			pid, err := s.spawnGroup(c, gc)
			if err != nil {
				panic(err) // conf made the names unique; nothing else holds them yet
			}
			s.groups = append(s.groups, pid)
		}
		c.Send(s.rt.bus, &publish{ev: events.SupervisorRunning{}})
		s.startQueue = append([]*actor.PID(nil), s.groups...)
		s.startNext(c)
	case *addGroup:
		if s.leaving[m.cfg.Name] {
			// Its old actor is still stopping and holds the name: add it
			// once that one is gone.
			s.waitingAdds[m.cfg.Name] = append(s.waitingAdds[m.cfg.Name], pendingAdd{m.cfg, c.Sender()})
			return
		}
		s.add(c, m.cfg, c.Sender())
	case *ping:
		var fs []*actor.Future
		for _, g := range s.groups {
			fs = append(fs, c.RequestFuture(g, &ping{}, askTimeout))
		}
		replyTo := c.Sender()
		awaitAll(c, fs, func() { c.Send(replyTo, &Result{}) })
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
		c.Respond(&Result{s.remove(c, m.name)})
	case *groupStarted:
		s.startQueue = s.startQueue[1:]
		s.startNext(c)
	case *shutdown:
		if s.stopping {
			return
		}
		s.stopping = true
		c.Send(s.rt.bus, &publish{ev: events.SupervisorStopping{}})
		for _, pid := range s.groups {
			c.Send(pid, &shutdownBegun{})
		}
		s.toStop = append([]*actor.PID(nil), s.groups...)
		s.stopNext(c)
		s.report(c)
	case *shutdownReport:
		s.report(c)
	case *stateChanged:
		s.state[m.group+":"+m.name] = m.to
	case *groupReshaped:
		s.reshaped(m.cfg)
	case *groupStopped:
		s.toStop = s.toStop[:len(s.toStop)-1]
		s.stopNext(c)
	case *reopenLogs:
		for _, pid := range s.groups {
			c.Send(pid, m)
		}
	case *actor.Stopped:
		close(s.done)
	}
}

// busName is the bus's actor name, one no group can have (names cannot
// hold a colon).
const busName = "events:bus"

// spawnGroup starts a group's actor (a pool for eventlisteners, subscribed
// at once) and announces it with PROCESS_GROUP_ADDED, as the reference
// does for every group it adds, at startup too.
type pendingAdd struct {
	cfg     *conf.Group
	replyTo *actor.PID
}

func (s *supervisor) spawnGroup(c actor.Context, gc *conf.Group) (*actor.PID, error) {
	produce := func() actor.Actor { return newGroup(gc, s.rt) }
	if gc.Kind == conf.KindEventListener {
		produce = func() actor.Actor { return newPool(newGroup(gc, s.rt)) }
	}
	props := actor.PropsFromProducer(produce,
		actor.WithSupervisor(processSupervision),
		actor.WithReceiverMiddleware(panicStacks(s.rt.log)))
	pid, err := s.rt.spawnNamed(c, props, gc.Name)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot start group %s: %v", ErrFailed, gc.Name, err)
	}
	for _, p := range gc.Processes {
		s.procs = append(s.procs, p)
		s.state[p.Group+":"+p.Name] = Stopped
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
	c.Send(s.rt.bus, &publish{ev: events.ProcessGroupAdded{Group: gc.Name}})
	return pid, nil
}

// add brings in a group from a re-read config, autostarting its programs,
// and answers replyTo once the group's processes exist.
func (s *supervisor) add(c actor.Context, gc *conf.Group, replyTo *actor.PID) {
	answer := func(err error) { c.Send(replyTo, &Result{err}) }
	if s.stopping {
		answer(ErrShuttingDown)
		return
	}
	for _, pid := range s.groups {
		if pid.Id == c.Self().Id+"/"+gc.Name {
			answer(ErrAlreadyAdded)
			return
		}
	}
	if err := checkSocket(gc, s.rt.log); err != nil { // fcgi.go
		answer(err)
		return
	}
	pid, err := s.spawnGroup(c, gc)
	if err != nil {
		answer(err)
		return
	}
	s.groups = append(s.groups, pid)
	c.Send(pid, &startGroup{autostartOnly: true}) // no sender: no answer wanted

	s.rt.log.Info(fmt.Sprintf("added process group %s", gc.Name))
	awaitAll(c, []*actor.Future{c.RequestFuture(pid, &ping{}, askTimeout)}, func() { answer(nil) })
}

// remove drops a group whose processes are all stopped.
func (s *supervisor) remove(c actor.Context, name string) error {
	if s.stopping {
		return ErrShuttingDown
	}
	at := -1
	for i, pid := range s.groups {
		if pid.Id == c.Self().Id+"/"+name {
			at = i
		}
	}
	if at < 0 {
		return ErrBadName
	}
	var keep []*conf.Process
	for _, p := range s.procs {
		if p.Group != name {
			keep = append(keep, p)
			continue
		}
		if !s.state[p.Group+":"+p.Name].IsStopped() {
			return ErrStillRunning
		}
	}
	for _, p := range s.procs {
		if p.Group == name {
			delete(s.state, p.Group+":"+p.Name)
		}
	}
	s.procs = keep
	pid := s.groups[at]
	c.Send(s.rt.bus, &unsubscribe{pool: pid})
	s.leaving[name] = true
	c.Watch(pid)
	c.Stop(pid)
	c.Send(s.rt.bus, &publish{ev: events.ProcessGroupRemoved{Group: name}})
	s.groups = append(s.groups[:at], s.groups[at+1:]...)
	for i, q := range s.startQueue {
		if q.Equal(pid) {
			s.startQueue = append(s.startQueue[:i], s.startQueue[i+1:]...)
			if i == 0 {
				s.startNext(c)
			}
			break
		}
	}
	s.rt.log.Info(fmt.Sprintf("removed process group %s", name))
	return nil
}

// startNext autostarts the next group, one at a time so every spawn happens
// in priority order as with the reference. A shutdown ends the sequence.
func (s *supervisor) startNext(c actor.Context) {
	if len(s.startQueue) > 0 && !s.stopping {
		c.Request(s.startQueue[0], &startGroup{autostartOnly: true})
	}
}

// stopNext stops the last group still running, or the supervisor itself when
// none is left.
func (s *supervisor) stopNext(c actor.Context) {
	if len(s.toStop) == 0 {
		c.Stop(c.Self())
		return
	}
	c.Request(s.toStop[len(s.toStop)-1], &stopGroup{})
}

// report logs the processes the shutdown still waits for, every 3 seconds
// like the reference, as long as there are any.
func (s *supervisor) report(c actor.Context) {
	var names []string
	for _, p := range s.procs {
		if !s.state[p.Group+":"+p.Name].IsStopped() {
			names = append(names, p.Name)
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
