package events

import (
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"
)

// Event is one event the daemon can send: its concrete type and its
// payload, the text that follows the envelope's header line.
type Event interface {
	EventType() Type
	Payload() string
}

// Process state names, as in "from_state:" and in the PROCESS_STATE_*
// type names.
const (
	StateStopped  = "STOPPED"
	StateStarting = "STARTING"
	StateRunning  = "RUNNING"
	StateBackoff  = "BACKOFF"
	StateStopping = "STOPPING"
	StateExited   = "EXITED"
	StateFatal    = "FATAL"
	StateUnknown  = "UNKNOWN"
)

// ProcessState is a PROCESS_STATE_<State> event: process Process of group
// Group moved from state From to State. Its payload is a token set with no
// trailing newline:
//
//	processname:cat groupname:cat from_state:RUNNING expected:0 pid:2766
//
// STARTING and BACKOFF add tries:<Tries>; RUNNING, STOPPING and STOPPED add
// pid:<PID>; EXITED adds expected:<0|1> then pid:<PID>; FATAL and UNKNOWN
// add nothing. A process outside any group has an empty Group
// ("groupname:" with nothing after the colon).
type ProcessState struct {
	State    string // the new state, e.g. StateRunning
	Process  string
	Group    string
	From     string // the previous state's name
	PID      int
	Tries    int  // STARTING and BACKOFF: the backoff count
	Expected bool // EXITED: whether the exit code was an expected one

	// Exit is how the run this transition ends ended, when one did
	// (EXITED, STOPPED after a stop, BACKOFF after a start that exited);
	// nil on other transitions. It is the daemon's own record for its
	// observers (the metrics' timeline): not part of the payload, so no
	// listener ever sees it, and ParsePayload never sets it.
	Exit *Exit
}

// Exit is how a process ended: the status it exited with, or the signal
// that killed it.
type Exit struct {
	Code     int            // the exit status; -1 when killed by a signal
	Signal   syscall.Signal // the signal that killed it; 0 when it exited
	Expected bool           // Code is one of the program's exitcodes
}

var stateTypes = map[string]Type{
	StateStopped:  TypeProcessStateStopped,
	StateStarting: TypeProcessStateStarting,
	StateRunning:  TypeProcessStateRunning,
	StateBackoff:  TypeProcessStateBackoff,
	StateStopping: TypeProcessStateStopping,
	StateExited:   TypeProcessStateExited,
	StateFatal:    TypeProcessStateFatal,
	StateUnknown:  TypeProcessStateUnknown,
}

// EventType is PROCESS_STATE_<State>, or the abstract PROCESS_STATE when
// State is not a process state name.
func (e ProcessState) EventType() Type {
	if t, ok := stateTypes[e.State]; ok {
		return t
	}
	return TypeProcessState
}

