package actors

import "fmt"

// Kind is what went wrong with a request, as callers branch on it. Each
// kind has one fault code in the XML-RPC API (internal/rpcinterface) and
// one message on the web page.
type Kind int

// The kinds of failure the tree reports.
const (
	Failed         Kind = iota // anything else; Detail says what
	BadName                    // no such process or group
	BadArguments               // an offset or length a log read cannot use
	AlreadyStarted             // a start of a process in a running state
	NotRunning                 // a stop, signal or stdin write with no process to take it
	BadSignal                  // no such signal
	NoFile                     // the command, log file or stdin is not there
	NotExecutable              // the command cannot be run
	SpawnError                 // the spawn failed at once
	Abnormal                   // the process did not reach RUNNING
	StillRunning               // a group cannot be removed while a process runs
	AlreadyAdded               // a group of that name runs
	ShuttingDown               // the tree is going down and takes no more requests
	Disabled                   // a start of a disabled process (Detail: the disabled dependency, if it is one)
	numKinds
)

var kindText = [numKinds]string{
	Failed:         "failed",
	BadName:        "no such process or group",
	BadArguments:   "bad arguments",
	AlreadyStarted: "already started",
	NotRunning:     "not running",
	BadSignal:      "bad signal",
	NoFile:         "no such file",
	NotExecutable:  "not executable",
	SpawnError:     "spawn error",
	Abnormal:       "abnormal termination",
	StillRunning:   "group still running",
	AlreadyAdded:   "group already added",
	ShuttingDown:   "shutting down",
	Disabled:       "disabled",
}

func (k Kind) String() string {
	if k >= 0 && k < numKinds {
		return kindText[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is the error every request to the tree fails with: a kind callers
// branch on (errors.Is against the Err* values, or errors.As and Kind),
// and a detail the reference puts after the fault name (a spawn check's
// message, a log path), empty when the caller names the subject itself.
type Error struct {
	Kind   Kind
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return "supervisor: " + e.Kind.String()
	}
	return "supervisor: " + e.Kind.String() + ": " + e.Detail
}

// Is matches an error of the same kind with no detail of its own, so
// errors.Is(err, ErrNoFile) holds for every NoFile error whatever its
// detail.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Detail == ""
}

// errorf is an Error of kind k with a formatted detail.
func errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Detail: fmt.Sprintf(format, args...)}
}

// The outcomes, one value per kind, for errors.Is.
var (
	ErrFailed         = &Error{Kind: Failed}
	ErrBadName        = &Error{Kind: BadName}
	ErrBadArguments   = &Error{Kind: BadArguments}
	ErrAlreadyStarted = &Error{Kind: AlreadyStarted}
	ErrNotRunning     = &Error{Kind: NotRunning}
	ErrBadSignal      = &Error{Kind: BadSignal}
	ErrNoFile         = &Error{Kind: NoFile}
	ErrNotExecutable  = &Error{Kind: NotExecutable}
	ErrSpawn          = &Error{Kind: SpawnError}
	ErrAbnormal       = &Error{Kind: Abnormal}
	ErrStillRunning   = &Error{Kind: StillRunning}
	ErrAlreadyAdded   = &Error{Kind: AlreadyAdded}
	ErrShuttingDown   = &Error{Kind: ShuttingDown}
	ErrDisabled       = &Error{Kind: Disabled}
)
