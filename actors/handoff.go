package actors

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/internal/child"
	"supervisord/internal/fsutil"
	"supervisord/internal/handoff"
	"supervisord/internal/output"
	"supervisord/protocol/events"
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
// Eventlisteners are handed over whole: the bus holds what is published
// from the freeze on (the next program publishes it), each pool hands over
// its buffer and the events its listeners were sent and have not
// answered, and each listener process its protocol state, the output it
// has not acted on and the rest of an envelope still to be written to it.
//
// fcgi-program groups hand over their sockets, which adopted instances hold.
//
// Not handed over: a capture-mode logger's partial capture, and ready=notify
// sockets (an adopted STARTING process that waits for one is taken as
// ready).

// handover is a process actor's part of it.
type handover struct {
	frozen bool
	queued []any // messages held while frozen, in arrival order
	// The daemon's pipe ends, duplicated at the freeze (close-on-exec
	// until the caller clears it); -1 when there is none.
	stdin, stdout, stderr int
	// listener is an eventlistener's protocol, and stdinQueued what was
	// still to be written to the child, taken at the snapshot.
	listener    *handoff.EventListener
	stdinQueued []byte
}

type (
	freezeProcess   struct{}
	snapshotProcess struct{}
	// thawProcess ends a freeze; reread says the output hub was closed,
	// so the process's pipes need readers again.
	thawProcess   struct{ reread bool }
	processRecord struct{ rec *handoff.Process }
	flushLog      struct{}
	// pipesStopped is the snapshot's own message once a listener's stdout
	// reader has stopped (stdout is the pipe, nil when it had ended), the
	// writing to stdin too, and the protocol actor said where it is.
	pipesStopped struct {
		replyTo *actor.PID
		stdout  *os.File
		state   *listenerRecord
	}
	snapshotListener struct{}
	listenerRecord   struct {
		rec    *handoff.EventListener
		queued []byte
	}
	// The bus: freezeBus holds every event published from then on,
	// takeBus answers with the next serial and the events held.
	freezeBus struct{}
	takeBus   struct{}
	busRecord struct {
		serial int64
		held   []handoff.Event
	}
	thawBus  struct{}
	adoptBus struct {
		serial int64
		held   []handoff.Event
	}
	// dupSocket asks an fcgi-program group for its socket (*socketRecord).
	dupSocket    struct{}
	socketRecord struct{ fd int }
	freezePool   struct{}
	snapPool     struct{}
	poolRecord   struct{ rec handoff.Pool }
	thawPool     struct{}
	// listenerAdopted tells a pool that an adopted listener process has
	// its protocol actor again, READY or not.
	listenerAdopted struct {
		name  string
		proto *actor.PID
		ready bool
	}
)

func (*freezeProcess) isMessage()    {}
func (*snapshotProcess) isMessage()  {}
func (*thawProcess) isMessage()      {}
func (*processRecord) isMessage()    {}
func (*flushLog) isMessage()         {}
func (*pipesStopped) isMessage()     {}
func (*snapshotListener) isMessage() {}
func (*listenerRecord) isMessage()   {}
func (*freezeBus) isMessage()        {}
func (*takeBus) isMessage()          {}
func (*busRecord) isMessage()        {}
func (*thawBus) isMessage()          {}
func (*adoptBus) isMessage()         {}
func (*freezePool) isMessage()       {}
func (*dupSocket) isMessage()        {}
func (*socketRecord) isMessage()     {}
func (*snapPool) isMessage()         {}
func (*poolRecord) isMessage()       {}
func (*thawPool) isMessage()         {}
func (*listenerAdopted) isMessage()  {}

// ErrNoHandover is Freeze's error when the tree cannot be handed over.
var ErrNoHandover = errors.New("supervisor: cannot hand the processes over")

