package actors

import (
	"regexp"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/internal/child"
	"supervisord/protocol/events"
)

// message is the closed set of messages our actors exchange; the marker keeps
// stray types out of a Receive's switch.
type message interface{ isMessage() }

// Requests a process actor answers. Replies are *Result unless noted.
type (
	// startProcess asks a process to start (supervisorctl start).
	startProcess struct{}
	// stopProcess asks a process to stop (supervisorctl stop). by is the
	// operator of a stop asked by hand: a process that takes it tells the
	// supervisor (*stopTaken), which remembers the stop; nil for the
	// daemon's own stops.
	stopProcess struct{ by *Operator }
	// autostart starts a never-started process whose autostart is set, and
	// is answered with *autostarted once the spawn has been tried, so a
	// group can start its processes strictly one after another.
	autostart   struct{}
	autostarted struct{}
	// getInfo asks for a ProcessInfo snapshot.
	getInfo struct{}
	// awaitStarted is answered once a just-started process is RUNNING
	// (nil), or has failed to get there (ErrSpawn, ErrAbnormal).
	awaitStarted struct{}
	// awaitStopped is answered once the process is in a stopped state.
	awaitStopped struct{}
	// signalProcess sends a signal to the OS process.
	signalProcess struct{ sig syscall.Signal }
	// writeStdin queues bytes for the child's stdin.
	writeStdin struct{ data []byte }
	// clearLog empties a logger's file (and its backups).
	clearLog struct{}
	// reopenLogs asks a process (and its loggers) to reopen log files.
	reopenLogs struct{}
	// rotateLogs rotates a process's log files now, as reaching maxbytes
	// would (the rotate command).
	rotateLogs struct{}
	// shutdownBegun tells a process the daemon is going down: no more
	// automatic starts or restarts, and BACKOFF gives up (the reference's
	// stop_all during shutdown).
	shutdownBegun struct{}
	// startWhenMet starts a process once its depends_on conditions hold
	// (at once for a process without any): answered with *Result as soon
	// as the start is accepted, before the spawn; an awaitStarted sent
	// after it waits for the spawn and RUNNING.
	startWhenMet struct{}
)

// Dependency messages between a process and the supervisor (deps.go).
type (
	// awaitDeps asks the supervisor to tell the sending process, with
	// *depsMet, once every depends_on condition of ref holds, and with
	// *depsWaiting each time what it waits for changes. token tells a
	// later request's answers from an earlier one's.
	awaitDeps struct {
		ref   conf.ProcessRef
		token uint64
	}
	depsMet struct{ token uint64 }
	// depsWaiting says what a process still waits for ("db to be
	// healthy"); blocked is set when a dependency cannot get there on its
	// own (FATAL, or stopped for good), which fails a start being waited
	// for while the process keeps waiting.
	depsWaiting struct {
		token   uint64
		what    string
		blocked bool
	}
	// cancelDeps withdraws a process's awaitDeps.
	cancelDeps struct{ ref conf.ProcessRef }
	// startTarget starts a process: one without depends_on at once (the
	// process answers, as for startProcess); for one with, the supervisor
	// answers with *planned: the processes to start first, in order (its
	// dependencies, transitively, that do not meet their condition now).
	startTarget struct{ ref conf.ProcessRef }
	// stopPlan is answered with *planned: the running processes that depend
	// on refs (transitively) and must stop first, in levels (levels[0]
	// first); refs themselves are not included.
	stopPlan struct{ refs []conf.ProcessRef }
	// planned answers both.
	planned struct{ levels [][]*conf.Process }
)

// Readiness and health results, from the goroutines that check them and the
// notify socket's reader (lifecycle.go).
type (
	// probeDone is one finished ready= or health= check.
	probeDone struct {
		gen    uint64
		health bool // a health check; else a readiness check
		err    error
	}
	// notified is one sd_notify datagram, as read by the notify socket's
	// goroutine: from pid, owner when that is the program or one of its
	// own processes.
	notified struct {
		gen   uint64
		pid   int
		owner bool
		msg   notifyMsg
	}
	// logMatched is a logger's report that a line matched ready=log:REGEX.
	logMatched struct{ gen uint64 }
	// watchLog asks a logger to report the first line matching re with
	// *logMatched{gen} to its parent; nil re stops watching.
	watchLog struct {
		gen uint64
		re  *regexp.Regexp
	}
	// healthChanged goes from a process to the supervisor when its health
	// changes, for depends_on=NAME:healthy.
	healthChanged struct {
		ref     conf.ProcessRef
		healthy bool
	}
)

