package actors

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/internal/child"
	"supervisord/internal/handoff"
	"supervisord/internal/logfile"
	"supervisord/internal/output"
	"supervisord/internal/probe"
	"supervisord/internal/statefile"
	"supervisord/protocol/events"
)

// Options are what the daemon's main hands the supervision tree.
type Options struct {
	Log *slog.Logger // the main log; never nil
	// ServerURL is exported to children as SUPERVISOR_SERVER_URL when a
	// program sets no serverurl of its own.
	ServerURL string
	// Spawner starts every program. Nil makes Start create a child.Reaper
	// of the tree's own children, closed once the tree is down. A process
	// that starts several trees in turn (SIGHUP) may share one
	// (ReaperSpawner); tests give a fake.
	Spawner Spawner
	// Output reads every child's stdout and stderr. Nil makes Start create
	// a hub, closed once the tree is down.
	Output *output.Hub
	// Clock is read for laststart, laststop, now, the startsecs check and
	// where TICK events fall; nil is time.Now. Timers run on the actor
	// system's scheduler (time.AfterFunc), which testing/synctest fakes.
	Clock func() time.Time
	// Handoff, when set, is the state of the daemon this one replaced by
	// an upgrade: its processes are adopted rather than started
	// (handoff.go), and the bus numbers events on from its serial. The
	// Spawner must be a ReaperSpawner whose reaper holds their pids.
	Handoff *handoff.State
	// Observers see the tree's events from the first one on, as
	// Subscribe would let them from the moment it returns: for what must
	// not miss the first starts (the metrics' timeline).
	Observers []Observer
	// Intent is the operator's lasting intent read from the state file
	// (disabled processes, remembered stops); nil is none. The tree
	// keeps its own copy.
	Intent *statefile.State
	// StateFile is where the tree writes the intent when it changes;
	// "" keeps it in memory only.
	StateFile string
}

// Observer is a watcher of the event bus the tree starts with: Fn is
// called as Subscribe calls its fn, for the events of Types.
type Observer struct {
	Types []events.Type
	Fn    func(serial int64, ev events.Event)
}

// runtime is what every actor of one tree shares. It is read-only after the
// supervisor has started (which sets supervisor and bus first of all).
type runtime struct {
	log         *slog.Logger
	spawner     Spawner
	output      *output.Hub      // nil: each pipe is read by a goroutine of its own
	now         func() time.Time // the clock (Options.Clock)
	supervisor  *actor.PID       // set by the supervisor before it spawns anything
	bus         *actor.PID       // the event bus, likewise
	serverURL   string
	childLogDir string
	identifier  string
	stripANSI   bool
	// eventHistory is how many events the bus keeps for Daemon.Events.
	eventHistory int
	// syslogNet and syslogAddr are where *_syslog output goes, "" for the
	// local syslog; tests give a socket of their own.
	syslogNet, syslogAddr string
	// generations numbers OS-process incarnations tree-wide, so that a
	// restarted actor can never mistake a stale exit or timer for its own.
	generations atomic.Uint64
	// processMiddleware wraps every process actor, and processProps are
	// more options for its props: tests inject faults with them.
	processMiddleware []actor.ReceiverMiddleware
	processProps      []actor.PropsOption
	// check runs one ready= or health= check (probe.Check); rand draws
	// backoff jitter from [0, 1). Tests replace both.
	check func(ctx context.Context, p conf.Probe, as probe.As) error
	rand  func() float64
	// listenNotify opens a NOTIFY_SOCKET (notify.Listen).
	listenNotify func(name string) (notifySocket, error)
	// adopt is what a handed-over tree left to take over (Options.Handoff).
	adopt *adoptions
	// observers are the bus's observers from the start (Options.Observers).
	observers []subscription
	// intent and stateFile are Options.Intent and Options.StateFile,
	// for the supervisor.
	intent    *statefile.State
	stateFile string
}

func (rt *runtime) autoLogName(proc, stream string) (string, error) {
	return logfile.AutoName(rt.childLogDir, proc, rt.identifier, stream)
}

