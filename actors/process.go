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
	"supervisord/protocol/events"
)

// process is the actor for one process instance. It owns the OS process and
// walks the documented state machine.
//
// Accepts: *startProcess, *stopProcess, *autostart, *awaitStarted,
// *awaitStopped, *signalProcess, *writeStdin, *clearLog (carried to its
// loggers), *getInfo, *reopenLogs,
// *shutdownBegun, and its own *exited and *timerFired. Emits *stateChanged
// to the supervisor on every transition, PROCESS_STATE events to the bus,
// and, for an eventlistener, *listenerRunning to its pool.
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

	self   *actor.PID
	timers *scheduler.TimerScheduler
	cancel scheduler.CancelFunc
	// gone is closed when the actor stops, releasing pipe readers that wait
	// for a logger which will not take their output any more.
	gone chan struct{}

	// startWaiters and stopWaiters are asked-and-not-yet-answered
	// *awaitStarted and *awaitStopped requests, answered on a transition.
	startWaiters, stopWaiters []*actor.PID
	stdin                     *stdinWriter // nil until the first write to a running process

	// pool is the eventlistener pool this process serves, nil for a
	// program; listener is the protocol actor of its current run.
	pool, listener *actor.PID
	pid            int // the OS pid events report: the live one, or the one just reaped

	stdout, stderr         *actor.PID // logger children; nil when not captured
	stdoutPath, stderrPath string     // log paths with AUTO resolved

	// sock is an fcgi-program's socket (nil for others); sockHeld is it
	// while this process holds a reference, from spawn to exit (fcgi.go).
	sock     *fcgisock.Socket
	sockHeld *os.File
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
	switch m := c.Message().(type) {
	case *actor.Started:
		p.self = c.Self()
		p.gone = make(chan struct{})
		p.timers = scheduler.NewTimerScheduler(c.ActorSystem().Root)
		p.startLoggers(c)
		// A restarted incarnation starts over in STOPPED.
		c.Send(p.rt.supervisor, &stateChanged{group: p.cfg.Group, name: p.cfg.Name, from: p.state, to: p.state, expected: true})
		if p.pool != nil {
			c.Send(p.pool, &listenerRunning{name: p.cfg.Name, running: false})
		}
	case *actor.Stopping, *actor.Restarting:
		p.killNow()
		p.dropSocket()
		p.closeStdin()
		close(p.gone)
		// Waits this actor can no longer settle end now, not at their
		// callers' timeout (a day for a wait).
		for _, w := range append(p.startWaiters, p.stopWaiters...) {
			c.Send(w, &Result{ErrShuttingDown})
		}
		p.startWaiters, p.stopWaiters = nil, nil
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
	case *clearLog:
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
	case *autostart:
		if p.state == Stopped && !p.noStart && p.start.IsZero() && p.cfg.AutoStart {
			p.spawn(c)
		}
		c.Respond(&autostarted{})
	case *reopenLogs:
		for _, l := range []*actor.PID{p.stdout, p.stderr} {
			if l != nil {
				c.Send(l, m)
			}
		}
	case *shutdownBegun:
		p.noStart = true
		if p.state == Backoff {
			p.cancelTimer()
			p.to(c, Fatal, p.stopped, true)
		}
	default:
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
			auto, err := p.rt.autoLogName(p.cfg.Name, name)
			if err != nil {
				p.rt.log.Error(fmt.Sprintf("cannot create %s log for '%s': %v", name, p.cfg.Name, err))
				return nil, ""
			}
			path = auto
		}
		if path == "" && !lc.Syslog && !lc.EventsEnabled && lc.CaptureMaxBytes <= 0 && !p.rt.log.Enabled(context.Background(), slog.LevelDebug) {
			return nil, ""
		}
		props := actor.PropsFromProducer(func() actor.Actor { return newLogger(p.cfg, name, path, lc, p.rt) })
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
	c.Send(p.rt.supervisor, &stateChanged{group: p.cfg.Group, name: p.cfg.Name, from: from, to: next, expected: expected})
	if p.pool != nil && (from == Running || next == Running) {
		c.Send(p.pool, &listenerRunning{name: p.cfg.Name, running: next == Running})
	}
	c.Send(p.rt.bus, &publish{ev: events.ProcessState{State: next.String(), Process: p.cfg.Name, Group: p.cfg.Group,
		From: from.String(), PID: p.pid, Tries: p.backoff, Expected: expected}})
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
		c.Respond(&Result{p.requestedStart(c)})
	case *stopProcess:
		c.Respond(&Result{ErrNotRunning})
	}
}

func (p *process) starting(c actor.Context) {
	switch m := c.Message().(type) {
	case *startProcess:
		c.Respond(&Result{p.alreadyStarted()})
	case *stopProcess:
		p.kill(c, p.cfg.StopSignal)
		c.Respond(&Result{})
	case *timerFired:
		if m.gen == p.gen && m.kind == startsecsTimer {
			p.becomeRunning(c)
		}
	case *exited:
		if m.gen != p.gen {
			return
		}
		p.reaped(c, m.status)
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
	case *startProcess:
		c.Respond(&Result{p.alreadyStarted()})
	case *stopProcess:
		p.kill(c, p.cfg.StopSignal)
		c.Respond(&Result{})
	case *exited:
		if m.gen == p.gen {
			p.reaped(c, m.status)
			p.exitedWhileRunning(c, m.status)
		}
	}
}