// Internal process messages. Each carries the generation of the OS process it
// is about, so a late one from an earlier incarnation is recognised and dropped.
type (
	// exited reports the reaped status of the OS process of generation gen.
	exited struct {
		gen    uint64
		status child.ExitStatus
	}
	// timerFired is a startsecs, backoff or stopwaitsecs timer going off.
	timerFired struct {
		gen  uint64
		kind timerKind
		seq  uint32 // the process's count of timers armed, at this one
	}
)

type timerKind int

const (
	startsecsTimer    timerKind = iota // STARTING → RUNNING
	backoffTimer                       // BACKOFF → STARTING
	stopwaitTimer                      // STOPPING: escalate to SIGKILL
	readyTimer                         // STARTING: the next readiness check
	readyTimeoutTimer                  // STARTING: ready_timeout passed
	readyKillTimer                     // STARTING, not ready: escalate to SIGKILL
	healthTimer                        // RUNNING: the next health check
	watchdogTimer                      // RUNNING: a watchdog_sec period ended
	drainTimer                         // any state: stop waiting for output to end
	numTimers
)

// stateChanged goes from a process to the supervisor, the one owner of
// process states, on every transition.
type stateChanged struct {
	group    string
	name     string
	from, to State
	// expected is false for an exit not listed in exitcodes.
	expected bool
	// final is set when the process ended for good (FATAL, or EXITED with
	// no automatic restart to follow); status is then the exit status it
	// gives the daemon when it is essential.
	final  bool
	status int
}

// Group requests.
type (
	// startGroup starts a group's processes: all of them, or only the
	// autostart ones when the daemon itself starts.
	startGroup struct {
		autostartOnly bool
		// hold names the processes not to autostart: the operator
		// disabled or stopped them (intent.go).
		hold map[string]bool
	}
	// stopGroup stops every process of the group (only those named in
	// only, when it is not nil) in reverse priority order and is answered
	// with *groupStopped once all of them are in a stopped state.
	stopGroup struct{ only map[string]bool }
	// groupStopped answers stopGroup.
	groupStopped struct{ name string }
	// groupStarted answers startGroup{autostartOnly: true} once every
	// process has been tried, so the next group in priority order may go.
	groupStarted struct{}
	// groupStatus asks a group for its processes' info, answered with
	// *statusList in process order; a process that does not answer is
	// UNKNOWN. A pool adds its counters.
	groupStatus struct{}
	// reshapeGroup asks a group actor to become cfg (reshape.go), answered
	// with *Result once the old processes are gone and the new ones exist
	// (before they have autostarted).
	reshapeGroup struct {
		cfg  *conf.Group
		hold map[string]bool // the processes not to start (see startGroup)
	}
	// ping is answered with *Result once its receiver has started: a
	// group once its processes exist, the supervisor once the bus and
	// every group do.
	ping struct{}
)

// Supervisor requests: everything from outside the tree goes to the
// supervisor, which owns the registry of groups and processes.
type (
	// addGroup spawns a group actor for a group from a re-read config and
	// autostarts it; answered with *Result (ErrAlreadyAdded).
	addGroup struct{ cfg *conf.Group }
	// removeGroup stops the actor of a group whose processes are all
	// stopped; answered with *Result (ErrBadName, ErrStillRunning).
	removeGroup struct {
		name string
		// keepStops keeps the remembered stops of its processes, for
		// the group added again at once (an update replacing it).
		keepStops bool
	}
	// shutdown begins the daemon's stop sequence.
	shutdown struct{}
	// shutdownReport is the supervisor's own timer: log who is still running.
	shutdownReport struct{}
	// toProcess carries msg to one process, whose answer goes straight
	// to the asker; ErrBadName when there is no such process.
	toProcess struct {
		group, name string
		msg         message
	}
	// toGroup carries msg to one group actor, likewise.
	toGroup struct {
		name string
		msg  message
	}
	// toBus carries msg to the event bus, likewise.
	toBus struct{ msg message }
	// listGroups is answered with *groupList: the groups running, in
	// start order.
	listGroups struct{}
	groupList  struct{ groups []*conf.Group }
	// resolve is answered with *resolved: the group and processes a
	// namespec names, or ErrBadName.
	resolve  struct{ spec string }
	resolved struct {
		group *conf.Group
		proc  *conf.Process // nil for the whole group
	}
	// getStatus is answered with *statusList: every process's info, in
	// start order.
	getStatus  struct{}
	statusList struct {
		infos []ProcessInfo
		pools []PoolStats // an eventlistener pool's own (one), then the tree's
	}
	// diffConfig is answered with *configDiff: how cfg differs from what
	// runs, as `supervisorctl reread` reports it.
	diffConfig struct{ cfg *conf.Config }
	configDiff struct{ added, changed, removed []string }
	// getConfig is answered with *configIs: the config last read;
	// setConfig records one (answered with *Result).
	getConfig struct{}
	configIs  struct{ cfg *conf.Config }
	setConfig struct{ cfg *conf.Config }
	// updateGroup applies a changed group config process by process
	// (reshape.go); answered with *Result, errReplace when the group's own
	// settings changed and it must be replaced whole.
	updateGroup struct{ cfg *conf.Group }
	// getReloadStatus is answered with *reloadIs by the config watcher,
	// or by the supervisor when there is none.
	getReloadStatus struct{}
	// startWatcher starts the config watcher (watcher.go); answered with
	// *Result once it watches.
	startWatcher struct {
		opts WatchOptions
		d    *Daemon
	}
)

