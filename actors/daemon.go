package actors

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/internal/child"
	"supervisord/internal/logfile"
	"supervisord/internal/output"
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
}

// runtime is what every actor of one tree shares. It is read-only after Start.
type runtime struct {
	// spawning orders spawns of actors addressed by name against sends by
	// name from outside the tree (ready.go).
	spawning    sync.RWMutex
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
	// generations numbers OS-process incarnations tree-wide, so that a
	// restarted actor can never mistake a stale exit or timer for its own.
	generations atomic.Uint64
	// processMiddleware wraps every process actor; tests inject faults with it.
	processMiddleware []actor.ReceiverMiddleware
}

func (rt *runtime) autoLogName(proc, stream string) (string, error) {
	return logfile.AutoName(rt.childLogDir, proc, rt.identifier, stream)
}

// Daemon is a running supervision tree.
type Daemon struct {
	rt   *runtime
	sys  *actor.ActorSystem
	root *actor.PID
	done chan struct{}

	mu      sync.RWMutex
	groups  []*conf.Group // the groups the tree runs; replaced, never mutated
	config  *conf.Config  // the config last read (reload.go)
	watcher *actor.PID    // the config watcher, if Watch started one
	reload  ReloadStatus
}

// Start spawns the supervision tree for cfg and starts the autostart programs
// in priority order. It returns once the tree is up, not when programs run.
func Start(cfg *conf.Config, opts Options) (*Daemon, error) {
	return start(cfg, opts, nil)
}

func start(cfg *conf.Config, opts Options, processMiddleware []actor.ReceiverMiddleware) (*Daemon, error) {
	rt := &runtime{
		processMiddleware: processMiddleware,
		log:               opts.Log,
		spawner:           opts.Spawner,
		output:            opts.Output,
		now:               opts.Clock,
		serverURL:         opts.ServerURL,
		childLogDir:       cfg.Supervisord.ChildLogDir,
		identifier:        cfg.Supervisord.Identifier,
		stripANSI:         cfg.Supervisord.StripANSI,
	}
	if rt.now == nil {
		rt.now = time.Now
	}
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
	// The library's own chatter goes to the main log, quietened to warnings.
	lib := slog.New(atLeast{opts.Log.Handler(), slog.LevelWarn}).With("component", "protoactor")
	sys := actor.NewActorSystem(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return lib }),
		actor.WithDeadLetterRequestLogging(false),
	)
	d := &Daemon{rt: rt, sys: sys, groups: cfg.Groups, config: cfg, done: make(chan struct{})}
	treeDone := make(chan struct{})
	props := actor.PropsFromProducer(func() actor.Actor { return newSupervisor(cfg, rt, treeDone) },
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
	if _, err := d.ask(context.Background(), pid, &ping{}, waitTimeout); err != nil {
		return nil, fmt.Errorf("supervisor: the supervision tree did not start: %w", err)
	}
	return d, nil
}

// Shutdown begins the stop sequence (every process, reverse priority order) and
// returns at once; Done is closed when it has finished.
func (d *Daemon) Shutdown() {
	d.mu.RLock()
	w := d.watcher
	d.mu.RUnlock()
	if w != nil {
		d.sys.Root.Stop(w) // no update may start on a tree going down
	}
	d.tell(d.root, &shutdown{})
}

// Done is closed once every process has stopped and the tree is down.
func (d *Daemon) Done() <-chan struct{} { return d.done }

// ReopenLogs closes and reopens every child log file (SIGUSR2).
func (d *Daemon) ReopenLogs() { d.tell(d.root, &reopenLogs{}) }

// ProcessInfo returns a snapshot of every process in group priority order,
// asking all of them at once.
// A process whose actor does not answer within timeout is reported UNKNOWN.
func (d *Daemon) ProcessInfo(timeout time.Duration) []ProcessInfo {
	type ask struct {
		pc *conf.Process
		f  *actor.Future
	}
	var asks []ask
	for _, g := range d.Groups() {
		for _, pc := range g.Processes {
			pid := d.sys.NewLocalPID(d.root.Id + "/" + g.Name + "/" + pc.Name)
			asks = append(asks, ask{pc, d.request(pid, &getInfo{}, timeout)})
		}
	}
	out := make([]ProcessInfo, 0, len(asks))
	for _, a := range asks {
		res, err := a.f.Result()
		if in, ok := res.(*ProcessInfo); ok && err == nil {
			out = append(out, *in)
			continue
		}
		out = append(out, ProcessInfo{Name: a.pc.Name, Group: a.pc.Group, State: Unknown, Now: d.rt.now()})
	}
	return out
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
