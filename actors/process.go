package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/scheduler"

	"supervisord/conf"
	"supervisord/internal/child"
	"supervisord/internal/fcgisock"
	"supervisord/internal/handoff"
	"supervisord/internal/output"
	"supervisord/protocol/events"
)

// process is the actor for one process instance. It owns the OS process and
// walks the documented state machine.
//
// Accepts: *startProcess, *startWhenMet, *stopProcess, *autostart,
// *awaitStarted, *awaitStopped, *signalProcess, *writeStdin, *clearLog
// and *rotateLogs (carried to its loggers), *getInfo, *reopenLogs, *shutdownBegun,
// *depsMet and *depsWaiting from the supervisor, and its own *exited,
// *timerFired, *probeDone, *notified and *logMatched (lifecycle.go).
// Emits *stateChanged to the supervisor on every transition (and
// *healthChanged, *awaitDeps, *cancelDeps), PROCESS_STATE (saying how a
// run ended on the transition that ends it) and PROCESS_HEALTH events to
// the bus, *watchLog to its loggers, and, for an
// eventlistener, *listenerRunning to its pool.
// Children: a logger per captured stream, named "stdout" and "stderr".
// Failure policy: set by the group; on Stopping and Restarting the OS
// process is killed so a crash never leaves one orphaned.
type process struct {
	cfg *conf.Process
	rt  *runtime

	state    State
	beh      actor.Behavior
	gen      uint64
	proc     *Spawned  // nil while there is no OS process
	start    time.Time // laststart: zero until first spawned
	stop     time.Time // laststop
	backoff  int       // consecutive failed starts
	spawnErr string
	exitCode int  // last exit status; -1 when killed by a signal
	killing  bool // a stop signal was sent: the next exit is STOPPING → STOPPED
	noStart  bool // the daemon is shutting down

	self    *actor.PID
	timers  *scheduler.TimerScheduler
	cancels [numTimers]scheduler.CancelFunc // the armed timer of each kind
	// deadlines are when each armed timer is due, in UnixNano of rt.now,
	// for an upgrade to hand over what is left of them.
	deadlines [numTimers]int64
	// armed counts the timers armed so far, and armedAt is the count at
	// each kind's armed one: a firing that matches is that timer's.
	armed   uint32
	armedAt [numTimers]uint32
	// gone is closed when the actor stops, releasing pipe readers that wait
	// for a logger which will not take their output any more.
	gone chan struct{}

	// startWaiters and stopWaiters are asked-and-not-yet-answered
	// *awaitStarted and *awaitStopped requests, answered on a transition.
	startWaiters, stopWaiters []*actor.PID
	stdin                     *stdinWriter // nil until the first write to a running process

	// pool is the eventlistener pool this process serves, nil for a
	// program; listener is the protocol actor of its current run, and
	// reader the reader of that run's stdout.
	pool, listener *actor.PID
	reader         *output.Direct
	pid            int // the OS pid events report: the live one, or the one just reaped

	stdout, stderr         *actor.PID // logger children; nil when not captured
	stdoutPath, stderrPath string     // log paths with AUTO resolved

	// sock is an fcgi-program's socket (nil for others); sockHeld is it
	// while this process holds a reference, from spawn to exit (fcgi.go).
	sock     *fcgisock.Socket
	sockHeld *os.File

	// Lifecycle options (lifecycle.go). run is the readiness and health
	// state of the current run; restarts are the times of recent
	// automatic restarts (restart_limit); restartAfterStop makes the end
	// of a stop a restart (health_action=restart).
	run              runChecks
	restarts         []time.Time
	restartAfterStop bool
	// waiting is set while the process waits for its dependencies (it is
	// STOPPED, EXITED or FATAL meanwhile); waitingFor says for what, and
	// blocked that a dependency will not get there by itself. depsToken
	// tells the supervisor's answers to this wait from earlier ones.
	waiting    bool
	waitingFor string
	blocked    bool
	depsToken  uint64

	// lastExit is the last run's exit status (nil before any); willRestart
	// is set while an exit that an automatic restart follows is reported,
	// so the supervisor can tell an end for good (essential=).
	lastExit    *child.ExitStatus
	willRestart bool
	// exitInfo is the last exit as `why` tells it; nextTry is when the
	// BACKOFF in progress starts the process again.
	exitInfo *LastExit
	nextTry  time.Time

	// open counts, by OS pid, the logged streams whose end the loggers
	// have not seen yet; drainWaiters wait for none to be left.
	open         map[int]int
	drainWaiters []*actor.PID

	// ho is the process's part of an upgrade, nil but during one; adopted
	// is the record of the handed-over run it takes over in Started
	// (handoff.go).
	ho      *handover
	adopted *handoff.Process

	// stats are the counters ProcessInfo.Stats reports (stats.go); ended
	// is the exit just reaped, for the state event that follows it.
	stats processStats
	ended *events.Exit

	// nextRun is a scheduled program's next due time, as the scheduler
	// (schedule.go) last told it, for its status; zero otherwise.
	nextRun time.Time
}