// Event bus and pool messages.
type (
	// publish puts an event on the bus.
	publish struct{ ev events.Event }
	// subscribe registers a pool for events of these types (and their
	// subtypes); unsubscribe drops it. The supervisor sends both, so a
	// subscription is in place before any event it publishes after it.
	subscribe struct {
		pool  *actor.PID
		types []events.Type
	}
	unsubscribe struct{ pool *actor.PID }
	// tick is the bus's own timer for TICK_* events; at is the period start.
	tick struct {
		period time.Duration
		at     time.Time
	}
	// observe registers an observer actor for events of these types (and
	// their subtypes); the bus answers with *Result once it is in place.
	// An observer is not a subscriber in the reference's sense: see
	// Daemon.Subscribe.
	observe struct {
		pid   *actor.PID
		types []events.Type
	}
	// unobserve drops an observer.
	unobserve struct{ pid *actor.PID }
	// observed is an event the bus hands an observer; serial is the one
	// eventlisteners saw it with, -1 when no listener took it.
	observed struct {
		serial int64
		ev     events.Event
	}
	// readEvents asks the bus for up to limit events of its history
	// after sequence number after; it answers with *EventBatch.
	readEvents struct {
		after uint64
		limit int
	}
	// poolEvent is an event the bus hands a subscribed pool.
	poolEvent struct {
		serial int64
		ev     events.Event
	}
	// listenerReady tells a pool that a listener process said READY.
	listenerReady struct {
		name  string
		proto *actor.PID
	}
	// listenerResult tells a pool how a listener answered the event it had:
	// a refused one is delivered again.
	listenerResult struct {
		name  string
		proto *actor.PID
		ok    bool
	}
	// listenerGone tells a pool a listener's protocol ended (its process
	// exited or broke the protocol); the event it had, if any, goes back.
	listenerGone struct {
		name  string
		proto *actor.PID
	}
	// deliver gives a listener's protocol actor an event to send.
	deliver struct{ ev *queuedEvent }
	// listenerRunning tells a pool whether one of its listener processes
	// is RUNNING: only a RUNNING listener that said READY gets events, as
	// with the reference. The process sends it before it publishes the
	// state event, so the pool may hand a RUNNING listener the event it
	// holds before that event takes room in the buffer.
	listenerRunning struct {
		name    string
		running bool
	}
)

// queuedEvent is an event in a pool's buffer, with its serials.
type queuedEvent struct {
	serial, poolSerial int64
	ev                 events.Event
	tries              int // how often it was sent to a listener
}

// Config watcher messages.
type (
	// watchSettled is the watcher's own timer: the files have been quiet
	// for settle.
	watchSettled struct{}
	// watchApplied is the outcome of a reread and update, from the
	// goroutine that ran it: the config applied (nil when none was) and
	// the reload status to record.
	watchApplied struct {
		cfg    *conf.Config
		status ReloadStatus
	}
)

// logChunk is a piece of child output on its way to a logger. release hands
// the buffer back to the reader once written.
type logChunk struct {
	data    []byte
	pid     int // of the process that wrote it
	release func()
	eof     bool // the stream ended: no data, every byte came before
}

// flushPartial is a logger's own timer: an unfinished line may have waited
// logfmt.Silence for the rest of it.
type flushPartial struct{}

// Draining output at shutdown: a logger tells its process when a stream it
// logs has ended (*streamClosed), and *awaitDrained (to a group, and from
// it to each process) is answered once every stream of the process has, or
// after drainTimeout, so the last lines programs write as they stop reach
// their logs before the tree goes down.
type (
	streamClosed struct{ pid int }
	awaitDrained struct{}
)

// Result answers a request that can fail.
type Result struct{ Err error }

