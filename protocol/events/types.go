package events

import "strings"

// Type is an event type: one of the reference's EventTypes, or one of this
// project's extensions. The reference's types form a tree rooted at EVENT;
// a listener subscribed to a type gets every event whose type Is that one.
// Each extension family is a tree of its own (see Extension), which a
// listener gets only by naming the family or one of its members.
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
	numTypes // the reference's types end here
)

// The extensions: event types the reference does not have. They are not
// under EVENT, so a listener written for the reference, subscribed to
// EVENT, never gets one it cannot read.
const (
	// TypeProcessHealth is the abstract family of a process's readiness
	// and health (ready=, health=).
	TypeProcessHealth Type = numTypes + iota
	// TypeProcessHealthReady: the ready= probe passed.
	TypeProcessHealthReady
	// TypeProcessHealthHealthy: health checks pass again after failing.
	TypeProcessHealthHealthy
	// TypeProcessHealthUnhealthy: health_retries checks in a row failed.
	TypeProcessHealthUnhealthy
	endTypes
)

var typeInfo = [endTypes]struct {
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
	TypeProcessHealth:          {"PROCESS_HEALTH", TypeProcessHealth, true},
	TypeProcessHealthReady:     {"PROCESS_HEALTH_READY", TypeProcessHealth, false},
	TypeProcessHealthHealthy:   {"PROCESS_HEALTH_HEALTHY", TypeProcessHealth, false},
	TypeProcessHealthUnhealthy: {"PROCESS_HEALTH_UNHEALTHY", TypeProcessHealth, false},
}

var typesByName = func() map[string]Type {
	m := make(map[string]Type, endTypes)
	for t := range endTypes {
		m[typeInfo[t].name] = t
	}
	return m
}()

// Types lists the reference's types, EVENT first; the extensions are not
// among them (see ExtensionTypes).
func Types() []Type {
	ts := make([]Type, numTypes)
	for t := range numTypes {
		ts[t] = t
	}
	return ts
}

// ExtensionTypes lists the extensions, each family's abstract root before
// its members.
func ExtensionTypes() []Type {
	ts := make([]Type, 0, endTypes-numTypes)
	for t := numTypes; t < endTypes; t++ {
		ts = append(ts, t)
	}
	return ts
}

// Valid reports whether t is one of the reference's types or an
// extension.
func (t Type) Valid() bool { return t < endTypes }

// Extension reports whether t is one of this project's types rather than
// the reference's. An extension Is only its own family's types, never
// EVENT.
func (t Type) Extension() bool { return numTypes <= t && t < endTypes }

// String is the type's name as it appears in "eventname:" and in the
// events= option, or "Type(N)" for an invalid one.
func (t Type) String() string {
	if !t.Valid() {
		return "Type(" + itoa(int64(t)) + ")"
	}
	return typeInfo[t].name
}

// Parent is the type t directly derives from; EVENT, the root of each
// extension family (PROCESS_HEALTH) and invalid types have none.
func (t Type) Parent() (Type, bool) {
	if !t.Valid() || typeInfo[t].parent == t {
		return 0, false
	}
	return typeInfo[t].parent, true
}

// Is reports whether t is ancestor or derives from it, as the reference's
// isinstance check when it hands an event to its subscribers: every type
// of the reference Is EVENT, PROCESS_STATE_RUNNING Is PROCESS_STATE, and
// so on. PROCESS_HEALTH_READY Is PROCESS_HEALTH but not EVENT.
func (t Type) Is(ancestor Type) bool {
	if !t.Valid() || !ancestor.Valid() {
		return false
	}
	for {
		if t == ancestor {
			return true
		}
		parent, ok := t.Parent()
		if !ok {
			return false
		}
		t = parent
	}
}

// Abstract reports whether no event is ever of exactly this type (EVENT,
// PROCESS_STATE, PROCESS_COMMUNICATION, PROCESS_LOG,
// SUPERVISOR_STATE_CHANGE, TICK, PROCESS_GROUP and the extensions'
// PROCESS_HEALTH): they exist to subscribe to a family.
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
// EventTypes is one, abstract ones included ("EVENT", "TICK", ...), and so
// is every extension's ("PROCESS_HEALTH_READY").
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