// Payload implements Event.
func (e ProcessState) Payload() string {
	var b strings.Builder
	b.WriteString("processname:")
	b.WriteString(e.Process)
	b.WriteString(" groupname:")
	b.WriteString(e.Group)
	b.WriteString(" from_state:")
	b.WriteString(e.From)
	switch e.EventType() {
	case TypeProcessStateStarting, TypeProcessStateBackoff:
		b.WriteString(" tries:")
		b.WriteString(strconv.Itoa(e.Tries))
	case TypeProcessStateExited:
		b.WriteString(" expected:")
		if e.Expected {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
		fallthrough
	case TypeProcessStateRunning, TypeProcessStateStopping, TypeProcessStateStopped:
		b.WriteString(" pid:")
		b.WriteString(strconv.Itoa(e.PID))
	}
	return b.String()
}

// Channels of PROCESS_LOG_* and PROCESS_COMMUNICATION_* events.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// ProcessLog is a PROCESS_LOG_STDOUT or PROCESS_LOG_STDERR event: Data was
// read from the Channel of process Process. The payload is one header line
// then the data, with no newline added:
//
//	processname:foo groupname:bar pid:123 channel:stdout
//	<data>
//
// Data that is not valid UTF-8 is sent as "Undecodable: " followed by
// Python's repr() of the bytes (see DataText), as the reference does.
type ProcessLog struct {
	Channel string // Stdout or Stderr
	Process string
	Group   string
	PID     int
	Data    []byte
}

// EventType is PROCESS_LOG_STDERR for Channel Stderr, else
// PROCESS_LOG_STDOUT.
func (e ProcessLog) EventType() Type {
	if e.Channel == Stderr {
		return TypeProcessLogStderr
	}
	return TypeProcessLogStdout
}

// Payload implements Event.
func (e ProcessLog) Payload() string {
	return "processname:" + e.Process + " groupname:" + e.Group +
		" pid:" + strconv.Itoa(e.PID) + " channel:" + e.Channel + "\n" + DataText(e.Data)
}

// ProcessCommunication is a PROCESS_COMMUNICATION_STDOUT or _STDERR event:
// the process wrote Data between <!--XSUPERVISOR:BEGIN--> and
// <!--XSUPERVISOR:END--> on Channel. The payload is like ProcessLog's but
// its header line has no channel token:
//
//	processname:foo groupname:bar pid:123
//	<data>
type ProcessCommunication struct {
	Channel string // Stdout or Stderr
	Process string
	Group   string
	PID     int
	Data    []byte
}

// The tags that delimit a process communication in a program's output.
const (
	CommBeginToken = "<!--XSUPERVISOR:BEGIN-->"
	CommEndToken   = "<!--XSUPERVISOR:END-->"
)

// EventType is PROCESS_COMMUNICATION_STDERR for Channel Stderr, else
// PROCESS_COMMUNICATION_STDOUT.
func (e ProcessCommunication) EventType() Type {
	if e.Channel == Stderr {
		return TypeProcessCommunicationStderr
	}
	return TypeProcessCommunicationStdout
}

// Payload implements Event.
func (e ProcessCommunication) Payload() string {
	return "processname:" + e.Process + " groupname:" + e.Group +
		" pid:" + strconv.Itoa(e.PID) + "\n" + DataText(e.Data)
}

// RemoteCommunication is a REMOTE_COMMUNICATION event, raised by the
// supervisor.sendRemoteCommEvent(type, data) XML-RPC method. Payload:
//
//	type:<Type>
//	<Data>
type RemoteCommunication struct {
	Type string
	Data string
}

// EventType implements Event.
func (RemoteCommunication) EventType() Type { return TypeRemoteCommunication }

// Payload implements Event.
func (e RemoteCommunication) Payload() string { return "type:" + e.Type + "\n" + e.Data }

// SupervisorRunning is SUPERVISOR_STATE_CHANGE_RUNNING; its payload is
// empty.
type SupervisorRunning struct{}

// EventType implements Event.
func (SupervisorRunning) EventType() Type { return TypeSupervisorStateChangeRunning }

// Payload implements Event.
func (SupervisorRunning) Payload() string { return "" }

// SupervisorStopping is SUPERVISOR_STATE_CHANGE_STOPPING; its payload is
// empty.
type SupervisorStopping struct{}

// EventType implements Event.
func (SupervisorStopping) EventType() Type { return TypeSupervisorStateChangeStopping }

// Payload implements Event.
func (SupervisorStopping) Payload() string { return "" }

// Tick is a TICK_<Period> event. Its payload is "when:<When>" with no
// newline, When being the start of the period in epoch seconds (see
// TickClock).
type Tick struct {
	Period int64 // 5, 60 or 3600
	When   int64
}

// TickPeriods are the periods of the reference's TICK_* events, in the
// order it emits them.
var TickPeriods = [...]int64{5, 60, 3600}

// EventType is TICK_5, TICK_60 or TICK_3600, or the abstract TICK for any
// other Period.
func (e Tick) EventType() Type {
	switch e.Period {
	case 5:
		return TypeTick5
	case 60:
		return TypeTick60
	case 3600:
		return TypeTick3600
	}
	return TypeTick
}

// Payload implements Event.
func (e Tick) Payload() string { return "when:" + itoa(e.When) }

// ProcessGroupAdded is PROCESS_GROUP_ADDED; payload "groupname:<Group>\n"
// (with a newline, unlike other token sets).
type ProcessGroupAdded struct{ Group string }

// EventType implements Event.
func (ProcessGroupAdded) EventType() Type { return TypeProcessGroupAdded }

// Payload implements Event.
func (e ProcessGroupAdded) Payload() string { return "groupname:" + e.Group + "\n" }

// ProcessGroupRemoved is PROCESS_GROUP_REMOVED; payload
// "groupname:<Group>\n".
type ProcessGroupRemoved struct{ Group string }

// EventType implements Event.
func (ProcessGroupRemoved) EventType() Type { return TypeProcessGroupRemoved }

// Payload implements Event.
func (e ProcessGroupRemoved) Payload() string { return "groupname:" + e.Group + "\n" }

// ProcessHealth is a PROCESS_HEALTH_READY, _HEALTHY or _UNHEALTHY event,
// an extension the reference does not have (see Type.Extension): process
// Process of group Group became ready, or healthy or unhealthy. Its
// payload is a token set like PROCESS_STATE's:
//
//	processname:api groupname:api pid:4242
//
// An UNHEALTHY payload always adds a newline and Detail, why the last
// check failed, like PROCESS_LOG's data; a READY one does so only when
// Detail is set; a HEALTHY one never does:
//
//	processname:api groupname:api pid:4242
//	http://127.0.0.1:8080/healthz: status 503
type ProcessHealth struct {
	Type    Type // TypeProcessHealthReady, ...Healthy or ...Unhealthy
	Process string
	Group   string
	PID     int
	Detail  string
}

// EventType is Type when it is one of the three, else the abstract
// PROCESS_HEALTH.
func (e ProcessHealth) EventType() Type {
	switch e.Type {
	case TypeProcessHealthReady, TypeProcessHealthHealthy, TypeProcessHealthUnhealthy:
		return e.Type
	}
	return TypeProcessHealth
}

// Payload implements Event.
func (e ProcessHealth) Payload() string {
	head := "processname:" + e.Process + " groupname:" + e.Group + " pid:" + strconv.Itoa(e.PID)
	switch e.EventType() {
	case TypeProcessHealthUnhealthy:
		return head + "\n" + e.Detail
	case TypeProcessHealthReady:
		if e.Detail != "" {
			return head + "\n" + e.Detail
		}
	}
	return head
}

// DataText is how the reference puts a process's output into a payload:
// the bytes as they are when they are valid UTF-8, else "Undecodable: "
// and their Python repr(), e.g. Undecodable: b'\xff'.
func DataText(data []byte) string {
	if utf8.Valid(data) {
		return string(data)
	}
	return "Undecodable: " + PyBytesRepr(data)
}

// PyBytesRepr is Python's repr() of a bytes object: b'...' (or b"..." when
// the bytes hold a ' and no "), with \t, \n, \r, \\, the quote and any
// byte outside 0x20-0x7e escaped.
func PyBytesRepr(data []byte) string {
	quote := byte('\'')
	if containsByte(data, '\'') && !containsByte(data, '"') {
		quote = '"'
	}
	const hex = "0123456789abcdef"
	b := make([]byte, 0, len(data)+3)
	b = append(b, 'b', quote)
	for _, c := range data {
		switch {
		case c == quote || c == '\\':
			b = append(b, '\\', c)
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20 || c >= 0x7f:
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return string(append(b, quote))
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Raw is an event kept as its type and rendered payload, as events a
// daemon hands over in an upgrade are: it reaches listeners byte for byte
// as it was first rendered.
type Raw struct {
	Type Type
	Body string
}

// EventType is r's type.
func (r Raw) EventType() Type { return r.Type }

// Payload is r's payload as it was rendered.
func (r Raw) Payload() string { return r.Body }