// Answers of supervisor and group requests.
type (
	// reloadIs answers getReloadStatus.
	reloadIs struct{ status ReloadStatus }
)

func (*startProcess) isMessage()    {}
func (*stopProcess) isMessage()     {}
func (*getInfo) isMessage()         {}
func (*awaitStarted) isMessage()    {}
func (*awaitStopped) isMessage()    {}
func (*signalProcess) isMessage()   {}
func (*writeStdin) isMessage()      {}
func (*clearLog) isMessage()        {}
func (*autostart) isMessage()       {}
func (*autostarted) isMessage()     {}
func (*groupStarted) isMessage()    {}
func (*reopenLogs) isMessage()      {}
func (*rotateLogs) isMessage()      {}
func (*shutdownBegun) isMessage()   {}
func (*exited) isMessage()          {}
func (*timerFired) isMessage()      {}
func (*stateChanged) isMessage()    {}
func (*startGroup) isMessage()      {}
func (*stopGroup) isMessage()       {}
func (*groupStopped) isMessage()    {}
func (*shutdown) isMessage()        {}
func (*addGroup) isMessage()        {}
func (*removeGroup) isMessage()     {}
func (*shutdownReport) isMessage()  {}
func (*logChunk) isMessage()        {}
func (*flushPartial) isMessage()    {}
func (*publish) isMessage()         {}
func (*subscribe) isMessage()       {}
func (*unsubscribe) isMessage()     {}
func (*tick) isMessage()            {}
func (*poolEvent) isMessage()       {}
func (*listenerReady) isMessage()   {}
func (*listenerResult) isMessage()  {}
func (*listenerGone) isMessage()    {}
func (*deliver) isMessage()         {}
func (*Result) isMessage()          {}
func (*toProcess) isMessage()       {}
func (*toGroup) isMessage()         {}
func (*toBus) isMessage()           {}
func (*listGroups) isMessage()      {}
func (*groupList) isMessage()       {}
func (*resolve) isMessage()         {}
func (*resolved) isMessage()        {}
func (*getStatus) isMessage()       {}
func (*statusList) isMessage()      {}
func (*groupStatus) isMessage()     {}
func (*diffConfig) isMessage()      {}
func (*configDiff) isMessage()      {}
func (*getConfig) isMessage()       {}
func (*configIs) isMessage()        {}
func (*setConfig) isMessage()       {}
func (*updateGroup) isMessage()     {}
func (*reloadIs) isMessage()        {}
func (*listenerRunning) isMessage() {}
func (*getReloadStatus) isMessage() {}
func (*startWatcher) isMessage()    {}
func (*reshapeGroup) isMessage()    {}
func (*ping) isMessage()            {}
func (*observe) isMessage()         {}
func (*unobserve) isMessage()       {}
func (*observed) isMessage()        {}
func (*readEvents) isMessage()      {}
func (*watchSettled) isMessage()    {}
func (*watchApplied) isMessage()    {}
func (*startWhenMet) isMessage()    {}
func (*awaitDeps) isMessage()       {}
func (*depsMet) isMessage()         {}
func (*depsWaiting) isMessage()     {}
func (*cancelDeps) isMessage()      {}
func (*startTarget) isMessage()     {}
func (*stopPlan) isMessage()        {}
func (*planned) isMessage()         {}
func (*probeDone) isMessage()       {}
func (*notified) isMessage()        {}
func (*logMatched) isMessage()      {}
func (*watchLog) isMessage()        {}
func (*healthChanged) isMessage()   {}
func (*streamClosed) isMessage()    {}
func (*awaitDrained) isMessage()    {}

// Late-by-design messages: an exit or a timer may outlive its actor.
func (*exited) IgnoreDeadLetterLogging()         {}
func (*timerFired) IgnoreDeadLetterLogging()     {}
func (*probeDone) IgnoreDeadLetterLogging()      {}
func (*notified) IgnoreDeadLetterLogging()       {}
func (*logMatched) IgnoreDeadLetterLogging()     {}
func (*logChunk) IgnoreDeadLetterLogging()       {}
func (*shutdownReport) IgnoreDeadLetterLogging() {}
func (*publish) IgnoreDeadLetterLogging()        {}
func (*tick) IgnoreDeadLetterLogging()           {}

// An observer may be gone a moment before the bus hears of it, and the bus
// may be gone (the tree is down) when an observer leaves.
func (*observed) IgnoreDeadLetterLogging()  {}
func (*unobserve) IgnoreDeadLetterLogging() {}
func (*toBus) IgnoreDeadLetterLogging()     {}