// Frozen is a tree stopped for a handover.
type Frozen struct {
	Processes   []handoff.Process
	Pools       []handoff.Pool
	Serial      int64           // the bus's next event serial
	Unpublished []handoff.Event // published since the freeze
	FCGISockets []handoff.FCGISocket
	hubClosed   bool // the output hub stopped reading: Thaw starts another
	procs       []*conf.Process
	pools       []string
	resume      func()
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
	groups, err := d.Groups(ctx)
	if err != nil {
		return nil, err
	}
	f := &Frozen{resume: func() {}}
	// What is published from now on is held, unnumbered: the pools'
	// buffers stop growing, and their state is whole once they have read
	// their mailboxes.
	if _, err := d.ask(ctx, &toBus{msg: &freezeBus{}}, askTimeout); err != nil {
		return nil, fmt.Errorf("%w: the event bus: %v", ErrNoHandover, err)
	}
	for _, g := range groups {
		if g.Kind == conf.KindFCGIProgram {
			v, err := d.ask(ctx, &toGroup{name: g.Name, msg: &dupSocket{}}, askTimeout)
			if err != nil {
				d.Thaw(ctx, f)
				return nil, fmt.Errorf("%w: %s: %v", ErrNoHandover, g.Name, err)
			}
			if fd := v.(*socketRecord).fd; fd >= 0 {
				f.FCGISockets = append(f.FCGISockets, handoff.FCGISocket{Group: g.Name, FD: fd})
			}
		}
		if g.Kind != conf.KindEventListener {
			continue
		}
		if _, err := d.ask(ctx, &toGroup{name: g.Name, msg: &freezePool{}}, askTimeout); err != nil {
			d.Thaw(ctx, f)
			return nil, fmt.Errorf("%w: %s: %v", ErrNoHandover, g.Name, err)
		}
		f.pools = append(f.pools, g.Name)
	}
	for _, p := range ps {
		if _, err := d.askProcess(ctx, p.Group, p.Name, &freezeProcess{}, askTimeout); err != nil {
			d.Thaw(ctx, f)
			return nil, fmt.Errorf("%w: %s: %v", ErrNoHandover, p.Name, err)
		}
		f.procs = append(f.procs, p)
	}
	f.resume = resume
	pause()
	// Every read made is on its way to a logger once the hub is closed;
	// what is not read stays in the pipes.
	d.rt.output.Close()
	f.hubClosed = true
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
	// Every listener has had its say: what it answered is in its pool's
	// mailbox.
	for _, name := range f.pools {
		v, err := d.ask(ctx, &toGroup{name: name, msg: &snapPool{}}, askTimeout)
		if err != nil {
			d.Thaw(ctx, f)
			return nil, fmt.Errorf("%w: %s: %v", ErrNoHandover, name, err)
		}
		f.Pools = append(f.Pools, v.(*poolRecord).rec)
	}
	v, err := d.ask(ctx, &toBus{msg: &takeBus{}}, askTimeout)
	if err != nil {
		d.Thaw(ctx, f)
		return nil, fmt.Errorf("%w: the event bus: %v", ErrNoHandover, err)
	}
	f.Serial, f.Unpublished = v.(*busRecord).serial, v.(*busRecord).held
	return f, nil
}

// Thaw undoes Freeze, or as much of it as was done: output is read again
// (by a new hub), children are reaped again, and every process acts on
// what it held meanwhile. The descriptors of f's records are closed.
func (d *Daemon) Thaw(ctx context.Context, f *Frozen) {
	if f.hubClosed { // else frozen no further than the processes: the hub reads on
		if h, err := output.New(); err == nil {
			// Safe: every actor that reads it is frozen, and reads it
			// again only after the thaw message below.
			d.rt.output = h
			go func() { <-d.done; h.Close() }()
		} else {
			d.rt.output = nil // each pipe gets a reader goroutine
		}
	}
	f.resume()
	for _, s := range f.FCGISockets {
		closeFds(s.FD)
	}
	for _, p := range f.procs {
		d.askProcess(ctx, p.Group, p.Name, &thawProcess{reread: f.hubClosed}, askTimeout) //nolint:errcheck // gone is thawed
	}
	for _, name := range f.pools {
		d.ask(ctx, &toGroup{name: name, msg: &thawPool{}}, askTimeout) //nolint:errcheck // likewise
	}
	d.ask(ctx, &toBus{msg: &thawBus{}}, askTimeout) //nolint:errcheck // likewise
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
	case *pipesStopped:
		p.pipesStopped(c, m)
		return true
	case *thawProcess:
		p.thaw(c, m.reread)
		c.Respond(&Result{})
		return true
	case *exited, *timerFired, *probeDone, *notified, *logMatched, *depsMet, *depsWaiting:
		if p.ho != nil && p.ho.frozen {
			p.ho.queued = append(p.ho.queued, m)
			return true
		}
	}
	return false
}

