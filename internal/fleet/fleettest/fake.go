// Package fleettest is a fleet.Gateway for the tests of the servers that
// answer for the fleet: nodes and their processes set by the test, nodes
// that do not answer, actions that change the processes' states the way a
// node's tree would, streams the test feeds line by line, and a record of
// every call.
package fleettest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"supervisord/conf"
	"supervisord/internal/fleet"
	"supervisord/protocol/selector"
	"supervisord/protocol/xmlrpc"
)

// Call is one call the gateway got, its arguments as given.
type Call struct {
	Method   string // Nodes, Status, Act, Events or Tail
	Selector string // the selector as it prints (Selector.String)
	Names    []string
	Action   fleet.Action
	Types    []string // Events
	Name     string   // Tail
	Stream   string   // Tail
}

// Fake is a fleet.Gateway over nodes the test describes. Set its fields
// before it is used; afterwards, change them only through its methods.
type Fake struct {
	// Members are the nodes, in any order (Nodes sorts them by name).
	Members []fleet.Node
	// Processes are each node's processes, by node name.
	Processes map[string][]fleet.Process
	// Down holds the error each node that does not answer replies with
	// (fleet.ErrUnreachable, or a wrapping of it).
	Down map[string]error
	// NotFleet makes every call fail with fleet.ErrNotFleet, as a gateway
	// of a daemon without [fleet] would.
	NotFleet bool
	// Now stamps the processes an action starts or stops.
	Now time.Time

	mu     sync.Mutex
	calls  []Call
	subs   []*sub
	opened chan Call
}

// sub is an open Events or Tail stream.
type sub struct {
	ctx   context.Context
	nodes map[string]bool
	ch    chan fleet.Line
	tail  bool
	types []string
}

var _ fleet.Gateway = (*Fake)(nil)

func (f *Fake) record(c Call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

// Calls are the calls made so far, in order.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Opened gives a Call each time an Events or Tail stream opens, so a test
// feeds it only once it listens.
func (f *Fake) Opened() <-chan Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.opened == nil {
		f.opened = make(chan Call, 64)
	}
	return f.opened
}

