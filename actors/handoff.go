package actors

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/internal/child"
	"supervisord/internal/fsutil"
	"supervisord/internal/handoff"
	"supervisord/internal/output"
)

// The tree's part of an upgrade (supervisorctl upgrade), where the daemon
// re-executes itself in the same pid and its children carry on.
//
// Freeze stops the tree from changing: each process queues what would move
// its state (exits, timers, check results), the caller's reaper pauses, the
// output hub stops reading and every logger has written what was read. Its
// records name duplicates of the daemon's pipe ends, which the caller keeps
// open across the exec; bytes not read yet stay in the pipes for the next
// program. Thaw undoes Freeze when the exec failed.
//
// The new program starts its tree with Options.Adopt: each process actor
// takes its record's state, pid, times and pipes over instead of starting
// afresh (adoptRun), so autostart leaves it alone.
//
// Not handed over: eventlistener processes (the new tree starts its own;
// the old ones see their pipes close), pools' buffered events, stdin bytes
// still queued for a child, a capture-mode logger's partial capture, and
// ready=notify sockets (an adopted STARTING process that waits for one is
// taken as ready).

// handover is a process actor's part of it.
type handover struct {
	frozen   bool
	queued   []any // messages held while frozen, in arrival order
	deadline [numTimers]time.Time
	// The daemon's pipe ends, duplicated at the freeze (close-on-exec
	// until the caller clears it); -1 when there is none.
	stdin, stdout, stderr int
}

type (
	freezeProcess   struct{}
	snapshotProcess struct{}
	thawProcess     struct{}
	processRecord   struct{ rec *handoff.Process }
	flushLog        struct{}
	busSerial       struct{ serial int64 }
	restoreSerial   struct{ serial int64 }
)

func (*freezeProcess) isMessage()   {}
func (*snapshotProcess) isMessage() {}
func (*thawProcess) isMessage()     {}
func (*processRecord) isMessage()   {}
func (*flushLog) isMessage()        {}
func (*busSerial) isMessage()       {}
func (*restoreSerial) isMessage()   {}

// ErrNoHandover is Freeze's error when the tree cannot be handed over.
var ErrNoHandover = errors.New("supervisor: cannot hand the processes over")

// Frozen is a tree stopped for a handover.
type Frozen struct {
	Processes []handoff.Process
	Serial    int64 // the bus's next event serial
	procs     []*conf.Process
	resume    func()
}

// Freeze stops the tree for a handover. pause stops the reaping of
// children (and resume starts it again, for Thaw): an exit from then on is
// the next program's to reap.
func (d *Daemon) Freeze(ctx context.Context, pause, resume func()) (*Frozen, error) {
	if d.rt.output == nil {
		return nil, fmt.Errorf("%w: child output is not read by the output hub", ErrNoHandover)
	}
	ps, err := d.allProcesses(ctx)
	if err != nil {
		return nil, err
	}
	f := &Frozen{procs: ps, resume: resume}
	for i, p := range ps {
		if _, err := d.askProcess(ctx, p.Group, p.Name, &freezeProcess{}, askTimeout); err != nil {
			f.procs = ps[:i]
			d.thawProcesses(ctx, f.procs)
			return nil, fmt.Errorf("%w: %s: %v", ErrNoHandover, p.Name, err)
		}
	}
	pause()
	// Every read made is on its way to a logger once the hub is closed;
	// what is not read stays in the pipes.
	d.rt.output.Close()
	for _, p := range ps {
		v, err := d.askProcess(ctx, p.Group, p.Name, &snapshotProcess{}, askTimeout)
		if err != nil {
			d.Thaw(ctx, f)
			return nil, fmt.Errorf("%w: %s: %v", ErrNoHandover, p.Name, err)
		}
		if r := v.(*processRecord).rec; r != nil {
			f.Processes = append(f.Processes, *r)
		}
	}
	if v, err := d.ask(ctx, &toBus{msg: &busSerial{}}, askTimeout); err == nil {
		f.Serial = v.(*busSerial).serial
	}
	return f, nil
}