func (p *process) freeze() {
	p.ho = newHandover()
	p.ho.frozen = true
	if p.proc == nil {
		return
	}
	p.ho.stdin, p.ho.stderr = dupOf(p.proc.Stdin), dupOf(p.proc.Stderr)
	if p.reader == nil { // a listener's is taken from its reader at the snapshot
		p.ho.stdout = dupOf(p.proc.Stdout)
	}
}

// newHandover is a process's part of an upgrade with no descriptors yet.
func newHandover() *handover { return &handover{stdin: -1, stdout: -1, stderr: -1} }

// handover is the process's part of the upgrade under way: made at the
// freeze, or, for a snapshot taken without one, now.
func (p *process) handover() *handover {
	if p.ho == nil {
		p.ho = newHandover()
	}
	return p.ho
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
// written every chunk sent to them before. Writing to stdin stops first,
// and a listener's stdout reader, and its protocol actor is asked for its
// state once it has acted on every read (pipesStopped).
func (p *process) snapshot(c actor.Context) {
	replyTo := c.Sender()
	if p.reader == nil && p.stdin == nil {
		p.flushAndAnswer(c, replyTo)
		return
	}
	reader, stdin, listener, self, root := p.reader, p.stdin, p.listener, c.Self(), c.ActorSystem().Root
	p.reader = nil
	go func() {
		m := &pipesStopped{replyTo: replyTo}
		if reader != nil {
			m.stdout = reader.Stop()
		}
		if stdin != nil {
			stdin.freeze() // waits for no more than a cut-short write
		}
		if listener != nil {
			if v, err := root.RequestFuture(listener, &snapshotListener{}, askTimeout).Result(); err == nil {
				m.state = v.(*listenerRecord)
			}
		}
		root.Send(self, m)
	}()
}

func (p *process) pipesStopped(c actor.Context, m *pipesStopped) {
	ho := p.handover()
	if m.stdout != nil {
		ho.stdout = dupOf(m.stdout)
		m.stdout.Close()
	}
	if m.state != nil {
		// The listener's envelopes were queued after the freeze.
		ho.listener, ho.stdinQueued = m.state.rec, m.state.queued
	} else if p.stdin != nil {
		ho.stdinQueued = p.stdin.pending()
	}
	p.flushAndAnswer(c, m.replyTo)
}

func (p *process) flushAndAnswer(c actor.Context, replyTo *actor.PID) {
	var fs []*actor.Future
	for _, l := range []*actor.PID{p.stdout, p.stderr} {
		if l != nil {
			fs = append(fs, c.RequestFuture(l, &flushLog{}, askTimeout))
		}
	}
	awaitAll(c, fs, func() { c.Send(replyTo, &processRecord{p.record()}) })
}

func (p *process) record() *handoff.Process {
	ho := p.handover()
	r := &handoff.Process{Group: p.cfg.Group, Name: p.cfg.Name, State: int(p.state),
		Backoff: p.backoff, SpawnErr: p.spawnErr, ExitCode: p.exitCode, Killing: p.killing,
		Stdin: ho.stdin, Stdout: ho.stdout, Stderr: ho.stderr,
		StdoutLog: p.stdoutPath, StderrLog: p.stderrPath}
	if !p.start.IsZero() {
		r.Start = p.start.UnixNano()
	}
	if !p.stop.IsZero() {
		r.Stop = p.stop.UnixNano()
	}
	if p.proc != nil {
		r.PID = p.proc.Pid
		r.EventListener, r.StdinQueued = ho.listener, ho.stdinQueued
	} else {
		r.Stdin, r.Stdout, r.Stderr = -1, -1, -1
	}
	now := p.rt.now().UnixNano()
	for k, cancel := range p.cancels {
		if cancel != nil && p.deadlines[k] > now {
			r.Timers = append(r.Timers, handoff.Timer{Kind: k, Left: time.Duration(p.deadlines[k] - now)})
		}
	}
	for _, m := range ho.queued {
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

func (p *process) thaw(c actor.Context, reread bool) {
	if p.ho == nil || !p.ho.frozen {
		return
	}
	// Where the hub that read the pipes was closed (reread), and closed
	// them, and where a listener's stdout reader was stopped (at the
	// snapshot), the duplicates are read now, as an adopted run's are;
	// else the readers read on and the duplicates are closed.
	stdout, stderr := p.ho.stdout, p.ho.stderr
	if p.proc != nil {
		root := c.ActorSystem().Root
		switch {
		case stdout < 0:
		case p.listener != nil:
			if p.reader != nil {
				break // never stopped
			}
			p.proc.Stdout = outputFile(stdout)
			p.reader = readProtocol(root, p.proc.Stdout, p.listener, p.proc.Pid, p.gone)
			stdout = -1
		case p.pool == nil && reread:
			p.proc.Stdout = outputFile(stdout)
			p.rt.readOutput(root, p.proc.Stdout, p.stdout, p.proc.Pid, p.gone)
			stdout = -1
		}
		if p.stdin != nil {
			p.stdin.thaw()
		}
		if stderr >= 0 && reread {
			p.proc.Stderr = outputFile(stderr)
			p.rt.readOutput(root, p.proc.Stderr, p.stderr, p.proc.Pid, p.gone)
			stderr = -1
		}
	}
	closeFds(p.ho.stdin, stdout, stderr)
	for _, m := range p.ho.queued {
		c.Send(c.Self(), m)
	}
	p.ho = nil
}

// adoptions are the records of a handed-over tree not yet taken by their
// process and pool actors, by group and name, and what its bus handed
// over.
type adoptions struct {
	mu    sync.Mutex
	recs  map[conf.ProcessRef]*handoff.Process
	pools map[string]*handoff.Pool
	// sockets are the fcgi-program groups' sockets, by group.
	sockets map[string]int
	// serial is the bus's next serial, unpublished what it held.
	serial      int64
	unpublished []handoff.Event
}

func newAdoptions(st *handoff.State) *adoptions {
	a := &adoptions{recs: make(map[conf.ProcessRef]*handoff.Process, len(st.Processes)),
		pools: make(map[string]*handoff.Pool, len(st.Pools)), sockets: make(map[string]int, len(st.FCGISockets)),
		serial: st.Serial, unpublished: st.Unpublished}
	for _, s := range st.FCGISockets {
		a.sockets[s.Group] = s.FD
	}
	for i := range st.Processes {
		r := &st.Processes[i]
		a.recs[conf.ProcessRef{Group: r.Group, Name: r.Name}] = r
	}
	for i := range st.Pools {
		a.pools[st.Pools[i].Group] = &st.Pools[i]
	}
	return a
}

// takeSocket hands an fcgi-program group's socket out once; nil when
// there is none.
func (a *adoptions) takeSocket(group string) *os.File {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	fd, ok := a.sockets[group]
	delete(a.sockets, group)
	if !ok {
		return nil
	}
	syscall.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), "fcgi socket")
}

// takePool hands a pool's record out once, with the names of its
// listeners that will take their records over (a running listener with
// its protocol state): the events those were sent wait for them.
func (a *adoptions) takePool(name string) (*handoff.Pool, map[string]bool) {
	if a == nil {
		return nil, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.pools[name]
	delete(a.pools, name)
	if r == nil {
		return nil, nil
	}
	waiting := map[string]bool{}
	for proc := range r.Sent {
		if pr := a.recs[conf.ProcessRef{Group: name, Name: proc}]; pr != nil && pr.EventListener != nil && pr.Exit == nil {
			waiting[proc] = true
		}
	}
	return r, waiting
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
	for group, fd := range a.sockets { // groups gone from the config
		closeFds(fd)
		delete(a.sockets, group)
	}
	return out
}

// takeAdopted takes the process's record, if it has one, before anything
// else happens in Started: its state and log paths.
func (p *process) takeAdopted() {
	r := p.rt.adopt.take(p.ref())
	if r == nil {
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
	if p.pool != nil {
		c.Send(p.pool, &listenerRunning{name: p.cfg.Name, running: p.state == Running})
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
	if r.Exit == nil {
		// It holds its group's socket, adopted by the group (groupSocket).
		p.takeSocket() //nolint:errcheck // without one the next spawn binds it
	}
	if p.pool != nil {
		p.adoptListener(c, r)
	} else if proc.Stdout != nil {
		p.rt.readOutput(root, proc.Stdout, p.stdout, r.PID, p.gone)
	}
	if proc.Stderr != nil {
		p.rt.readOutput(root, proc.Stderr, p.stderr, r.PID, p.gone)
	}
	if len(r.StdinQueued) > 0 {
		if p.stdin == nil {
			p.stdin = newStdinWriter(proc.Stdin)
		}
		p.stdin.write(r.StdinQueued) //nolint:errcheck // a closed stdin is the child's business, as with any write
	}
	p.trackStreams(r.PID, proc.Stdout != nil && p.stdout != nil && p.pool == nil, proc.Stderr != nil && p.stderr != nil)
}

// adoptListener starts an adopted listener's protocol where the handed-over
// one was, and tells the pool, which gives it back the event it was sent.
func (p *process) adoptListener(c actor.Context, r *handoff.Process) {
	out := events.NewListenerOutput()
	if r.EventListener != nil {
		if o, err := events.RestoreListenerOutput(r.EventListener.Protocol); err == nil { // handoff.Decode checked it
			out = o
		}
	}
	ready := out.State() == events.ListenerReady
	p.startListener(c, out)
	c.Send(p.pool, &listenerAdopted{name: p.cfg.Name, proto: p.listener, ready: ready})
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

// adoptBus has the bus go on numbering events where the handed-over tree's
// stopped, and publish first what was published while that tree was
// frozen; the supervisor calls it right after spawning the bus, before
// anything is published. It reports whether the tree adopts one.
func (s *supervisor) adoptBus(c actor.Context) bool {
	a := s.rt.adopt
	if a == nil {
		return false
	}
	c.Send(s.rt.bus, &adoptBus{serial: a.serial, held: a.unpublished})
	return true
}

// adoptedEvent is a handed-over event as its type's struct, for observers
// that read them, when it renders back to the same bytes; else as it was
// rendered.
func adoptedEvent(e handoff.Event) events.Event {
	if ev, err := events.ParsePayload(e.Type, string(e.Payload)); err == nil && ev.Payload() == string(e.Payload) {
		return ev
	}
	return e.Event()
}

// record is the pool's part of a handover: its buffer, and the events its
// listeners hold.
func (p *pool) record() handoff.Pool {
	r := handoff.Pool{Group: p.cfg.Name, Serial: p.poolSerial}
	for _, ev := range p.buffer {
		r.Buffer = append(r.Buffer, handoff.NewEvent(ev.serial, ev.poolSerial, ev.ev))
	}
	sent := func(name string, ev *queuedEvent) {
		if r.Sent == nil {
			r.Sent = map[string]handoff.Event{}
		}
		r.Sent[name] = handoff.NewEvent(ev.serial, ev.poolSerial, ev.ev)
	}
	for _, d := range p.sent {
		sent(d.name, d.ev)
	}
	for name, ev := range p.adopted {
		sent(name, ev)
	}
	return r
}

// adopt takes the pool's handed-over record, in Started: the buffer, and
// the events sent to listeners, which wait for those listeners' protocol
// actors (listenerAdopted) or, for a listener that will not be adopted, go
// back to the buffer, oldest first.
func (p *pool) adopt() {
	r, waiting := p.rt.adopt.takePool(p.cfg.Name)
	if r == nil {
		return
	}
	queued := func(e handoff.Event) *queuedEvent {
		return &queuedEvent{serial: e.Serial, poolSerial: e.PoolSerial, ev: e.Event()}
	}
	p.poolSerial = r.Serial
	for _, e := range r.Buffer {
		p.buffer = append(p.buffer, queued(e))
	}
	var back []*queuedEvent
	for name, e := range r.Sent {
		if waiting[name] && slices.ContainsFunc(p.cfg.Processes, func(pc *conf.Process) bool { return pc.Name == name }) {
			p.adopted[name] = queued(e)
		} else {
			back = append(back, queued(e))
		}
	}
	slices.SortFunc(back, func(a, b *queuedEvent) int { return cmp.Compare(a.serial, b.serial) })
	p.buffer = append(back, p.buffer...)
}
