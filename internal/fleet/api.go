// Package fleet joins daemons that are told about each other into a
// fleet in which any node shows and acts on all of them. Each node keeps
// running its own tree, autonomous and unchanged; the fleet adds
// membership (hashicorp/memberlist: SWIM gossip, node names, labels and
// addresses) and a node-to-node request channel (protoactor-go's remote
// layer over gRPC, mutual TLS, one versioned protobuf envelope), and any
// node answers for the whole fleet through its existing servers: the
// gateway fans a request out to the selected nodes concurrently, each with
// its own timeout, and reports a node that does not answer as unreachable.
package fleet

import (
	"context"
	"errors"
	"time"

	"supervisord/protocol/selector"
)

// Node is one member of the fleet as this node knows it.
type Node struct {
	Name    string
	Labels  map[string]string
	Address string // its fleet (remote) address, host:port
	Gossip  string // its memberlist address, host:port
	// State is "alive" (a member, answering probes) or "dead" (it
	// stopped answering them, or left); a dead node is asked to rejoin.
	State    string
	LastSeen time.Time // when it last answered a probe; zero if never
	Self     bool      // this node
}

// Process is one process of one node, as getProcessInfo describes it.
type Process struct {
	Node        string
	Group, Name string
	State       int    // the reference's state code (20 RUNNING, …)
	StateName   string // "RUNNING"
	Description string // what status shows: "pid 4242, uptime 0:01:02"
	PID         int
	Start, Stop time.Time // zero when never
	ExitStatus  int
	SpawnErr    string
}

// Result is the outcome of an action on one process of one node, as the
// XML-RPC multi-process calls report it (supervisor.startProcessGroup):
// Code is the fault code (80 SUCCESS, 10 BAD_NAME, 60 ALREADY_STARTED, …)
// and Description its text.
type Result struct {
	Node        string
	Group, Name string
	Code        int
	Description string
}

// NodeReply is what one selected node answered: its processes or results,
// or why it did not answer (Err, which is ErrUnreachable for a node that
// gave no answer in time or could not be reached).
type NodeReply struct {
	Node      string
	Err       error
	Processes []Process // Status
	Results   []Result  // Act
}

// Action is what Act does to each named process.
type Action struct {
	Verb   string // "start", "stop", "restart" or "signal"
	Signal string // for "signal": a name (HUP, SIGHUP) or a number
}

// Line is a line of output or an event from one node of a merged stream.
type Line struct {
	Node string
	// Event is the event's type name (PROCESS_STATE_RUNNING) for an event,
	// "" for a log line.
	Event string
	// Text is a log line, or an event's fields as JSON, named as in the
	// reference's payloads ({"processname":"web","groupname":"web",
	// "from_state":"STARTING","pid":4242}).
	Text string
}

// NoteEvent is the Event of a merged stream's own lines: a node that
// could not open its part of the stream (and why), or lines left out
// because the reader fell behind.
const NoteEvent = "FLEET_NOTE"

// Errors a gateway reports.
var (
	ErrUnreachable = errors.New("fleet: unreachable")    // no answer within the timeout
	ErrNotFleet    = errors.New("fleet: not in a fleet") // no [fleet] section
	ErrBadVerb     = errors.New("fleet: unknown action")
)

// Gateway is the fleet as one node's servers see it; every method is safe
// for concurrent use. names are process specs as supervisorctl takes them
// ("web:web_0", "web:*", "web"); none means every process. A selector
// picks nodes by their labels and by name, as the reserved label NodeLabel
// ("node=web-1" picks the node named web-1; see Node.Matches); the zero
// Selector picks every node.
type Gateway interface {
	// Nodes are the members this node knows, itself included, by name.
	Nodes() []Node
	// Status asks each selected node for its processes: one reply per
	// selected node, in name order, a node that does not answer within
	// the gateway's timeout being ErrUnreachable.
	Status(ctx context.Context, sel selector.Selector, names []string) []NodeReply
	// Act starts, stops, restarts or signals the named processes of each
	// selected node (names may not be empty), waiting for each as
	// supervisorctl does.
	Act(ctx context.Context, a Action, sel selector.Selector, names []string) ([]NodeReply, error)
	// Events streams the events of the selected nodes (types: event type
	// names, none for all) until ctx ends, each tagged with its node.
	Events(ctx context.Context, sel selector.Selector, types []string) (<-chan Line, error)
	// Tail streams the output of a process (stream "stdout" or "stderr")
	// on each selected node that has it, or the main log for name "",
	// until ctx ends, each line tagged with its node.
	Tail(ctx context.Context, sel selector.Selector, name, stream string) (<-chan Line, error)
}