// Thaw undoes Freeze: output is read again (by a new hub), children are
// reaped again, and every process acts on what it held meanwhile. The
// descriptors of f's records are closed.
func (d *Daemon) Thaw(ctx context.Context, f *Frozen) {
	if h, err := output.New(); err == nil {
		// Safe: every actor that reads it is frozen, and reads it again
		// only after the thaw message below.
		d.rt.output = h
		go func() { <-d.done; h.Close() }()
	} else {
		d.rt.output = nil // each pipe gets a reader goroutine
	}
	f.resume()
	d.thawProcesses(ctx, f.procs)
}

func (d *Daemon) thawProcesses(ctx context.Context, ps []*conf.Process) {
	for _, p := range ps {
		d.askProcess(ctx, p.Group, p.Name, &thawProcess{}, askTimeout) //nolint:errcheck // gone is thawed
	}
}

// onHandover handles the handover's messages, and holds back what would
// change a frozen process. It reports whether it took the message.
func (p *process) onHandover(c actor.Context) bool {
	switch m := c.Message().(type) {
	case *freezeProcess:
		p.freeze()
		c.Respond(&Result{})
		return true
	case *snapshotProcess:
		p.snapshot(c)
		return true
	case *thawProcess:
		p.thaw(c)
		c.Respond(&Result{})
		return true
	case *exited, *timerFired, *probeDone, *notified, *logMatched, *depsMet, *depsWaiting:
		if p.ho.frozen {
			p.ho.queued = append(p.ho.queued, m)
			return true
		}
	}
	return false
}

func (p *process) freeze() {
	p.ho.frozen = true
	p.ho.stdin, p.ho.stdout, p.ho.stderr = -1, -1, -1
	if p.proc == nil {
		return
	}
	p.ho.stdin, p.ho.stdout, p.ho.stderr = dupOf(p.proc.Stdin), dupOf(p.proc.Stdout), dupOf(p.proc.Stderr)
}

// dupOf duplicates f's descriptor (fsutil.Dup); -1 for a nil or closed f.
func dupOf(f *os.File) int {
	if f == nil {
		return -1
	}
	fd, err := fsutil.Dup(f)
	if err != nil {
		return -1
	}
	return fd
}

// snapshot answers with the process's record once its loggers have
// written every chunk sent to them before.
func (p *process) snapshot(c actor.Context) {
	var fs []*actor.Future
	for _, l := range []*actor.PID{p.stdout, p.stderr} {
		if l != nil {
			fs = append(fs, c.RequestFuture(l, &flushLog{}, askTimeout))
		}
	}
	replyTo := c.Sender()
	awaitAll(c, fs, func() { c.Send(replyTo, &processRecord{p.record()}) })
}

func (p *process) record() *handoff.Process {
	if p.pool != nil {
		return nil
	}
	r := &handoff.Process{Group: p.cfg.Group, Name: p.cfg.Name, State: int(p.state),
		Backoff: p.backoff, SpawnErr: p.spawnErr, ExitCode: p.exitCode, Killing: p.killing,
		Stdin: p.ho.stdin, Stdout: p.ho.stdout, Stderr: p.ho.stderr,
		StdoutLog: p.stdoutPath, StderrLog: p.stderrPath}
	if !p.start.IsZero() {
		r.Start = p.start.UnixNano()
	}
	if !p.stop.IsZero() {
		r.Stop = p.stop.UnixNano()
	}
	if p.proc != nil {
		r.PID = p.proc.Pid
	} else {
		r.Stdin, r.Stdout, r.Stderr = -1, -1, -1
	}
	now := p.rt.now()
	for k, cancel := range p.cancels {
		if cancel != nil && p.ho.deadline[k].After(now) {
			r.Timers = append(r.Timers, handoff.Timer{Kind: k, Left: p.ho.deadline[k].Sub(now)})
		}
	}
	for _, m := range p.ho.queued {
		switch m := m.(type) {
		case *exited:
			if m.gen == p.gen && p.proc != nil {
				ws := m.status.WaitStatus()
				r.Exit = &ws
			}
		case *timerFired:
			if m.gen == p.gen {
				r.Timers = append(r.Timers, handoff.Timer{Kind: int(m.kind)})
			}
		}
	}
	return r
}

