// Package handoff is the state one daemon hands to the binary it re-executes
// itself as (supervisorctl upgrade): the processes it runs, the descriptors
// it keeps open across the exec (pipes, listening sockets) and the counters
// that must carry on. It is a pure format: Encode and Decode, and the checks
// that make a decoded State safe to act on.
//
// The state travels in a memory file whose descriptor the new binary finds
// in the environment variable Env; descriptors keep their numbers across
// execve, so the State names them by number.
package handoff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"supervisord/protocol/events"
)

// Env names the descriptor of the encoded State in the new binary's
// environment.
const Env = "SUPERVISORD_HANDOFF_FD"

// Version is the format's version; Decode refuses any other.
const Version = 1

// magic opens every encoded State, so that a descriptor that holds
// something else is refused before it is parsed.
const magic = "supervisord-handoff\n"

// State is what the old daemon hands over.
type State struct {
	Version int `json:"version"`
	// Binary is the executable of the daemon that wrote the state, where
	// a new binary that cannot adopt it may go back to.
	Binary string `json:"binary"`
	// Argv is the command line both run with.
	Argv []string `json:"argv"`
	// Config is the config file's absolute path.
	Config string `json:"config"`
	// Upgrades counts the upgrades this daemon has been through, this one
	// included; Attempt numbers the request this one answers.
	Upgrades int `json:"upgrades"`
	Attempt  int `json:"attempt"`
	// Listeners are the HTTP servers' listening sockets, in the order the
	// servers were started.
	Listeners []Listener `json:"listeners,omitempty"`
	// Serial is the event bus's next serial.
	Serial int64 `json:"serial"`
	// Processes are every process of the tree, running or not.
	Processes []Process `json:"processes,omitempty"`
	// FCGISockets are the [fcgi-program:x] groups' listening sockets, which
	// their running instances hold.
	FCGISockets []FCGISocket `json:"fcgi_sockets,omitempty"`
	// Pools are the eventlistener pools' buffers.
	Pools []Pool `json:"pools,omitempty"`
	// Unpublished are events published while the tree was frozen, not
	// numbered yet: the new bus publishes them first.
	Unpublished []Event `json:"unpublished,omitempty"`
}

// FCGISocket is one fcgi-program group's socket kept open across the exec.
type FCGISocket struct {
	Group string `json:"group"`
	FD    int    `json:"fd"`
}

// Pool is what an eventlistener pool holds for its listeners.
type Pool struct {
	Group string `json:"group"`
	// Serial is the pool's next event serial.
	Serial int64 `json:"serial"`
	// Buffer are the events no listener has taken yet, oldest first.
	Buffer []Event `json:"buffer,omitempty"`
	// Sent are the events listeners were sent and have not answered, by
	// listener (process) name.
	Sent map[string]Event `json:"sent,omitempty"`
}

// Event is one event as the bus numbered it (Serial, PoolSerial) and
// rendered it: its type's name and its payload's bytes.
type Event struct {
	Serial     int64  `json:"serial,omitempty"`
	PoolSerial int64  `json:"pool_serial,omitempty"`
	Type       string `json:"type"`
	Payload    []byte `json:"payload,omitempty"` // bytes: a child's output need not be UTF-8
}

// EventListener is an eventlistener process's side of the protocol.
type EventListener struct {
	Protocol events.ListenerSnapshot `json:"protocol"`
}

// Listener is one listening socket kept open across the exec.
type Listener struct {
	Addr string `json:"addr"` // what it is bound to, for the log and for matching
	FD   int    `json:"fd"`
}

// Process is one process as its actor knew it.
type Process struct {
	Group string `json:"group"`
	Name  string `json:"name"`
	// State is the process state's number (the reference's numbering).
	State int `json:"state"`
	// PID is the OS process, 0 when there is none.
	PID int `json:"pid,omitempty"`
	// Start and Stop are laststart and laststop, in Unix nanoseconds (0:
	// never).
	Start int64 `json:"start,omitempty"`
	Stop  int64 `json:"stop,omitempty"`
	// Backoff is the count of failed starts in a row; SpawnErr and
	// ExitCode what the last run left.
	Backoff  int    `json:"backoff,omitempty"`
	SpawnErr string `json:"spawnerr,omitempty"`
	ExitCode int    `json:"exitcode,omitempty"`
	// Killing says a stop signal was sent, so the next exit is a stop.
	Killing bool `json:"killing,omitempty"`
	// The daemon's ends of the child's pipes; -1 when there is none.
	Stdin  int `json:"stdin"`
	Stdout int `json:"stdout"`
	Stderr int `json:"stderr"`
	// The log files, AUTO resolved, so the new daemon writes the same ones.
	StdoutLog string `json:"stdout_log,omitempty"`
	StderrLog string `json:"stderr_log,omitempty"`
	// Timers are the armed timers, by kind, with the time they had left.
	Timers []Timer `json:"timers,omitempty"`
	// Exit is the wait status of an exit that was reaped after the state
	// was taken and not yet acted on (nil when there was none).
	Exit *int `json:"exit,omitempty"`
	// StdinQueued is what was still to be written to the child's stdin
	// (for a listener, the rest of an envelope under way).
	StdinQueued []byte `json:"stdin_queued,omitempty"`
	// EventListener is set for a running eventlistener.
	EventListener *EventListener `json:"eventlistener,omitempty"`
}

