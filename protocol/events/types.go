package events

import "strings"

// Type is an event type of the reference's EventTypes. Types form a tree
// rooted at EVENT; a listener subscribed to a type gets every event whose
// type Is that one.
type Type uint8

// The reference's event types. Abstract ones (see Abstract) are only ever
// subscribed to, never sent.
const (
	TypeEvent Type = iota // EVENT, the root
	TypeProcessState
	TypeProcessStateStopped
	TypeProcessStateExited
	TypeProcessStateStarting
	TypeProcessStateStopping
	TypeProcessStateBackoff
	TypeProcessStateFatal
	TypeProcessStateRunning
	TypeProcessStateUnknown
	TypeProcessCommunication
	TypeProcessCommunicationStdout
	TypeProcessCommunicationStderr
	TypeProcessLog
	TypeProcessLogStdout
	TypeProcessLogStderr
	TypeRemoteCommunication
	TypeSupervisorStateChange
	TypeSupervisorStateChangeRunning
	TypeSupervisorStateChangeStopping
	TypeTick
	TypeTick5
	TypeTick60
	TypeTick3600
	TypeProcessGroup
	TypeProcessGroupAdded
	TypeProcessGroupRemoved
	numTypes
)

var typeInfo = [numTypes]struct {
	name     string
	parent   Type
	abstract bool
}{
	TypeEvent:                        {"EVENT", TypeEvent, true},
	TypeProcessState:                 {"PROCESS_STATE", TypeEvent, true},
	TypeProcessStateStopped:          {"PROCESS_STATE_STOPPED", TypeProcessState, false},
	TypeProcessStateExited:           {"PROCESS_STATE_EXITED", TypeProcessState, false},
	TypeProcessStateStarting:         {"PROCESS_STATE_STARTING", TypeProcessState, false},
	TypeProcessStateStopping:         {"PROCESS_STATE_STOPPING", TypeProcessState, false},
	TypeProcessStateBackoff:          {"PROCESS_STATE_BACKOFF", TypeProcessState, false},
	TypeProcessStateFatal:            {"PROCESS_STATE_FATAL", TypeProcessState, false},
	TypeProcessStateRunning:          {"PROCESS_STATE_RUNNING", TypeProcessState, false},
	TypeProcessStateUnknown:          {"PROCESS_STATE_UNKNOWN", TypeProcessState, false},
	TypeProcessCommunication:         {"PROCESS_COMMUNICATION", TypeEvent, true},
	TypeProcessCommunicationStdout:   {"PROCESS_COMMUNICATION_STDOUT", TypeProcessCommunication, false},
	TypeProcessCommunicationStderr:   {"PROCESS_COMMUNICATION_STDERR", TypeProcessCommunication, false},
	TypeProcessLog:                   {"PROCESS_LOG", TypeEvent, true},
	TypeProcessLogStdout:             {"PROCESS_LOG_STDOUT", TypeProcessLog, false},
	TypeProcessLogStderr:             {"PROCESS_LOG_STDERR", TypeProcessLog, false},
	TypeRemoteCommunication:          {"REMOTE_COMMUNICATION", TypeEvent, false},
	TypeSupervisorStateChange:        {"SUPERVISOR_STATE_CHANGE", TypeEvent, true},
	TypeSupervisorStateChangeRunning: {"SUPERVISOR_STATE_CHANGE_RUNNING", TypeSupervisorStateChange, false},
	TypeSupervisorStateChangeStopping: {"SUPERVISOR_STATE_CHANGE_STOPPING", TypeSupervisorStateChange,
		false},
	TypeTick:              {"TICK", TypeEvent, true},
	TypeTick5:             {"TICK_5", TypeTick, false},
	TypeTick60:            {"TICK_60", TypeTick, false},
	TypeTick3600:          {"TICK_3600", TypeTick, false},
	TypeProcessGroup:      {"PROCESS_GROUP", TypeEvent, true},
	TypeProcessGroupAdded: {"PROCESS_GROUP_ADDED", TypeProcessGroup, false},
	TypeProcessGroupRemoved: {"PROCESS_GROUP_REMOVED", TypeProcessGroup,
		false},
}