func (p *process) thaw(c actor.Context) {
	if !p.ho.frozen {
		return
	}
	p.ho.frozen = false
	// The hub that read the pipes is closed, and closed them: the
	// duplicates are read now, as an adopted run's are. A listener's stdout
	// has a reader of its own, which read on.
	stdout, stderr := p.ho.stdout, p.ho.stderr
	if p.proc != nil {
		root := c.ActorSystem().Root
		if stdout >= 0 && p.pool == nil {
			p.proc.Stdout = outputFile(stdout)
			p.rt.readOutput(root, p.proc.Stdout, p.stdout, p.proc.Pid, p.gone)
			stdout = -1
		}
		if stderr >= 0 {
			p.proc.Stderr = outputFile(stderr)
			p.rt.readOutput(root, p.proc.Stderr, p.stderr, p.proc.Pid, p.gone)
			stderr = -1
		}
	}
	closeFds(p.ho.stdin, stdout, stderr)
	p.ho.stdin, p.ho.stdout, p.ho.stderr = -1, -1, -1
	for _, m := range p.ho.queued {
		c.Send(c.Self(), m)
	}
	p.ho.queued = nil
}

// adoptions are the records of a handed-over tree not yet taken by their
// process actors, by group and name.
type adoptions struct {
	mu   sync.Mutex
	recs map[conf.ProcessRef]*handoff.Process
}

func newAdoptions(recs []handoff.Process) *adoptions {
	a := &adoptions{recs: make(map[conf.ProcessRef]*handoff.Process, len(recs))}
	for i := range recs {
		r := &recs[i]
		a.recs[conf.ProcessRef{Group: r.Group, Name: r.Name}] = r
	}
	return a
}

// take hands a record out once: a restarted actor starts afresh.
func (a *adoptions) take(ref conf.ProcessRef) *handoff.Process {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.recs[ref]
	delete(a.recs, ref)
	return r
}

// Unadopted waits until every process actor has started (and taken its
// record), then closes the descriptors of the records no process took
// (their groups are not in the config any more) and lists them; the
// children themselves run on unmanaged, reaped as unknown when they exit.
func (d *Daemon) Unadopted(ctx context.Context) []handoff.Process {
	a := d.rt.adopt
	if a == nil {
		return nil
	}
	d.Status(ctx) //nolint:errcheck // answered once every process has started
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []handoff.Process
	for ref, r := range a.recs {
		closeFds(r.Stdin, r.Stdout, r.Stderr)
		out = append(out, *r)
		delete(a.recs, ref)
	}
	return out
}

// takeAdopted takes the process's record, if it has one, before anything
// else happens in Started: its state and log paths.
func (p *process) takeAdopted() {
	r := p.rt.adopt.take(p.ref())
	if r == nil || p.pool != nil {
		if r != nil {
			closeFds(r.Stdin, r.Stdout, r.Stderr)
		}
		return
	}
	p.adopted = r
	p.state = State(r.State)
	p.backoff, p.spawnErr, p.exitCode, p.killing = r.Backoff, r.SpawnErr, r.ExitCode, r.Killing
	if r.Start != 0 {
		p.start = time.Unix(0, r.Start)
	}
	if r.Stop != 0 {
		p.stop = time.Unix(0, r.Stop)
	}
}

func closeFds(fds ...int) {
	// Descriptors are only ever closed here once: each record and each
	// freeze owns its own.
	for _, fd := range fds {
		if fd >= 0 {
			syscall.Close(fd)
		}
	}
}

// autoLogPath is the log file of an AUTO stream: the adopted run's own,
// else a new name.
func (p *process) autoLogPath(stream string) (string, error) {
	if r := p.adopted; r != nil {
		path := r.StdoutLog
		if stream == "stderr" {
			path = r.StderrLog
		}
		if path != "" {
			return path, nil
		}
	}
	return p.rt.autoLogName(p.cfg.Name, stream)
}