// newProcess makes the actor of one process; pool is its eventlistener
// pool, nil for a program.
func newProcess(cfg *conf.Process, rt *runtime, pool *actor.PID) actor.Actor {
	p := &process{cfg: cfg, rt: rt, pool: pool}
	p.beh = actor.NewBehavior()
	p.beh.Become(p.stopped)
	return p
}

func (p *process) Receive(c actor.Context) {
	defer p.socketUnused() // fcgi.go
	// Frozen for an upgrade, it holds back what would move it (handoff.go).
	if p.onHandover(c) {
		return
	}
	switch m := c.Message().(type) {
	case *actor.Started:
		p.takeAdopted() // handoff.go
		p.self = c.Self()
		p.gone = make(chan struct{})
		p.timers = scheduler.NewTimerScheduler(c.ActorSystem().Root)
		p.startLoggers(c)
		// A restarted incarnation starts over in STOPPED.
		c.Send(p.rt.supervisor, &stateChanged{group: p.cfg.Group, name: p.cfg.Name, from: p.state, to: p.state, expected: true})
		if p.pool != nil {
			c.Send(p.pool, &listenerRunning{name: p.cfg.Name, running: false})
		}
		p.adoptRun(c)
	case *actor.Stopping, *actor.Restarting:
		p.killNow()
		p.endChecks(c)
		p.dropSocket()
		p.closeStdin()
		close(p.gone)
		// Waits this actor can no longer settle end now, not at their
		// callers' timeout (a day for a wait).
		for _, w := range append(p.startWaiters, p.stopWaiters...) {
			c.Send(w, &Result{ErrShuttingDown})
		}
		p.startWaiters, p.stopWaiters = nil, nil
		p.drained(c)
	case *getInfo:
		c.Respond(p.info())
	case *awaitStarted:
		p.startWaiters = append(p.startWaiters, c.Sender())
		p.answerWaiters(c)
	case *awaitStopped:
		p.stopWaiters = append(p.stopWaiters, c.Sender())
		p.answerWaiters(c)
	case *signalProcess:
		c.Respond(&Result{p.signal(m.sig)})
	case *writeStdin:
		c.Respond(&Result{p.writeStdin(m.data)})
	case *clearLog, *rotateLogs:
		p.askLoggers(c, m)
	case *autostart:
		if p.state == Stopped && !p.noStart && p.start.IsZero() && p.cfg.AutoStart {
			if len(p.cfg.Lifecycle.DependsOn) > 0 {
				p.waitForDeps(c)
			} else {
				p.spawn(c)
			}
		}
		c.Respond(&autostarted{})
	case *reopenLogs:
		for _, l := range []*actor.PID{p.stdout, p.stderr} {
			if l != nil {
				c.Send(l, m)
			}
		}
	case *streamClosed:
		if p.open[m.pid]--; p.open[m.pid] <= 0 {
			delete(p.open, m.pid)
		}
		if len(p.open) == 0 {
			p.drained(c)
		}
	case *awaitDrained:
		if len(p.open) == 0 {
			c.Respond(&Result{})
			return
		}
		p.drainWaiters = append(p.drainWaiters, c.Sender())
		p.after(drainTimeout, drainTimer)
	case *timerFired:
		p.fired(m)
		if m.kind == drainTimer {
			p.drained(c)
			return
		}
		if p.onCheck(c, m) {
			return
		}
		p.beh.Receive(c)
	case *scheduledNext:
		p.nextRun = m.at
	case *shutdownBegun:
		p.noStart = true
		p.stopWaiting(c)
		if p.state == Backoff {
			p.cancelTimer()
			p.to(c, Fatal, p.stopped, true)
		}
	default:
		if p.onCheck(c, m) || p.onDeps(c, m) { // lifecycle.go
			return
		}
		p.beh.Receive(c)
	}
}