// Timer is one armed timer of a process.
type Timer struct {
	Kind int           `json:"kind"`
	Left time.Duration `json:"left"`
}

// Encode writes s in the handoff format.
func Encode(s *State) ([]byte, error) {
	body, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("supervisor: cannot encode the handoff: %w", err)
	}
	return append([]byte(magic), body...), nil
}

// ErrFormat is Decode's error for data that is not a handoff state this
// version can act on.
var ErrFormat = errors.New("supervisor: not a handoff state")

// Decode reads a State that Encode wrote and checks it: a state that names
// a descriptor below 3, the same descriptor twice, a live process without a
// pid or the same process twice is refused, so the caller never adopts
// something it would then close or signal by mistake.
func Decode(data []byte) (*State, error) {
	body, ok := bytes.CutPrefix(data, []byte(magic))
	if !ok {
		return nil, ErrFormat
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var s State
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data", ErrFormat)
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return &s, nil
}

func (s *State) check() error {
	if s.Version != Version {
		return fmt.Errorf("version %d, want %d", s.Version, Version)
	}
	fds := map[int]bool{}
	fd := func(n int, optional bool) error {
		if n == -1 && optional {
			return nil
		}
		if n < 3 {
			return fmt.Errorf("descriptor %d", n)
		}
		if fds[n] {
			return fmt.Errorf("descriptor %d named twice", n)
		}
		fds[n] = true
		return nil
	}
	for _, l := range s.Listeners {
		if err := fd(l.FD, false); err != nil {
			return err
		}
	}
	groups := map[string]bool{}
	for _, g := range s.FCGISockets {
		if g.Group == "" || groups[g.Group] {
			return fmt.Errorf("socket of group %q named twice or not at all", g.Group)
		}
		groups[g.Group] = true
		if err := fd(g.FD, false); err != nil {
			return err
		}
	}
	seen := map[[2]string]bool{}
	for _, p := range s.Processes {
		if p.Group == "" || p.Name == "" {
			return errors.New("a process without a name")
		}
		key := [2]string{p.Group, p.Name}
		if seen[key] {
			return fmt.Errorf("process %s:%s named twice", p.Group, p.Name)
		}
		seen[key] = true
		if p.PID < 0 || p.PID == 0 && (p.Stdin != -1 || p.Stdout != -1 || p.Stderr != -1 || p.Exit != nil) {
			return fmt.Errorf("process %s:%s: pipes without a process", p.Group, p.Name)
		}
		for _, n := range []int{p.Stdin, p.Stdout, p.Stderr} {
			if err := fd(n, true); err != nil {
				return fmt.Errorf("process %s:%s: %v", p.Group, p.Name, err)
			}
		}
		for _, t := range p.Timers {
			if t.Left < 0 {
				return fmt.Errorf("process %s:%s: negative timer", p.Group, p.Name)
			}
		}
		if l := p.EventListener; l != nil {
			if p.PID == 0 {
				return fmt.Errorf("process %s:%s: a listener without a process", p.Group, p.Name)
			}
			if _, err := events.RestoreListenerOutput(l.Protocol); err != nil {
				return fmt.Errorf("process %s:%s: %v", p.Group, p.Name, err)
			}
		}
	}
	pools := map[string]bool{}
	for _, p := range s.Pools {
		if p.Group == "" || pools[p.Group] {
			return fmt.Errorf("pool %q named twice or not at all", p.Group)
		}
		pools[p.Group] = true
		if p.Serial < 0 {
			return fmt.Errorf("pool %s: negative serial", p.Group)
		}
		for _, e := range p.Buffer {
			if err := e.check(); err != nil {
				return fmt.Errorf("pool %s: %v", p.Group, err)
			}
		}
		for name, e := range p.Sent {
			if err := e.check(); err != nil {
				return fmt.Errorf("pool %s: listener %s: %v", p.Group, name, err)
			}
		}
	}
	for _, e := range s.Unpublished {
		if err := e.check(); err != nil {
			return err
		}
	}
	return nil
}

func (e Event) check() error {
	if _, ok := events.TypeByName(e.Type); !ok {
		return fmt.Errorf("event type %q", e.Type)
	}
	if e.Serial < 0 || e.PoolSerial < 0 {
		return errors.New("negative event serial")
	}
	return nil
}

// NewEvent is ev as the bus numbered it.
func NewEvent(serial, poolSerial int64, ev events.Event) Event {
	return Event{Serial: serial, PoolSerial: poolSerial, Type: ev.EventType().String(), Payload: []byte(ev.Payload())}
}

// Event is e as it was rendered (a checked e's type is known).
func (e Event) Event() events.Event {
	t, _ := events.TypeByName(e.Type)
	return events.Raw{Type: t, Body: string(e.Payload)}
}

// FDs lists every descriptor s names: listeners, fcgi sockets, pipes.
func (s *State) FDs() []int {
	var out []int
	for _, l := range s.Listeners {
		out = append(out, l.FD)
	}
	for _, g := range s.FCGISockets {
		out = append(out, g.FD)
	}
	for _, p := range s.Processes {
		for _, n := range []int{p.Stdin, p.Stdout, p.Stderr} {
			if n >= 0 {
				out = append(out, n)
			}
		}
	}
	return out
}