// Daemon is a running supervision tree, and the typed service API in front
// of it (service.go). It keeps no state of its own: every question is a
// request to the supervisor actor, which owns what runs.
//
// Only the supervisor is ever addressed from outside, and only once Start
// has seen it answer. protoactor registers a name a moment before the
// actor's mailbox can take messages, and a message sent by name in between
// breaks that mailbox; so no PID is ever made from a name here, and inside
// the tree an actor is addressed only through the PID its spawn returned.
type Daemon struct {
	rt   *runtime
	sys  *actor.ActorSystem
	root *actor.PID // the supervisor
	done chan struct{}
	exit *Exit // set by the supervisor before the tree is down (exit.go)
}

// Start spawns the supervision tree for cfg and starts the autostart programs
// in priority order. It returns once the tree is up, not when programs run.
func Start(cfg *conf.Config, opts Options) (*Daemon, error) {
	return start(cfg, opts, nil)
}

func start(cfg *conf.Config, opts Options, processMiddleware []actor.ReceiverMiddleware, processProps ...actor.PropsOption) (*Daemon, error) {
	rt := &runtime{
		processMiddleware: processMiddleware,
		processProps:      processProps,
		log:               opts.Log,
		spawner:           opts.Spawner,
		output:            opts.Output,
		now:               opts.Clock,
		serverURL:         opts.ServerURL,
		childLogDir:       cfg.Supervisord.ChildLogDir,
		identifier:        cfg.Supervisord.Identifier,
		stripANSI:         cfg.Supervisord.StripANSI,
		eventHistory:      cfg.Supervisord.EventHistory,
		intent:            opts.Intent,
		stateFile:         opts.StateFile,
	}
	if rt.now == nil {
		rt.now = time.Now
	}
	if rt.eventHistory <= 0 { // a config made in code rather than loaded
		rt.eventHistory = conf.DefaultEventHistory
	}
	if h := opts.Handoff; h != nil {
		rt.adopt = newAdoptions(h)
	}
	rt.rand, rt.listenNotify = rand.Float64, listenNotify
	var owned []func() // what the tree made for itself, closed once it is down
	closeOwned := func() {
		for _, close := range owned {
			close()
		}
	}
	if rt.output == nil {
		// Without a hub (the netpoller cannot wait on epoll) each pipe gets
		// a reader goroutine.
		if h, err := output.New(); err == nil {
			rt.output = h
			owned = append(owned, h.Close)
		}
	}
	if rt.spawner == nil {
		r := child.NewReaper(opts.Log, child.ReapOwn)
		rt.spawner = ReaperSpawner(r)
		owned = append(owned, r.Close)
	}
	// exec: checks are children too: the reaper must know them, or a
	// reaper of every child would take their exit from os/exec.
	rt.check = probe.Check
	if rs, ok := rt.spawner.(reaperSpawner); ok {
		rt.check = probe.Checker{Reaper: rs.r}.Check
	}
	// The library's own chatter goes to the main log, quietened to warnings.
	lib := slog.New(atLeast{opts.Log.Handler(), slog.LevelWarn}).With("component", "protoactor")
	sys := actor.NewActorSystem(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return lib }),
		actor.WithDeadLetterRequestLogging(false),
	)
	for _, o := range opts.Observers {
		pid := sys.Root.Spawn(observerProps(o.Fn))
		rt.observers = append(rt.observers, subscription{pool: pid, types: slices.Clone(o.Types)})
		owned = append(owned, func() { sys.Root.Stop(pid) })
	}
	d := &Daemon{rt: rt, sys: sys, done: make(chan struct{})}
	treeDone := make(chan struct{})
	props := actor.PropsFromProducer(func() actor.Actor { return newSupervisor(cfg, rt, treeDone, &d.exit) },
		actor.WithGuardian(actor.NewOneForOneStrategy(0, time.Second, actor.DefaultDecider)),
		actor.WithReceiverMiddleware(panicStacks(opts.Log)))
	pid, err := sys.Root.SpawnNamed(props, "supervisor")
	if err != nil {
		closeOwned()
		return nil, fmt.Errorf("supervisor: cannot start the supervision tree: %w", err)
	}
	d.root = pid
	go func() {
		<-treeDone
		closeOwned()
		sys.Shutdown()
		close(d.done)
	}()
	// Every group, process and the bus exist before anyone may ask them.
	// This first request is the one that may reach the supervisor early:
	// it is sent by the goroutine that spawned it, after SpawnNamed
	// returned, when the mailbox is ready.
	if _, err := d.ask(context.Background(), &ping{}, waitTimeout); err != nil {
		if _, ok := d.Exit(); ok {
			return d, nil // it ran, and ended by itself already (an essential program)
		}
		return nil, fmt.Errorf("supervisor: the supervision tree did not start: %w", err)
	}
	return d, nil
}