func (p *process) backoffState(c actor.Context) {
	switch m := c.Message().(type) {
	case *startProcess:
		c.Respond(&Result{p.alreadyStarted()})
	case *stopProcess:
		p.cancelTimer()
		p.rt.log.Debug(fmt.Sprintf("Attempted to kill %s, which is in BACKOFF state.", p.cfg.Name))
		p.to(c, Stopped, p.stopped, true)
		c.Respond(&Result{})
	case *timerFired:
		if m.gen == p.gen && m.kind == backoffTimer && !p.noStart {
			p.spawn(c)
		}
	}
}

func (p *process) stopping(c actor.Context) {
	switch m := c.Message().(type) {
	case *startProcess:
		c.Respond(&Result{p.alreadyStarted()})
	case *stopProcess:
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
	p.killing = false
	p.spawnErr = ""
	p.exitCode = 0 // a new run has no exit status yet
	p.start = p.rt.now()
	p.to(c, Starting, p.starting, true)
	stdin, err := p.takeSocket()
	if err != nil {
		p.spawnFailed(c, err.Error())
		return nil
	}

	env := p.environ()
	if len(p.cfg.Argv) == 0 {
		p.spawnFailed(c, p.unparsable())
		return nil
	}
	path, err := child.Resolve(p.cfg.Argv[0], env)
	if err != nil {
		p.spawnFailed(c, err.Error())
		return nil
	}
	spec := child.Spec{
		Path:           path,
		Argv:           p.cfg.Argv,
		Dir:            p.cfg.Directory,
		Env:            env,
		UID:            p.cfg.UID,
		GID:            p.cfg.GID,
		RedirectStderr: p.cfg.RedirectStderr,
		Stdin:          stdin,
	}
	if p.cfg.HasUmask {
		umask := p.cfg.Umask
		spec.Umask = &umask
	}
	gen := p.rt.generations.Add(1)
	self, root := c.Self(), c.ActorSystem().Root
	proc, err := p.rt.spawner.Spawn(spec, func(st child.ExitStatus) {
		root.Send(self, &exited{gen: gen, status: st})
	})
	if err != nil {
		p.spawnFailed(c, err.Error())
		return nil
	}
	p.gen, p.proc = gen, &proc
	p.rt.log.Info(fmt.Sprintf("spawned: '%s' with pid %d", p.cfg.Name, proc.Pid))
	p.pid = proc.Pid
	if p.pool != nil {
		// A listener's stdout speaks the protocol; its stdin carries events.
		p.stdin = newStdinWriter(proc.Stdin)
		props := actor.PropsFromProducer(func() actor.Actor {
			return newListener(p.cfg.Name, p.cfg.Group, p.pool, p.stdin, p.stdout, p.rt)
		})
		p.listener, err = c.SpawnNamed(props, "listener-"+strconv.FormatUint(gen, 10))
		if err != nil {
			panic(err) // generations are unique
		}
	}
	switch {
	case proc.Stdout == nil:
	case p.listener != nil:
		readProtocol(root, proc.Stdout, p.listener, proc.Pid, p.gone)
	default:
		p.rt.readOutput(root, proc.Stdout, p.stdout, proc.Pid, p.gone)
	}
	if proc.Stderr != nil {
		p.rt.readOutput(root, proc.Stderr, p.stderr, proc.Pid, p.gone)
	}
	p.after(p.cfg.StartSecs, startsecsTimer)
	return nil
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
	p.after(time.Duration(p.backoff)*time.Second, backoffTimer)
}

func (p *process) becomeRunning(c actor.Context) {
	p.backoff = 0
	p.rt.log.Info(fmt.Sprintf("success: %s entered RUNNING state, process has stayed up for > than %d seconds (startsecs)",
		p.cfg.Name, int(p.cfg.StartSecs/time.Second)))
	p.to(c, Running, p.running, true)
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
	p.to(c, Exited, p.stopped, expected)
	if p.noStart {
		return
	}
	switch p.cfg.AutoRestart {
	case conf.RestartAlways:
		p.spawn(c)
	case conf.RestartUnexpected:
		if !expected {
			p.spawn(c)
		}
	case conf.RestartNever:
	}
}

// reaped records what every exit has in common.
func (p *process) reaped(c actor.Context, st child.ExitStatus) {
	if p.listener != nil {
		c.Stop(p.listener) // gives back the event it held, if any
		p.listener = nil
	}
	p.cancelTimer()
	p.stop = p.rt.now()
	p.exitCode = st.ExitCode()
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
	var err error
	if asGroup {
		err = p.proc.SignalGroup(sig)
	} else {
		err = p.proc.Signal(sig)
	}
	if err != nil {
		// Most likely it exited on its own a moment ago; the reaper will tell.
		p.rt.log.Debug(fmt.Sprintf("unable to signal %s (pid %d), it probably just exited on its own: %v", p.cfg.Name, p.proc.Pid, err))
	}
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

func (p *process) after(d time.Duration, kind timerKind) {
	p.cancelTimer()
	p.cancel = p.timers.SendOnce(d, p.self, &timerFired{gen: p.gen, kind: kind})
}

func (p *process) cancelTimer() {
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
}

// environ is the child's environment: the daemon's, the SUPERVISOR_*
// variables, then the program's own settings, later ones winning.
func (p *process) environ() []string {
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
	for _, kv := range p.cfg.Environment {
		env = append(env, kv.Key+"="+kv.Value)
	}
	return dedupEnv(env)
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
	}
	if p.proc != nil {
		in.PID = p.proc.Pid
	}
	return in
}
