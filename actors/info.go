package actors

import (
	"fmt"
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
}

// Description is the reference's one-line summary of a process state:
// "pid 123, uptime 0:01:02", the spawn error, the stop time or "Not started".
// The lifecycle options add to it: what a process waits for, its health
// and the status it reported with sd_notify.
func (in ProcessInfo) Description() string {
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
	case Fatal, Backoff:
		if in.SpawnErr != "" {
			return in.SpawnErr
		}
		return fmt.Sprintf(`unknown error (try "tail %s")`, in.Name)
	case Stopped, Exited:
		if in.Start.IsZero() {
			return "Not started"
		}
		return in.Stop.Local().Format("Jan 02 03:04 PM")
	}
	return ""
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
