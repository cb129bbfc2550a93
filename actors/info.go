package actors

import (
	"fmt"
	"supervisord/internal/statefile"
	"syscall"
	"time"
)

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

	// What the lifecycle options add; empty without them.
	WaitingFor string // what a stopped process waits for before it starts ("db to be healthy")
	Health     string // RUNNING with health checks: "healthy", "unhealthy: why", "not yet healthy" (no check has passed yet)
	Status     string // the program's last sd_notify STATUS=
	// NextRun is a scheduled program's next due time (schedule=); zero
	// for others, and when it is never due again.
	NextRun time.Time

	// Intent is what the operator asked of the process that lasts
	// (disabled, stopped by hand), with who, when and from where; zero
	// when nothing.
	Intent statefile.Intent

	// Stats are the process's counters, for metrics; the XML-RPC API
	// does not show them.
	Stats ProcessStats

	// What `why` tells beyond the state (the XML-RPC API does not show
	// them): the failed starts in a row and the startretries they count
	// against (BACKOFF, FATAL), when the next start is due (BACKOFF), how
	// the last run ended (nil before any), and the last failed readiness
	// or health check's reason ("" when none failed).
	Attempt, StartRetries int
	NextTry               time.Time
	LastExit              *LastExit
	CheckErr              string
}

// LastExit is how a process's last run ended: its exit status, or the
// signal that killed it, whether that status is one of its exitcodes,
// and when.
type LastExit struct {
	Code     int
	Signal   syscall.Signal // 0 when it exited
	Expected bool
	At       time.Time
}

// ProcessStats count what happened to a process since its actor started
// (with the tree, or when its group was added). The process actor keeps
// them, but for the log bytes, which each stream's logger counts as it
// takes the output in; none is ever reset while the actor lives.
type ProcessStats struct {
	// Restarts counts the starts the daemon made on its own after the
	// process ended or failed to start: autorestart, a BACKOFF retry,
	// health_action=restart. Starts asked for (and autostart) are not
	// restarts.
	Restarts uint64
	// Exits counts the runs that ended, by how: one entry per exit
	// status or killing signal seen, by code then signal.
	Exits []ExitCount
	// StdoutBytes and StderrBytes count the output its loggers read, as
	// the program wrote it (before any log format or ANSI stripping). A
	// stream nobody keeps (logfile=NONE, no syslog, no events, no
	// capture) has no logger and counts nothing; with redirect_stderr
	// stderr is counted as stdout.
	StdoutBytes, StderrBytes uint64
}

// ExitCount is how many runs of a process ended one way.
type ExitCount struct {
	Code   int            // the exit status; -1 when killed by a signal
	Signal syscall.Signal // the signal that killed it; 0 when it exited
	Count  uint64
}

// Description is the reference's one-line summary of a process state:
// "pid 123, uptime 0:01:02", the spawn error, the stop time or "Not started".
// The lifecycle options add to it: what a process waits for, its health
// and the status it reported with sd_notify.
func (in ProcessInfo) Description() string {
	d := in.describe()
	if in.Intent.Disabled && in.State.IsStopped() {
		if d == "" || in.Start.IsZero() {
			return "disabled"
		}
		return "disabled, " + d
	}
	return d
}

func (in ProcessInfo) describe() string {
	if in.WaitingFor != "" {
		return "waiting for " + in.WaitingFor
	}
	switch in.State {
	case Running:
		up := in.Now.Truncate(time.Second).Sub(in.Start.Truncate(time.Second))
		d := fmt.Sprintf("pid %d, uptime %s", in.PID, pyTimedelta(max(up, 0)))
		for _, more := range []string{in.Health, in.Status} {
			if more != "" {
				d += ", " + more
			}
		}
		return d
	case Starting:
		return in.Status
	case Backoff:
		return in.spawnErr()
	case Fatal:
		return in.withNextRun(in.spawnErr())
	case Stopped, Exited:
		if in.Start.IsZero() {
			return in.withNextRun("Not started")
		}
		return in.withNextRun(in.Stop.Local().Format("Jan 02 03:04 PM"))
	}
	return ""
}

func (in ProcessInfo) spawnErr() string {
	if in.SpawnErr != "" {
		return in.SpawnErr
	}
	return fmt.Sprintf(`unknown error (try "tail %s")`, in.Name)
}

// withNextRun adds a scheduled program's next due time to d, in local
// time: "next run 03:05:00" on the same day as now, else "next run Dec 07
// 03:05:00".
func (in ProcessInfo) withNextRun(d string) string {
	if in.NextRun.IsZero() {
		return d
	}
	next, now := in.NextRun.Local(), in.Now.Local()
	form := "Jan 02 15:04:05"
	if y, m, dd := next.Date(); now.Year() == y && now.Month() == m && now.Day() == dd {
		form = "15:04:05"
	}
	return d + ", next run " + next.Format(form)
}

// pyTimedelta prints whole seconds like str(datetime.timedelta):
// "0:01:02", "1 day, 2:03:04", "3 days, 0:00:00".
func pyTimedelta(d time.Duration) string {
	s := int64(d / time.Second)
	days, s := s/86400, s%86400
	hms := fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	switch days {
	case 0:
		return hms
	case 1:
		return "1 day, " + hms
	}
	return fmt.Sprintf("%d days, %s", days, hms)
}