// Shutdown begins the stop sequence (the config watcher first, then every
// process in reverse priority order) and returns at once; Done is closed
// when it has finished.
func (d *Daemon) Shutdown() { d.tell(&shutdown{}) }

// Done is closed once every process has stopped and the tree is down.
func (d *Daemon) Done() <-chan struct{} { return d.done }

// ReopenLogs closes and reopens every child log file (SIGUSR2).
func (d *Daemon) ReopenLogs() { d.tell(&reopenLogs{}) }

// askTimeout bounds a request that an actor answers at once.
const askTimeout = 10 * time.Second

// waitTimeout bounds a wait for a state; a start or stop always ends (in
// RUNNING, a failure, or SIGKILL), so this is only a backstop.
const waitTimeout = 24 * time.Hour

// ask sends msg to the supervisor and waits for the answer, for ctx or
// timeout, whichever ends first. A *Result answer is returned with its
// error.
func (d *Daemon) ask(ctx context.Context, msg message, timeout time.Duration) (any, error) {
	box := &replyBox{answer: make(chan any, 1)}
	pid, _ := d.sys.ProcessRegistry.Add(box, "ask"+d.sys.ProcessRegistry.NextId()) // ids are unique
	defer d.sys.ProcessRegistry.Remove(pid)
	d.sys.Root.RequestWithCustomSender(d.root, msg, pid)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case v := <-box.answer:
		switch v := v.(type) {
		case *actor.DeadLetterResponse:
			return nil, d.downOr(errorf(Failed, "the supervisor did not answer: %v", actor.ErrDeadLetter))
		case *Result:
			return v, v.Err
		}
		return v, nil
	case <-timer.C:
		return nil, d.downOr(errorf(Failed, "the supervisor did not answer: %v", actor.ErrTimeout))
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-d.done: // nothing answers any more
		return nil, ErrShuttingDown
	}
}

// replyBox is where the answer to one ask lands: a process of the actor
// system's registry, as a Future is, that the asker can simply drop when
// it stops waiting (a Future is completed by whatever reaches it, without
// a lock, so completing an abandoned one races with its answer).
type replyBox struct {
	answer chan any // room for one
	once   sync.Once
}

func (b *replyBox) SendUserMessage(_ *actor.PID, m any) {
	_, msg, _ := actor.UnwrapEnvelope(m)
	b.once.Do(func() { b.answer <- msg })
}

func (b *replyBox) SendSystemMessage(pid *actor.PID, m any) { b.SendUserMessage(pid, m) }

func (b *replyBox) Stop(*actor.PID) {}

// tell sends msg to the supervisor, wanting no answer.
func (d *Daemon) tell(msg message) { d.sys.Root.Send(d.root, msg) }

// downOr is ErrShuttingDown once the tree is down (nothing answers then),
// else err.
func (d *Daemon) downOr(err error) error {
	select {
	case <-d.done:
		return ErrShuttingDown
	default:
		return err
	}
}

// awaitAll runs then on the actor once every future (nil ones aside) has
// completed, whatever its outcome.
func awaitAll(c actor.Context, fs []*actor.Future, then func()) {
	left := 0
	for _, f := range fs {
		if f != nil {
			left++
		}
	}
	if left == 0 {
		then()
		return
	}
	for _, f := range fs {
		if f == nil {
			continue
		}
		c.ReenterAfter(f, func(any, error) {
			if left--; left == 0 {
				then()
			}
		})
	}
}

// atLeast passes on records from min up, so the actor library's start-up
// chatter stays out of a main log that otherwise reads like the reference's.
type atLeast struct {
	slog.Handler
	min slog.Level
}

func (h atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h atLeast) WithAttrs(as []slog.Attr) slog.Handler {
	return atLeast{h.Handler.WithAttrs(as), h.min}
}

func (h atLeast) WithGroup(name string) slog.Handler {
	return atLeast{h.Handler.WithGroup(name), h.min}
}