var typesByName = func() map[string]Type {
	m := make(map[string]Type, numTypes)
	for t := range numTypes {
		m[typeInfo[t].name] = t
	}
	return m
}()

// Types lists every type, EVENT first.
func Types() []Type {
	ts := make([]Type, numTypes)
	for t := range numTypes {
		ts[t] = t
	}
	return ts
}

// Valid reports whether t is one of the reference's types.
func (t Type) Valid() bool { return t < numTypes }

// String is the type's name as it appears in "eventname:" and in the
// events= option, or "Type(N)" for an invalid one.
func (t Type) String() string {
	if !t.Valid() {
		return "Type(" + itoa(int64(t)) + ")"
	}
	return typeInfo[t].name
}

// Parent is the type t directly derives from; EVENT and invalid types have
// none.
func (t Type) Parent() (Type, bool) {
	if !t.Valid() || t == TypeEvent {
		return 0, false
	}
	return typeInfo[t].parent, true
}

// Is reports whether t is ancestor or derives from it, as the reference's
// isinstance check when it hands an event to its subscribers: everything
// Is EVENT, PROCESS_STATE_RUNNING Is PROCESS_STATE, and so on.
func (t Type) Is(ancestor Type) bool {
	if !t.Valid() || !ancestor.Valid() {
		return false
	}
	for {
		if t == ancestor {
			return true
		}
		if t == TypeEvent {
			return false
		}
		t = typeInfo[t].parent
	}
}

// Abstract reports whether the reference never emits events of exactly
// this type (EVENT, PROCESS_STATE, PROCESS_COMMUNICATION, PROCESS_LOG,
// SUPERVISOR_STATE_CHANGE, TICK, PROCESS_GROUP): they exist to subscribe
// to a family.
func (t Type) Abstract() bool { return !t.Valid() || typeInfo[t].abstract }

// Subscribed reports whether an event of type t goes to a pool subscribed
// to subs.
func Subscribed(subs []Type, t Type) bool {
	for _, s := range subs {
		if t.Is(s) {
			return true
		}
	}
	return false
}

// TypeByName finds a type by its exact name. Every name of the reference's
// EventTypes is one, abstract ones included ("EVENT", "TICK", ...).
func TypeByName(name string) (Type, bool) {
	t, ok := typesByName[name]
	return t, ok
}

// TypeByOptionName finds the type an entry of an [eventlistener:x]
// section's events= option names. The reference upper-cases the entry with
// Python's str.upper() before looking it up, so "tick_5" works, and so do
// the few non-ASCII letters that upper-case to ASCII ones ("proceß_state"
// is PROCESS_STATE). Splitting the option on commas and trimming entries is
// the config loader's business.
func TypeByOptionName(entry string) (Type, bool) {
	return TypeByName(pyUpperASCII(entry))
}

// pyUpperASCII is Python's str.upper() as far as it matters for names made
// of ASCII: the ten non-ASCII characters whose upper case is all ASCII are
// mapped, and any other non-ASCII character is left alone (so the name
// cannot match).
func pyUpperASCII(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r == 'ß':
			b.WriteString("SS")
		case r == 'ı':
			b.WriteByte('I')
		case r == 'ſ':
			b.WriteByte('S')
		case r == 0xfb00:
			b.WriteString("FF")
		case r == 0xfb01:
			b.WriteString("FI")
		case r == 0xfb02:
			b.WriteString("FL")
		case r == 0xfb03:
			b.WriteString("FFI")
		case r == 0xfb04:
			b.WriteString("FFL")
		case r == 0xfb05, r == 0xfb06:
			b.WriteString("ST")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