// startLoggers spawns a logger child for each stream whose output is kept.
// The reference keeps a dispatcher even for logfile=NONE so output is drained;
// our reader goroutines drain the pipes, so a stream with nowhere to go gets no
// logger at all.
func (p *process) startLoggers(c actor.Context) {
	spawn := func(name string, lc conf.LogConfig) (*actor.PID, string) {
		path := lc.Logfile
		if path == conf.AutoLog {
			auto, err := p.autoLogPath(name) // handoff.go
			if err != nil {
				p.rt.log.Error(fmt.Sprintf("cannot create %s log for '%s': %v", name, p.cfg.Name, err))
				return nil, ""
			}
			path = auto
		}
		if path == "" && !lc.Syslog && !lc.EventsEnabled && lc.CaptureMaxBytes <= 0 && !p.rt.log.Enabled(context.Background(), slog.LevelDebug) &&
			p.cfg.Lifecycle.Ready.Kind != conf.ProbeLog {
			return nil, ""
		}
		read := p.stats.logCount(name)
		props := actor.PropsFromProducer(func() actor.Actor { return newLogger(p.cfg, name, path, lc, p.rt, read) })
		pid, err := c.SpawnNamed(props, name)
		if err != nil {
			p.rt.log.Error(fmt.Sprintf("cannot start %s logger for '%s': %v", name, p.cfg.Name, err))
			return nil, ""
		}
		return pid, path
	}
	p.stdout, p.stdoutPath = spawn("stdout", p.cfg.Stdout)
	if !p.cfg.RedirectStderr {
		p.stderr, p.stderrPath = spawn("stderr", p.cfg.Stderr)
	}
}

