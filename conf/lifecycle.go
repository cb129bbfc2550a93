package conf

import (
	"math"
	"strconv"
	"time"
)

// Lifecycle holds a program's dependency, readiness, health and restart
// options: extensions the reference ignores, so a file using them still
// loads there. Its zero value is "none of them set", which behaves exactly
// as the reference does.
type Lifecycle struct {
	// DependsOn lists what must hold before the program autostarts
	// (depends_on=); nil when unset.
	DependsOn []Dependency

	Ready        Probe         // ready=; Kind ProbeNone when unset
	ReadyTimeout time.Duration // ready_timeout=, default 60s

	Health         Probe         // health=; Kind ProbeNone when unset
	HealthInterval time.Duration // health_interval=, default 10s
	HealthTimeout  time.Duration // health_timeout=, default 5s
	HealthRetries  int           // health_retries=, default 3
	HealthAction   HealthAction  // health_action=, default restart
	// Watchdog is watchdog_sec=: with ready=notify, a program that sends
	// no WATCHDOG=1 for this long fails a health check; 0 (the default)
	// is off.
	Watchdog time.Duration

	Backoff BackoffKind // backoff=, default linear
	// BackoffMax caps the delay before a retry (backoff_max=). Zero when
	// unset: exponential backoff then caps at 60s and linear backoff is
	// not capped, as in the reference.
	BackoffMax    time.Duration
	BackoffJitter float64 // backoff_jitter=, a fraction 0–1, default 0

	RestartLimit RestartLimit // restart_limit=; zero when unset
}

// DefaultBackoffMax is the cap of exponential backoff when backoff_max is
// unset.
const DefaultBackoffMax = 60 * time.Second

// UnlimitedRetries is StartRetries for startretries=unlimited: more retries
// than any process lives to make, and a number the API can still report.
// (-1 keeps the reference's meaning: FATAL after the first failure.)
const UnlimitedRetries = math.MaxInt32

// Dependency is one entry of depends_on: NAME[:CONDITION].
type Dependency struct {
	// Name is the entry's name as written: a program, "group:name" or a
	// group.
	Name      string
	Condition Condition
	// Targets are the processes Name stands for, resolved once every
	// section is read; the condition must hold for each.
	Targets []ProcessRef
}

// String is the entry as it would be written: "db:healthy".
func (d Dependency) String() string { return d.Name + ":" + d.Condition.String() }

// ProcessRef names one process by its group and its name.
type ProcessRef struct {
	Group, Name string
}

// String is the namespec "group:name", or "name" when they are the same.
func (r ProcessRef) String() string { return Namespec(r.Group, r.Name) }

// Condition is what a dependency must meet.
type Condition int

const (
	CondRunning     Condition = iota // "running", the default: RUNNING, so ready
	CondStarted                      // "started": spawned
	CondHealthy                      // "healthy": RUNNING and its last health check passed
	CondCompleted                    // "completed": exited
	CondCompletedOK                  // "completed_ok": exited with one of its exitcodes
)

var conditionNames = []string{
	CondRunning:     "running",
	CondStarted:     "started",
	CondHealthy:     "healthy",
	CondCompleted:   "completed",
	CondCompletedOK: "completed_ok",
}

func (c Condition) String() string {
	if int(c) < len(conditionNames) {
		return conditionNames[c]
	}
	return "Condition(" + strconv.Itoa(int(c)) + ")"
}

// ProbeKind is how a ready= or health= check is made.
type ProbeKind int

const (
	ProbeNone   ProbeKind = iota
	ProbeNotify           // "notify": sd_notify READY=1 (ready= only)
	ProbeTCP              // "tcp://HOST:PORT": a connection is accepted
	ProbeHTTP             // "http://HOST:PORT/PATH": a 2xx or 3xx answer
	ProbeExec             // "exec:COMMAND": the command exits 0
	ProbeLog              // "log:REGEX": a line of output matches (ready= only)
)

// Probe is a parsed ready= or health= value.
type Probe struct {
	Kind ProbeKind
	// Target is what follows the kind: "host:port" for tcp, the whole URL
	// for http, the command line for exec, the regular expression for log.
	Target string
	// Argv is an exec probe's command split like command=.
	Argv []string
}

// String is the probe as written in the config, "" for none.
func (p Probe) String() string {
	switch p.Kind {
	case ProbeNotify:
		return "notify"
	case ProbeTCP:
		return "tcp://" + p.Target
	case ProbeHTTP:
		return p.Target
	case ProbeExec:
		return "exec:" + p.Target
	case ProbeLog:
		return "log:" + p.Target
	}
	return ""
}

// HealthAction is what an unhealthy program gets.
type HealthAction int

const (
	HealthRestart HealthAction = iota // "restart", the default
	HealthStop                        // "stop"
	HealthNone                        // "none": only logged and announced
)

func (a HealthAction) String() string {
	switch a {
	case HealthRestart:
		return "restart"
	case HealthStop:
		return "stop"
	case HealthNone:
		return "none"
	}
	return "HealthAction(" + strconv.Itoa(int(a)) + ")"
}

// BackoffKind is the curve of delays before start retries.
type BackoffKind int

const (
	BackoffLinear      BackoffKind = iota // "linear": 1 s, 2 s, 3 s …, the reference's
	BackoffExponential                    // "exponential": 1 s, 2 s, 4 s, 8 s …
)

func (b BackoffKind) String() string {
	if b == BackoffExponential {
		return "exponential"
	}
	return "linear"
}

// RestartLimit is restart_limit=N/SECONDS: more than Count automatic
// restarts within Window make the program FATAL. The zero value is no
// limit.
type RestartLimit struct {
	Count  int
	Window time.Duration
}

// Set reports whether a limit was configured.
func (r RestartLimit) Set() bool { return r.Window > 0 }

func (r RestartLimit) String() string {
	if !r.Set() {
		return ""
	}
	return strconv.Itoa(r.Count) + "/" + strconv.Itoa(int(r.Window/time.Second))
}