// Nodes are the members, by name.
func (f *Fake) Nodes() []fleet.Node {
	f.record(Call{Method: "Nodes"})
	if f.NotFleet {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sorted()
}

func (f *Fake) sorted() []fleet.Node {
	nodes := slices.Clone(f.Members)
	slices.SortFunc(nodes, func(a, b fleet.Node) int { return strings.Compare(a.Name, b.Name) })
	return nodes
}

// selected are the members sel picks, by name.
func (f *Fake) selected(sel selector.Selector) []fleet.Node {
	var out []fleet.Node
	for _, n := range f.sorted() {
		if sel.Matches(n.Labels) {
			out = append(out, n)
		}
	}
	return out
}

// matches reports whether spec names p as supervisorctl's names do: "all",
// "group:*", "group" (its every process), "group:name".
func matches(spec string, p fleet.Process) bool {
	if spec == "all" {
		return true
	}
	group, name, ok := strings.Cut(spec, ":")
	if !ok || name == "*" {
		return p.Group == group
	}
	return p.Group == group && p.Name == name
}

func (f *Fake) Status(ctx context.Context, sel selector.Selector, names []string) []fleet.NodeReply {
	f.record(Call{Method: "Status", Selector: sel.String(), Names: slices.Clone(names)})
	if f.NotFleet {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fleet.NodeReply
	for _, n := range f.selected(sel) {
		r := fleet.NodeReply{Node: n.Name, Err: f.Down[n.Name]}
		if r.Err == nil {
			r.Processes = []fleet.Process{}
			for _, p := range f.Processes[n.Name] {
				if len(names) == 0 || slices.ContainsFunc(names, func(s string) bool { return matches(s, p) }) {
					p.Node = n.Name
					r.Processes = append(r.Processes, p)
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// States as the reference numbers them.
const (
	stopped = 0
	running = 20
)

// Act does to the named processes of each selected node what the node's
// tree would: start a stopped one (ALREADY_STARTED for a running one),
// stop a running one (NOT_RUNNING otherwise), restart either, signal a
// running one (BAD_SIGNAL for a signal named BOGUS); a name that matches
// nothing on a node is BAD_NAME there.
func (f *Fake) Act(ctx context.Context, a fleet.Action, sel selector.Selector, names []string) ([]fleet.NodeReply, error) {
	f.record(Call{Method: "Act", Selector: sel.String(), Names: slices.Clone(names), Action: a})
	switch {
	case f.NotFleet:
		return nil, fleet.ErrNotFleet
	case len(names) == 0:
		return nil, errors.New("fleet: no process names")
	}
	switch a.Verb {
	case "start", "stop", "restart", "signal":
	default:
		return nil, fmt.Errorf("%w %q", fleet.ErrBadVerb, a.Verb)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fleet.NodeReply
	for _, n := range f.selected(sel) {
		r := fleet.NodeReply{Node: n.Name, Err: f.Down[n.Name]}
		if r.Err == nil {
			r.Results = []fleet.Result{}
			procs := f.Processes[n.Name]
			for _, spec := range names {
				found := false
				for i := range procs {
					if !matches(spec, procs[i]) {
						continue
					}
					found = true
					code := f.apply(a, &procs[i])
					r.Results = append(r.Results, fleet.Result{Node: n.Name, Group: procs[i].Group, Name: procs[i].Name,
						Code: code, Description: description(code, procs[i])})
				}
				if !found {
					group, name := conf.SplitNamespec(spec)
					r.Results = append(r.Results, fleet.Result{Node: n.Name, Group: group, Name: name,
						Code: xmlrpc.FaultBadName, Description: "BAD_NAME: " + spec})
				}
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// apply does a to p and returns the outcome's code.
func (f *Fake) apply(a fleet.Action, p *fleet.Process) int {
	isRunning := p.State == running
	switch a.Verb {
	case "start":
		if isRunning {
			return xmlrpc.FaultAlreadyStarted
		}
	case "stop":
		if !isRunning {
			return xmlrpc.FaultNotRunning
		}
		p.State, p.StateName, p.PID, p.Stop = stopped, "STOPPED", 0, f.Now
		p.Description = f.Now.Format("Jan 02 03:04 PM")
		return xmlrpc.FaultSuccess
	case "signal":
		if a.Signal == "BOGUS" {
			return xmlrpc.FaultBadSignal
		}
		if !isRunning {
			return xmlrpc.FaultNotRunning
		}
		return xmlrpc.FaultSuccess
	}
	p.State, p.StateName, p.PID, p.Start = running, "RUNNING", p.PID+1000, f.Now
	p.Description = fmt.Sprintf("pid %d, uptime 0:00:00", p.PID)
	return xmlrpc.FaultSuccess
}

func description(code int, p fleet.Process) string {
	spec := p.Group + ":" + p.Name
	switch code {
	case xmlrpc.FaultSuccess:
		return "OK"
	case xmlrpc.FaultBadSignal:
		return "BAD_SIGNAL: BOGUS"
	}
	return xmlrpc.FaultName(code) + ": " + spec
}

// Events opens a stream of the events Emit sends to the selected nodes
// that answer.
func (f *Fake) Events(ctx context.Context, sel selector.Selector, types []string) (<-chan fleet.Line, error) {
	c := Call{Method: "Events", Selector: sel.String(), Types: slices.Clone(types)}
	return f.open(ctx, c, sel, &sub{types: types})
}

// Tail opens a stream of the log lines Emit sends to the selected nodes
// that answer.
func (f *Fake) Tail(ctx context.Context, sel selector.Selector, name, stream string) (<-chan fleet.Line, error) {
	c := Call{Method: "Tail", Selector: sel.String(), Name: name, Stream: stream}
	return f.open(ctx, c, sel, &sub{tail: true})
}

func (f *Fake) open(ctx context.Context, c Call, sel selector.Selector, s *sub) (<-chan fleet.Line, error) {
	f.record(c)
	if f.NotFleet {
		return nil, fleet.ErrNotFleet
	}
	s.ctx, s.ch, s.nodes = ctx, make(chan fleet.Line, 64), map[string]bool{}
	f.Opened() // made before the lock is taken
	f.mu.Lock()
	for _, n := range f.selected(sel) {
		if f.Down[n.Name] == nil {
			s.nodes[n.Name] = true
		}
	}
	f.subs = append(f.subs, s)
	f.mu.Unlock()
	// The stream ends with its context, as a real gateway's does.
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.subs = slices.DeleteFunc(f.subs, func(x *sub) bool { return x == s })
		close(s.ch)
	}()
	f.opened <- c
	return s.ch, nil
}

// Emit sends l to every open stream of its kind (an event when l.Event is
// set, a log line otherwise) that selected l's node, and of an event
// stream asked for types, those whose types hold l's event or a prefix of
// it (PROCESS_STATE holds PROCESS_STATE_RUNNING). It returns how many
// streams it went to.
func (f *Fake) Emit(l fleet.Line) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, s := range f.subs {
		if s.tail != (l.Event == "") || !s.nodes[l.Node] || s.ctx.Err() != nil {
			continue
		}
		if len(s.types) > 0 && !slices.ContainsFunc(s.types, func(t string) bool { return strings.HasPrefix(l.Event, t) }) {
			continue
		}
		select {
		case s.ch <- l:
			n++
		case <-s.ctx.Done():
		}
	}
	return n
}

// Sample is a fleet of three nodes seen from node-a at now:
//
//	node-a  role=web,zone=a  itself; web:web_0 RUNNING, web:web_1 STOPPED
//	node-b  role=web,zone=b  web:web_0 RUNNING
//	node-c  role=db,zone=a   does not answer (ErrUnreachable)
func Sample(now time.Time) *Fake {
	up := func(pid int, since time.Duration) fleet.Process {
		return fleet.Process{Group: "web", Name: "web_0", State: running, StateName: "RUNNING", PID: pid,
			Start: now.Add(-since), Description: fmt.Sprintf("pid %d, uptime %s", pid, uptime(since))}
	}
	down := fleet.Process{Group: "web", Name: "web_1", State: stopped, StateName: "STOPPED",
		Start: now.Add(-time.Hour), Stop: now.Add(-30 * time.Minute), Description: now.Add(-30 * time.Minute).Format("Jan 02 03:04 PM")}
	return &Fake{
		Members: []fleet.Node{
			{Name: "node-b", Labels: map[string]string{"role": "web", "zone": "b"}, Address: "10.0.0.2:7947", Gossip: "10.0.0.2:7946",
				State: "alive", LastSeen: now.Add(-2 * time.Second)},
			{Name: "node-a", Labels: map[string]string{"role": "web", "zone": "a"}, Address: "10.0.0.1:7947", Gossip: "10.0.0.1:7946",
				State: "alive", LastSeen: now, Self: true},
			{Name: "node-c", Labels: map[string]string{"role": "db", "zone": "a"}, Address: "10.0.0.3:7947", Gossip: "10.0.0.3:7946",
				State: "suspect", LastSeen: now.Add(-95 * time.Second)},
		},
		Processes: map[string][]fleet.Process{
			"node-a": {up(4242, 62*time.Second), down},
			"node-b": {up(17, 3*time.Hour)},
		},
		Down: map[string]error{"node-c": fmt.Errorf("%w: no answer within 5s", fleet.ErrUnreachable)},
		Now:  now,
	}
}

// uptime is a duration as status shows it: H:MM:SS.
func uptime(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}