// askLoggers passes a request on to the process's loggers and answers
// the sender with one *Result once both have (Failed with their errors).
func (p *process) askLoggers(c actor.Context, m any) {
	var fs []*actor.Future
	for _, l := range []*actor.PID{p.stdout, p.stderr} {
		if l != nil {
			fs = append(fs, c.RequestFuture(l, m, askTimeout))
		}
	}
	replyTo := c.Sender()
	awaitAll(c, fs, func() {
		var errs []error
		for _, f := range fs {
			res, err := f.Result()
			if r, ok := res.(*Result); ok && err == nil {
				err = r.Err
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 {
			c.Send(replyTo, &Result{errorf(Failed, "%v", errors.Join(errs...))})
			return
		}
		c.Send(replyTo, &Result{})
	})
}

// to is the one transition point: it checks the edge, records the state,
// switches behaviour and tells the group.
func (p *process) to(c actor.Context, next State, recv actor.ReceiveFunc, expected bool) {
	if !canMove(p.state, next) {
		panic(fmt.Sprintf("process %s: illegal transition %s → %s", p.cfg.Name, p.state, next))
	}
	from := p.state
	p.state = next
	if next == Backoff {
		p.backoff++
	}
	p.beh.Become(recv)
	// The supervisor owns process states. It hears of this one before any
	// waiter is answered, so a request that follows an answered wait (a
	// removeGroup after a stopGroup) finds the state current there.
	changed := &stateChanged{group: p.cfg.Group, name: p.cfg.Name, from: from, to: next, expected: expected}
	if next == Fatal || (next == Exited && !p.willRestart) {
		changed.final, changed.status = true, p.finalStatus(next)
	}
	c.Send(p.rt.supervisor, changed)
	if p.pool != nil && (from == Running || next == Running) {
		c.Send(p.pool, &listenerRunning{name: p.cfg.Name, running: next == Running})
	}
	ev := events.ProcessState{State: next.String(), Process: p.cfg.Name, Group: p.cfg.Group,
		From: from.String(), PID: p.pid, Tries: p.backoff, Expected: expected}
	if next == Exited || next == Stopped || next == Backoff {
		// The transition that ends a run says how it ended (a start that
		// lasted past startsecs as it exited is RUNNING first: not then).
		ev.Exit, p.ended = p.ended, nil
	}
	c.Send(p.rt.bus, &publish{ev: ev})
	switch next {
	case Backoff, Exited, Stopped, Fatal, Unknown:
		p.pid = 0 // events after this one have no process to name
	}
	p.answerWaiters(c)
}

// answerWaiters answers the waits the current state settles, as the
// reference's deferred start and stop callbacks judge it: a start wait ends
// in RUNNING, or fails with the spawn error or any state but STARTING; a stop
// wait ends in any stopped state.
func (p *process) answerWaiters(c actor.Context) {
	if len(p.startWaiters) > 0 {
		var err error
		switch {
		case p.waiting && p.blocked:
			err = &Error{Kind: Abnormal, Detail: p.cfg.Name + " waits for " + p.waitingFor}
		case p.waiting:
			goto stops
		case p.spawnErr != "":
			err = ErrSpawn
		case p.state == Running:
		case p.state == Starting:
			goto stops
		default:
			err = ErrAbnormal
		}
		for _, w := range p.startWaiters {
			c.Send(w, &Result{err})
		}
		p.startWaiters = nil
	}
stops:
	if len(p.stopWaiters) > 0 && p.state.IsStopped() {
		for _, w := range p.stopWaiters {
			c.Send(w, &Result{})
		}
		p.stopWaiters = nil
	}
}

// signal sends sig to a process in a signallable state (STARTING, RUNNING,
// STOPPING).
func (p *process) signal(sig syscall.Signal) error {
	if p.proc == nil || (p.state != Starting && p.state != Running && p.state != Stopping) {
		return ErrNotRunning
	}
	p.rt.log.Debug(fmt.Sprintf("sending %s (pid %d) sig %s", p.cfg.Name, p.proc.Pid, conf.SignalName(sig)))
	if err := p.proc.Signal(sig); err != nil {
		return errorf(Failed, "%v", err)
	}
	return nil
}

// writeStdin writes data to the child's stdin, or queues what the pipe
// cannot take yet, without blocking the mailbox: ErrNoFile when the child
// has closed its stdin.
func (p *process) writeStdin(data []byte) error {
	if p.proc == nil || p.killing {
		return ErrNotRunning
	}
	if p.proc.Stdin == nil { // an fcgi-program's stdin is its socket
		return ErrNoFile
	}
	if p.stdin == nil { // made on first use: most programs never get input
		p.stdin = newStdinWriter(p.proc.Stdin)
	}
	return p.stdin.write(data)
}

// closeStdin closes the daemon's end of the child's stdin.
func (p *process) closeStdin() {
	switch {
	case p.stdin != nil:
		p.stdin.close()
		p.stdin = nil
	case p.proc != nil && p.proc.Stdin != nil:
		p.proc.Stdin.Close()
	}
}

// Behaviours, one per state. Each handles what can happen in that state.

// stopped is the behaviour of every state without an OS process that a
// start may leave: STOPPED, EXITED and FATAL.
func (p *process) stopped(c actor.Context) {
	switch c.Message().(type) {
	case *startProcess:
		p.stopWaiting(c)
		c.Respond(&Result{p.requestedStart(c)})
	case *startWhenMet:
		if len(p.cfg.Lifecycle.DependsOn) == 0 {
			c.Respond(&Result{p.requestedStart(c)})
			return
		}
		if err := p.checkCommand(); err != nil {
			c.Respond(&Result{err})
			return
		}
		p.waitForDeps(c)
		c.Respond(&Result{})
	case *stopProcess:
		p.stopWaiting(c)
		p.answerWaiters(c)
		c.Respond(&Result{ErrNotRunning})
	}
}

func (p *process) starting(c actor.Context) {
	switch m := c.Message().(type) {
	case *startProcess, *startWhenMet:
		c.Respond(&Result{p.alreadyStarted()})
	case *stopProcess:
		p.kill(c, p.cfg.StopSignal)
		p.tookStop(c, m) // before the answer: the asker's next request finds it remembered
		c.Respond(&Result{})
	case *timerFired:
		if m.gen == p.gen && m.kind == startsecsTimer {
			p.run.startsecsUp = true
			if p.run.ready {
				p.becomeRunning(c)
			}
		}
	case *exited:
		if m.gen != p.gen {
			return
		}
		ready, notReady := p.run.ready, p.run.notReady
		p.reaped(c, m.status)
		if !ready {
			// ready= never held: a failed start, whenever it ended.
			p.spawnErr = notReady
			if notReady == "" {
				p.spawnErr = "Exited before it was ready (process log may have details)"
			}
			p.exitCode = 0
			p.rt.log.Warn(fmt.Sprintf("exited: %s (%s; not expected)", p.cfg.Name, m.status))
			p.enterBackoff(c)
			return
		}
		if p.rt.now().Sub(p.start) < p.cfg.StartSecs {
			p.spawnErr = "Exited too quickly (process log may have details)"
			p.exitCode = 0 // the reference keeps no exit status for a start that failed
			p.rt.log.Warn(fmt.Sprintf("exited: %s (%s; not expected)", p.cfg.Name, m.status))
			p.enterBackoff(c)
			return
		}
		// The exit raced the startsecs timer: the process did stay up long enough.
		p.becomeRunning(c)
		p.exitedWhileRunning(c, m.status)
	}
}

func (p *process) running(c actor.Context) {
	switch m := c.Message().(type) {
	case *startProcess, *startWhenMet:
		c.Respond(&Result{p.alreadyStarted()})
	case *stopProcess:
		p.restartAfterStop = false
		p.kill(c, p.cfg.StopSignal)
		p.tookStop(c, m) // before the answer: the asker's next request finds it remembered
		c.Respond(&Result{})
	case *exited:
		if m.gen == p.gen {
			p.reaped(c, m.status)
			p.exitedWhileRunning(c, m.status)
		}
	}
}

// tookStop tells the supervisor of a stop asked by hand that the process
// took, which it remembers (intent.go).
func (p *process) tookStop(c actor.Context, m *stopProcess) {
	if m.by != nil {
		c.Send(p.rt.supervisor, &stopTaken{ref: conf.ProcessRef{Group: p.cfg.Group, Name: p.cfg.Name}, by: *m.by})
	}
}

func (p *process) backoffState(c actor.Context) {
	switch m := c.Message().(type) {
	case *startProcess, *startWhenMet:
		c.Respond(&Result{p.alreadyStarted()})
	case *stopProcess:
		p.cancelTimer()
		p.rt.log.Debug(fmt.Sprintf("Attempted to kill %s, which is in BACKOFF state.", p.cfg.Name))
		p.to(c, Stopped, p.stopped, true)
		p.tookStop(c, m) // before the answer: the asker's next request finds it remembered
		c.Respond(&Result{})
	case *timerFired:
		if m.gen == p.gen && m.kind == backoffTimer && !p.noStart {
			p.respawn(c)
		}
	}
}

func (p *process) stopping(c actor.Context) {
	switch m := c.Message().(type) {
	case *startProcess, *startWhenMet:
		c.Respond(&Result{p.alreadyStarted()})
	case *stopProcess:
		p.restartAfterStop = false // a stop asked for ends a health restart there
		c.Respond(&Result{ErrNotRunning})
	case *timerFired:
		if m.gen == p.gen && m.kind == stopwaitTimer {
			p.rt.log.Warn(fmt.Sprintf("killing '%s' (%d) with SIGKILL", p.cfg.Name, p.proc.Pid))
			p.kill(c, syscall.SIGKILL)
		}
	case *exited:
		if m.gen != p.gen {
			return
		}
		p.reaped(c, m.status)
		p.killing = false
		expected := p.isExpected(m.status)
		// Logged before the transition answers waiters, so the main log
		// tells what happened in the order it happened.
		msg := fmt.Sprintf("stopped: %s (%s)", p.cfg.Name, m.status)
		if expected {
			p.rt.log.Info(msg)
		} else {
			p.rt.log.Warn(msg)
		}
		p.to(c, Stopped, p.stopped, expected)
		if p.restartAfterStop && !p.noStart {
			p.restartAfterStop = false
			p.respawn(c)
		}
	}
}

// requestedStart is a start asked for by a client: like the reference it
// first checks the command can run at all, then spawns; a spawn that fails
// at once is a spawn error.
func (p *process) requestedStart(c actor.Context) error {
	if err := p.checkCommand(); err != nil {
		return err
	}
	if err := p.spawn(c); err != nil {
		return err
	}
	if p.spawnErr != "" {
		return ErrSpawn
	}
	return nil
}

// alreadyStarted answers a start request in a running state; the command
// check still comes first, as in the reference.
func (p *process) alreadyStarted() error {
	if err := p.checkCommand(); err != nil {
		return err
	}
	return ErrAlreadyStarted
}

// checkCommand resolves the command the way a spawn would, wording a
// missing file as NO_FILE and anything else as NOT_EXECUTABLE.
func (p *process) checkCommand() error {
	if len(p.cfg.Argv) == 0 {
		return &Error{Kind: NotExecutable, Detail: p.unparsable()}
	}
	_, err := child.Resolve(p.cfg.Argv[0], p.environ())
	switch {
	case err == nil:
		return nil
	case errors.Is(err, child.ErrNotFound):
		return &Error{Kind: NoFile, Detail: err.Error()}
	default:
		return &Error{Kind: NotExecutable, Detail: err.Error()}
	}
}

// unparsable words a command shlex cannot split (an unclosed quote: the
// only way conf lets one through).
func (p *process) unparsable() string {
	return fmt.Sprintf("can't parse command '%s': No closing quotation", p.cfg.Command)
}

// spawn starts the OS process: → STARTING, then → BACKOFF if it cannot.
func (p *process) spawn(c actor.Context) error {
	if p.noStart {
		return ErrShuttingDown
	}
	p.cancelTimer()
	p.endChecks(c) // a run's checks never outlive it
	p.killing = false
	p.spawnErr = ""
	p.exitCode = 0 // a new run has no exit status yet
	p.ended = nil
	p.start = p.rt.now()
	p.to(c, Starting, p.starting, true)
	stdin, err := p.takeSocket()
	if err != nil {
		p.spawnFailed(c, err.Error())
		return nil
	}

	if len(p.cfg.Argv) == 0 {
		p.spawnFailed(c, p.unparsable())
		return nil
	}
	env, err := p.spawnEnviron()
	if err != nil {
		p.spawnFailed(c, err.Error())
		return nil
	}
	path, err := child.Resolve(p.cfg.Argv[0], env)
	if err != nil {
		p.spawnFailed(c, err.Error())
		return nil
	}
	gen := p.rt.generations.Add(1)
	notifyEnv, err := p.openNotify(gen) // lifecycle.go
	if err != nil {
		p.spawnFailed(c, err.Error())
		return nil
	}
	spec := child.Spec{
		Path:           path,
		Argv:           p.cfg.Argv,
		Dir:            p.cfg.Directory,
		Env:            append(env, notifyEnv...),
		UID:            p.cfg.UID,
		GID:            p.cfg.GID,
		RedirectStderr: p.cfg.RedirectStderr,
		Stdin:          stdin,
		Rlimits:        p.cfg.Rlimits,
		// Without it the program dies with the daemon (child.Spec).
		KeepOnDaemonDeath: p.cfg.KeepOnDaemonDeath,
	}
	if p.cfg.HasUmask {
		umask := p.cfg.Umask
		spec.Umask = &umask
	}
	self, root := c.Self(), c.ActorSystem().Root
	proc, err := p.rt.spawner.Spawn(spec, func(st child.ExitStatus) {
		root.Send(self, &exited{gen: gen, status: st})
	})
	if err != nil {
		p.endChecks(c)
		p.spawnFailed(c, err.Error())
		return nil
	}
	p.gen, p.proc = gen, &proc
	p.rt.log.Info(fmt.Sprintf("spawned: '%s' with pid %d", p.cfg.Name, proc.Pid))
	p.pid = proc.Pid
	// Before the output is read, so a logger watching for ready=log hears
	// of it before the first line.
	p.serveNotify(c, proc.Pid)
	p.beginChecks(c)
	if p.pool != nil {
		p.startListener(c, events.NewListenerOutput())
	} else if proc.Stdout != nil {
		p.rt.readOutput(root, proc.Stdout, p.stdout, proc.Pid, p.gone)
	}
	if proc.Stderr != nil {
		p.rt.readOutput(root, proc.Stderr, p.stderr, proc.Pid, p.gone)
	}
	// A listener's stdout goes to its protocol actor, which may be gone
	// before the stream ends: only its loggers' streams are waited for.
	p.trackStreams(proc.Pid, proc.Stdout != nil && p.stdout != nil && p.listener == nil,
		proc.Stderr != nil && p.stderr != nil)
	p.after(p.cfg.StartSecs, startsecsTimer)
	return nil
}

// startListener starts an eventlistener's run of the protocol, in state
// out: its stdout speaks the protocol, its stdin carries events.
func (p *process) startListener(c actor.Context, out *events.ListenerOutput) {
	p.stdin = newStdinWriter(p.proc.Stdin)
	props := actor.PropsFromProducer(func() actor.Actor {
		return newListener(p.cfg.Name, p.cfg.Group, p.pool, p.stdin, p.stdout, p.rt, out)
	})
	var err error
	p.listener, err = c.SpawnNamed(props, "listener-"+strconv.FormatUint(p.gen, 10))
	if err != nil {
		panic(err) // generations are unique
	}
	if p.proc.Stdout != nil {
		p.reader = readProtocol(c.ActorSystem().Root, p.proc.Stdout, p.listener, p.proc.Pid, p.gone)
	}
}

func (p *process) spawnFailed(c actor.Context, msg string) {
	p.spawnErr = msg
	p.rt.log.Info("spawnerr: " + msg)
	p.enterBackoff(c)
}

// enterBackoff moves STARTING → BACKOFF and schedules the next try after as
// many seconds as there were failed starts, or gives up past startretries.
func (p *process) enterBackoff(c actor.Context) {
	p.to(c, Backoff, p.backoffState, true)
	if p.backoff > p.cfg.StartRetries || p.noStart {
		p.backoff = 0
		p.rt.log.Info(fmt.Sprintf("gave up: %s entered FATAL state, too many start retries too quickly", p.cfg.Name))
		p.to(c, Fatal, p.stopped, true)
		return
	}
	p.gen = p.rt.generations.Add(1) // the backoff timer's own token
	delay := backoffDelay(&p.cfg.Lifecycle, p.backoff, p.rt.rand())
	p.nextTry = p.rt.now().Add(delay)
	if customBackoff(p.cfg) { // else the reference's log, which has no such line
		p.rt.log.Info(fmt.Sprintf("backoff: %s retries in %s (attempt %d, %s)",
			p.cfg.Name, delay.Round(time.Millisecond), p.backoff, p.cfg.Lifecycle.Backoff))
	}
	p.after(delay, backoffTimer)
}

func (p *process) becomeRunning(c actor.Context) {
	p.backoff = 0
	ready := ""
	if r := p.cfg.Lifecycle.Ready; r.Kind != conf.ProbeNone {
		ready = "is ready (" + r.String() + ") and "
	}
	p.rt.log.Info(fmt.Sprintf("success: %s entered RUNNING state, process %shas stayed up for > than %d seconds (startsecs)",
		p.cfg.Name, ready, int(p.cfg.StartSecs/time.Second)))
	p.cancelKind(readyTimeoutTimer)
	p.to(c, Running, p.running, true)
	p.beginHealth(c) // lifecycle.go
}

// exitedWhileRunning is RUNNING → EXITED, then the autorestart decision.
func (p *process) exitedWhileRunning(c actor.Context, st child.ExitStatus) {
	p.backoff = 0
	expected := p.isExpected(st)
	if expected {
		p.rt.log.Info(fmt.Sprintf("exited: %s (%s; expected)", p.cfg.Name, st))
	} else {
		p.spawnErr = fmt.Sprintf("Bad exit code %d", st.ExitCode())
		p.rt.log.Warn(fmt.Sprintf("exited: %s (%s; not expected)", p.cfg.Name, st))
	}
	restart := false
	switch p.cfg.AutoRestart {
	case conf.RestartAlways:
		restart = !p.noStart
	case conf.RestartUnexpected:
		restart = !p.noStart && !expected
	case conf.RestartNever:
	}
	p.willRestart = restart // the supervisor hears whether this exit is the end
	p.to(c, Exited, p.stopped, expected)
	p.willRestart = false
	if restart {
		p.respawn(c)
	}
}

// finalStatus is the exit status a process that ended for good in state
// gives the daemon when it is essential: its exit code, 128+n for signal
// n, and for FATAL the last exit's code when it had a nonzero one, else 1.
func (p *process) finalStatus(state State) int {
	if p.lastExit == nil {
		return 1
	}
	code := p.lastExit.ExitCode()
	if sig, ok := p.lastExit.Signaled(); ok {
		code = 128 + int(sig)
	}
	if state == Fatal && code == 0 {
		return 1
	}
	return code
}

// reaped records what every exit has in common.
func (p *process) reaped(c actor.Context, st child.ExitStatus) {
	if p.listener != nil {
		c.Stop(p.listener)              // gives back the event it held, if any
		p.listener, p.reader = nil, nil // the reader reads on to the end
	}
	p.cancelTimer()
	p.endChecks(c)
	p.stop = p.rt.now()
	p.exitCode = st.ExitCode()
	p.lastExit = &st
	p.ended = p.stats.exited(st, p.isExpected(st))
	p.exitInfo = &LastExit{Code: st.ExitCode(), Expected: p.isExpected(st), At: p.stop}
	if sig, ok := st.Signaled(); ok {
		p.exitInfo.Signal = sig
	}
	p.closeStdin()
	p.proc = nil
}

func (p *process) isExpected(st child.ExitStatus) bool {
	code := st.ExitCode() // -1 when signalled, which no exitcodes list holds
	for _, want := range p.cfg.ExitCodes {
		if code == want {
			return true
		}
	}
	return false
}

// kill sends sig to the process (or its process group) and enters STOPPING,
// arming the stopwaitsecs escalation.
func (p *process) kill(c actor.Context, sig syscall.Signal) {
	asGroup := p.cfg.StopAsGroup
	if p.state == Stopping {
		asGroup = p.cfg.KillAsGroup
	}
	how := ""
	if asGroup {
		how = "process group "
	}
	p.rt.log.Debug(fmt.Sprintf("killing %s (pid %d) %swith signal %s", p.cfg.Name, p.proc.Pid, how, conf.SignalName(sig)))
	p.killing = true
	p.cancelTimer()
	if p.state != Stopping {
		p.to(c, Stopping, p.stopping, true)
	}
	p.after(p.cfg.StopWaitSecs, stopwaitTimer)
	// An error most likely means it exited on its own a moment ago; the
	// reaper will tell.
	p.signalStop(sig, asGroup)
}

// killNow is the last resort when the actor itself goes away: the OS process
// must not outlive it.
func (p *process) killNow() {
	p.cancelTimer()
	if p.proc == nil {
		return
	}
	if p.cfg.KillAsGroup {
		_ = p.proc.SignalGroup(syscall.SIGKILL)
	}
	_ = p.proc.Signal(syscall.SIGKILL)
}

// trackStreams counts the streams of OS process pid whose loggers will
// see their end, for a drain to wait for.
func (p *process) trackStreams(pid int, stdout, stderr bool) {
	n := 0
	for _, logged := range []bool{stdout, stderr} {
		if logged {
			n++
		}
	}
	if n > 0 {
		if p.open == nil {
			p.open = map[int]int{}
		}
		p.open[pid] = n
	}
}

// drainTimeout bounds the wait for a stopped program's output to end: a
// process it left behind may hold its pipe open for good.
const drainTimeout = time.Second

// drained answers every drain waiter.
func (p *process) drained(c actor.Context) {
	for _, w := range p.drainWaiters {
		c.Send(w, &Result{})
	}
	p.drainWaiters = nil
	p.cancelKind(drainTimer)
}

// after arms the timer of a kind, replacing one of that kind still armed.
func (p *process) after(d time.Duration, kind timerKind) {
	p.cancelKind(kind)
	p.armed++
	p.armedAt[kind] = p.armed
	p.cancels[kind] = p.timers.SendOnce(d, p.self, &timerFired{gen: p.gen, kind: kind, seq: p.armed})
	p.deadlines[kind] = p.rt.now().Add(d).UnixNano()
}

// fired forgets a timer that went off, so the runtime's timer is not kept
// for as long as the state it ended lasts (startsecs' for all of RUNNING).
// A firing of a timer re-armed since leaves the new one armed.
func (p *process) fired(m *timerFired) {
	if p.cancels[m.kind] != nil && p.armedAt[m.kind] == m.seq {
		p.cancels[m.kind] = nil
	}
}

func (p *process) cancelKind(kind timerKind) {
	if p.cancels[kind] != nil {
		p.cancels[kind]()
		p.cancels[kind] = nil
	}
}

// cancelTimer cancels every armed timer of the run (not a drain's).
func (p *process) cancelTimer() {
	for k := range p.cancels {
		if timerKind(k) != drainTimer {
			p.cancelKind(timerKind(k))
		}
	}
}

// environ is the child's environment as spawnEnviron makes it, without the
// environment_file variables when a required file cannot be read (a spawn
// reports that).
func (p *process) environ() []string {
	env, _ := p.spawnEnviron()
	return env
}

// spawnEnviron is the child's environment: the daemon's, the SUPERVISOR_*
// variables, the environment_file variables, then the program's own
// environment=, later ones winning. The files are read now, so a restart
// sees their edits; its error names a required file that cannot be read.
func (p *process) spawnEnviron() ([]string, error) {
	files, err := conf.ReadEnvFiles(p.cfg.EnvFiles)
	env := os.Environ()
	env = append(env, "SUPERVISOR_ENABLED=1")
	url := p.cfg.ServerURL
	if url == "" {
		url = p.rt.serverURL
	}
	if url != "" {
		env = append(env, "SUPERVISOR_SERVER_URL="+url)
	}
	env = append(env, "SUPERVISOR_PROCESS_NAME="+p.cfg.Name, "SUPERVISOR_GROUP_NAME="+p.cfg.Group)
	for _, kv := range append(files, p.cfg.Environment...) {
		env = append(env, kv.Key+"="+kv.Value)
	}
	return dedupEnv(env), err
}

// dedupEnv keeps the last value of each key, as execve would not.
func dedupEnv(env []string) []string {
	seen := make(map[string]int, len(env))
	out := env[:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := seen[k]; ok {
			out[i] = kv
			continue
		}
		seen[k] = len(out)
		out = append(out, kv)
	}
	return out
}

func (p *process) info() *ProcessInfo {
	in := &ProcessInfo{
		Name:          p.cfg.Name,
		Group:         p.cfg.Group,
		State:         p.state,
		Start:         p.start,
		Stop:          p.stop,
		Now:           p.rt.now(),
		ExitStatus:    p.exitCode,
		SpawnErr:      p.spawnErr,
		StdoutLogfile: p.stdoutPath,
		StderrLogfile: p.stderrPath,
		Status:        p.run.status,
		NextRun:       p.nextRun,
	}
	if p.waiting {
		in.WaitingFor = p.waitingFor
	}
	if p.state == Running && (p.cfg.Lifecycle.Health.Kind != conf.ProbeNone || p.cfg.Lifecycle.Watchdog > 0) {
		in.Health = "not yet healthy"
		switch {
		case p.run.healthy:
			in.Health = "healthy"
		case p.run.failures >= p.cfg.Lifecycle.HealthRetries:
			in.Health = "unhealthy: " + p.run.lastErr
		}
	}
	if p.proc != nil {
		in.PID = p.proc.Pid
	}
	in.Attempt, in.StartRetries, in.LastExit, in.CheckErr = p.backoff, p.cfg.StartRetries, p.exitInfo, p.run.lastErr
	if p.state == Backoff {
		in.NextTry = p.nextTry
	}
	in.Stats = p.stats.snapshot()
	return in
}
