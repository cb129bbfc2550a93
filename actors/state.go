package actors

import "fmt"

// State is a process state, numbered like the reference's ProcessStates so
// the numbers can go on the wire unchanged.
type State int

// The documented process states.
const (
	Stopped  State = 0
	Starting State = 10
	Running  State = 20
	Backoff  State = 30
	Stopping State = 40
	Exited   State = 100
	Fatal    State = 200
	Unknown  State = 1000
)

func (s State) String() string {
	switch s {
	case Stopped:
		return "STOPPED"
	case Starting:
		return "STARTING"
	case Running:
		return "RUNNING"
	case Backoff:
		return "BACKOFF"
	case Stopping:
		return "STOPPING"
	case Exited:
		return "EXITED"
	case Fatal:
		return "FATAL"
	case Unknown:
		return "UNKNOWN"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// IsStopped reports whether s counts as stopped for shutdown and removal
// (the reference's STOPPED_STATES).
func (s State) IsStopped() bool {
	switch s {
	case Stopped, Exited, Fatal, Unknown:
		return true
	}
	return false
}

// IsRunning reports whether s is one of the reference's RUNNING_STATES, the
// ones in which a start request fails with ALREADY_STARTED.
func (s State) IsRunning() bool {
	return s == Running || s == Backoff || s == Starting
}

// allowed is the process state machine: every edge the documentation draws,
// plus the edges to UNKNOWN that a failed kill takes, plus EXITED → FATAL
// and STOPPED → FATAL, taken only by a program with restart_limit= that
// restarted too often (after a crash, or a health restart).
var allowed = map[State][]State{
	Stopped:  {Starting, Fatal},
	Starting: {Running, Backoff, Stopping, Unknown},
	Running:  {Stopping, Exited, Unknown},
	Backoff:  {Starting, Fatal, Stopped},
	Stopping: {Stopped, Unknown},
	Exited:   {Starting, Fatal},
	Fatal:    {Starting},
	Unknown:  {},
}

// canMove reports whether the state machine has an edge from one state to another.
func canMove(from, to State) bool {
	for _, s := range allowed[from] {
		if s == to {
			return true
		}
	}
	return false
}