// adoptRun takes the adopted OS process over, at the end of Started once
// the loggers exist: the pid goes to the reaper, the pipes to the output
// readers, the armed timers are armed again, and the state's behaviour
// takes over.
func (p *process) adoptRun(c actor.Context) {
	r := p.adopted
	if r == nil {
		return
	}
	p.adopted = nil
	behaviour := map[State]actor.ReceiveFunc{Starting: p.starting, Running: p.running, Backoff: p.backoffState,
		Stopping: p.stopping}[p.state]
	if behaviour != nil {
		p.beh.Become(behaviour)
	}
	p.gen = p.rt.generations.Add(1)
	if r.PID > 0 {
		p.adoptProcess(c, r)
	}
	for _, t := range r.Timers {
		if t.Kind >= 0 && t.Kind < int(numTimers) {
			p.after(t.Left, timerKind(t.Kind))
		}
	}
	switch p.state {
	case Starting:
		if p.cfg.Lifecycle.Ready.Kind == conf.ProbeNotify {
			p.run.ready = true // its notify socket is gone with the old program
		} else {
			p.beginChecks(c)
		}
	case Running:
		p.run.ready, p.run.startsecsUp = true, true
		p.beginHealth(c)
	}
	p.rt.log.Info(fmt.Sprintf("adopted: '%s' in state %s with pid %d", p.cfg.Name, p.state, r.PID))
}

func (p *process) adoptProcess(c actor.Context, r *handoff.Process) {
	gen, self, root := p.gen, c.Self(), c.ActorSystem().Root
	onExit := func(st child.ExitStatus) { root.Send(self, &exited{gen: gen, status: st}) }
	var proc Spawned
	if r.Exit != nil {
		// Reaped before the handover: its exit is acted on now.
		gone := func(syscall.Signal) error { return child.ErrExited }
		proc = Spawned{Pid: r.PID, Signal: gone, SignalGroup: gone}
		c.Send(self, &exited{gen: gen, status: child.FromWaitStatus(*r.Exit)})
	} else if a, ok := p.rt.spawner.(adopter); ok {
		proc = a.Adopt(r.PID, onExit)
	} else {
		gone := func(syscall.Signal) error { return child.ErrExited }
		proc = Spawned{Pid: r.PID, Signal: gone, SignalGroup: gone}
		c.Send(self, &exited{gen: gen, status: child.Killed(syscall.SIGKILL)})
	}
	if r.Stdin >= 0 {
		syscall.CloseOnExec(r.Stdin)
		proc.Stdin = os.NewFile(uintptr(r.Stdin), "|1") // non-blocking: on the netpoller
	}
	if r.Stdout >= 0 {
		proc.Stdout = outputFile(r.Stdout)
	}
	if r.Stderr >= 0 {
		proc.Stderr = outputFile(r.Stderr)
	}
	p.proc, p.pid = &proc, r.PID
	if proc.Stdout != nil {
		p.rt.readOutput(root, proc.Stdout, p.stdout, r.PID, p.gone)
	}
	if proc.Stderr != nil {
		p.rt.readOutput(root, proc.Stderr, p.stderr, r.PID, p.gone)
	}
	p.trackStreams(r.PID, proc.Stdout != nil && p.stdout != nil, proc.Stderr != nil && p.stderr != nil)
}

// outputFile makes the read end of an output pipe the file the output hub
// reads, close-on-exec. Like child.Reaper's it is made in blocking mode, so
// the hub reads its descriptor itself, and the file stays open, for the
// next handover to duplicate, until the hub has read it to the end.
func outputFile(fd int) *os.File {
	syscall.CloseOnExec(fd)
	syscall.SetNonblock(fd, false) //nolint:errcheck // the hub sets it again
	return os.NewFile(uintptr(fd), "|0")
}

// adopter is a Spawner that can take over a child started before an exec.
type adopter interface {
	Adopt(pid int, onExit func(child.ExitStatus)) Spawned
}

func (s reaperSpawner) Adopt(pid int, onExit func(child.ExitStatus)) Spawned {
	p := s.r.Adopt(pid, onExit)
	return Spawned{Pid: pid, Signal: p.Signal, SignalGroup: p.SignalGroup}
}

// AdoptedPIDs lists the pids of st's processes, for the reaper to hold
// from its first sweep on (child.NewReaper).
func AdoptedPIDs(st *handoff.State) []int {
	var out []int
	for _, p := range st.Processes {
		if p.PID > 0 && p.Exit == nil {
			out = append(out, p.PID)
		}
	}
	return out
}

// adoptSerial has the bus go on numbering events where the handed-over
// tree's stopped; the supervisor calls it right after spawning the bus,
// before anything is published.
func (s *supervisor) adoptSerial(c actor.Context) {
	if s.rt.adoptSerial > 0 {
		c.Send(s.rt.bus, &restoreSerial{s.rt.adoptSerial})
	}
}
