package actors

import (
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
	// stopProcess asks a process to stop (supervisorctl stop).
	stopProcess struct{}
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
	// shutdownBegun tells a process the daemon is going down: no more
	// automatic starts or restarts, and BACKOFF gives up (the reference's
	// stop_all during shutdown).
	shutdownBegun struct{}
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
	}
)

type timerKind int

const (
	startsecsTimer timerKind = iota // STARTING → RUNNING
	backoffTimer                    // BACKOFF → STARTING
	stopwaitTimer                   // STOPPING: escalate to SIGKILL
)

// stateChanged goes from a process to its group on every transition.
type stateChanged struct {
	group    string
	name     string
	from, to State
	// expected is false for an exit not listed in exitcodes.
	expected bool
}

// Group requests.
type (
	// startGroup starts a group's processes: all of them, or only the
	// autostart ones when the daemon itself starts.
	startGroup struct{ autostartOnly bool }
	// stopGroup stops every process of the group in reverse priority order and
	// is answered with *groupStopped once all of them are in a stopped state.
	stopGroup struct{}
	// groupStopped answers stopGroup.
	groupStopped struct{ name string }
	// groupStarted answers startGroup{autostartOnly: true} once every
	// process has been tried, so the next group in priority order may go.
	groupStarted struct{}
)

// Supervisor requests.
type (
	// addGroup spawns a group actor for a group from a re-read config and
	// autostarts it; answered with *Result (ErrAlreadyAdded).
	addGroup struct{ cfg *conf.Group }
	// removeGroup stops the actor of a group whose processes are all
	// stopped; answered with *Result (ErrBadName, ErrStillRunning).
	removeGroup struct{ name string }
	// shutdown begins the daemon's stop sequence.
	shutdown struct{}
	// shutdownReport is the supervisor's own timer: log who is still running.
	shutdownReport struct{}
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
)

// queuedEvent is an event in a pool's buffer, with its serials.
type queuedEvent struct {
	serial, poolSerial int64
	ev                 events.Event
}

// logChunk is a piece of child output on its way to a logger. release hands
// the buffer back to the reader once written.
type logChunk struct {
	data    []byte
	pid     int // of the process that wrote it
	release func()
}

// Result answers a request that can fail.
type Result struct{ Err error }

// ProcessInfo is a process's state as the API reports it.
type ProcessInfo struct {
	Name, Group   string
	State         State
	Start, Stop   time.Time // zero when never started / never stopped
	Now           time.Time
	PID           int
	ExitStatus    int
	SpawnErr      string
	StdoutLogfile string
	StderrLogfile string
}

func (*startProcess) isMessage()   {}
func (*stopProcess) isMessage()    {}
func (*getInfo) isMessage()        {}
func (*awaitStarted) isMessage()   {}
func (*awaitStopped) isMessage()   {}
func (*signalProcess) isMessage()  {}
func (*writeStdin) isMessage()     {}
func (*clearLog) isMessage()       {}
func (*autostart) isMessage()      {}
func (*autostarted) isMessage()    {}
func (*groupStarted) isMessage()   {}
func (*reopenLogs) isMessage()     {}
func (*shutdownBegun) isMessage()  {}
func (*exited) isMessage()         {}
func (*timerFired) isMessage()     {}
func (*stateChanged) isMessage()   {}
func (*startGroup) isMessage()     {}
func (*stopGroup) isMessage()      {}
func (*groupStopped) isMessage()   {}
func (*shutdown) isMessage()       {}
func (*addGroup) isMessage()       {}
func (*removeGroup) isMessage()    {}
func (*shutdownReport) isMessage() {}
func (*logChunk) isMessage()       {}
func (*publish) isMessage()        {}
func (*subscribe) isMessage()      {}
func (*unsubscribe) isMessage()    {}
func (*tick) isMessage()           {}
func (*poolEvent) isMessage()      {}
func (*listenerReady) isMessage()  {}
func (*listenerResult) isMessage() {}
func (*listenerGone) isMessage()   {}
func (*deliver) isMessage()        {}
func (*Result) isMessage()         {}

// Late-by-design messages: an exit or a timer may outlive its actor.
func (*exited) IgnoreDeadLetterLogging()         {}
func (*timerFired) IgnoreDeadLetterLogging()     {}
func (*logChunk) IgnoreDeadLetterLogging()       {}
func (*shutdownReport) IgnoreDeadLetterLogging() {}
func (*publish) IgnoreDeadLetterLogging()        {}
func (*tick) IgnoreDeadLetterLogging()           {}
