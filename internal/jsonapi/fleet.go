package jsonapi

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"supervisord/conf"
	"supervisord/internal/fleet"
	"supervisord/internal/sse"
	"supervisord/protocol/events"
	"supervisord/protocol/selector"
	"supervisord/protocol/xmlrpc"
)

// The fleet's routes, /api/v1/fleet/...: any node answers for every node
// of the fleet it is in, through Options.Fleet. Nodes are picked by a
// label selector (selector=, or the body's "selector"; "" picks every
// node) and answer one entry each, by name: {"node", "error",
// "unreachable", ...}, error being "" for a node that answered and why
// not otherwise (unreachable: it gave no answer at all). A daemon in no
// fleet answers 404 NOT_IN_FLEET.

// FleetNode is a node of the fleet.
type FleetNode struct {
	Name     string            `json:"name"`
	Labels   map[string]string `json:"labels"`
	Address  string            `json:"address"` // its fleet address, host:port
	Gossip   string            `json:"gossip"`  // its membership (gossip) address
	State    string            `json:"state"`   // alive, suspect, dead or left
	LastSeen int64             `json:"last_seen"`
	Self     bool              `json:"self"`
}

// FleetProcess is a process of a node: the members of Process that a
// node reports, and the node.
type FleetProcess struct {
	Node        string `json:"node"`
	Name        string `json:"name"`
	Group       string `json:"group"`
	Namespec    string `json:"namespec"`
	State       int    `json:"state"`
	Statename   string `json:"statename"`
	Description string `json:"description"`
	Start       int64  `json:"start"`
	Stop        int64  `json:"stop"`
	Now         int64  `json:"now"` // this node's clock when it answers
	PID         int    `json:"pid"`
	ExitStatus  int    `json:"exitstatus"`
	SpawnErr    string `json:"spawnerr"`
}

// FleetStatus is one node's processes.
type FleetStatus struct {
	Node        string         `json:"node"`
	Error       string         `json:"error"`
	Unreachable bool           `json:"unreachable"`
	Processes   []FleetProcess `json:"processes"`
}

// FleetOutcome is what an action did to one process of one node, as
// Outcome says it.
type FleetOutcome struct {
	Node    string `json:"node"`
	Group   string `json:"group"`
	Name    string `json:"name"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// FleetResults is what an action did on one node.
type FleetResults struct {
	Node        string         `json:"node"`
	Error       string         `json:"error"`
	Unreachable bool           `json:"unreachable"`
	Results     []FleetOutcome `json:"results"`
}

// notInFleet is every fleet route's answer on a daemon without [fleet].
func notInFleet() *Error {
	return &Error{Code: codeNotInFleet, Message: "this daemon is not in a fleet ([fleet] section)"}
}

// fleetError words a gateway's failure of a whole request.
func fleetError(err error) *Error {
	switch {
	case errors.Is(err, fleet.ErrNotFleet):
		return notInFleet()
	case errors.Is(err, fleet.ErrBadVerb):
		return badRequest(err.Error())
	}
	return apiError(err, "")
}

// gateway is the fleet, or NOT_IN_FLEET.
func (h *Handler) gateway() (fleet.Gateway, error) {
	if h.opts.Fleet == nil {
		return nil, notInFleet()
	}
	return h.opts.Fleet, nil
}

// nodeError is a node's error as the answers carry it.
func nodeError(err error) (text string, unreachable bool) {
	if err == nil {
		return "", false
	}
	return err.Error(), errors.Is(err, fleet.ErrUnreachable)
}

// gatewayAndSelector is the gateway and the query's selector of a fleet
// route that reads.
func (h *Handler) gatewayAndSelector(c *call) (fleet.Gateway, selector.Selector, error) {
	gw, err := h.gateway()
	if err != nil {
		return nil, selector.Selector{}, err
	}
	sel, err := querySelector(c)
	return gw, sel, err
}

// querySelector is ?selector=, every node when absent.
func querySelector(c *call) (selector.Selector, error) {
	text, _ := c.q.text("selector")
	sel, err := selector.Parse(text)
	if err != nil {
		return sel, badRequest("query parameter selector: " + err.Error())
	}
	return sel, nil
}

// list is a query parameter holding a list separated by commas, each
// item trimmed; none when absent or empty.
func list(c *call, name string) []string {
	text, _ := c.q.text(name)
	var out []string
	for _, s := range strings.Split(text, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (h *Handler) fleetNodes(*call) (any, error) {
	gw, err := h.gateway()
	if err != nil {
		return nil, err
	}
	nodes := []FleetNode{}
	for _, n := range gw.Nodes() {
		labels := map[string]string{}
		for k, v := range n.Labels {
			labels[k] = v
		}
		nodes = append(nodes, FleetNode{Name: n.Name, Labels: labels, Address: n.Address, Gossip: n.Gossip,
			State: n.State, LastSeen: stamp(n.LastSeen), Self: n.Self})
	}
	return map[string]any{"nodes": nodes}, nil
}

func (h *Handler) fleetProcesses(c *call) (any, error) {
	gw, sel, err := h.gatewayAndSelector(c)
	if err != nil {
		return nil, err
	}
	now := stamp(time.Now())
	out := []FleetStatus{}
	for _, r := range gw.Status(c.ctx, sel, list(c, "name")) {
		s := FleetStatus{Node: r.Node, Processes: []FleetProcess{}}
		s.Error, s.Unreachable = nodeError(r.Err)
		for _, p := range r.Processes {
			node := p.Node
			if node == "" {
				node = r.Node
			}
			s.Processes = append(s.Processes, FleetProcess{Node: node, Name: p.Name, Group: p.Group,
				Namespec: conf.Namespec(p.Group, p.Name), State: p.State, Statename: p.StateName,
				Description: p.Description, Start: stamp(p.Start), Stop: stamp(p.Stop), Now: now, PID: p.PID,
				ExitStatus: p.ExitStatus, SpawnErr: p.SpawnErr})
		}
		out = append(out, s)
	}
	return map[string]any{"nodes": out}, nil
}

// fleetBody is what an action on the fleet takes: {"selector": "role=web",
// "names": ["web:*"]}.
type fleetBody struct {
	Selector string   `json:"selector"`
	Names    []string `json:"names"`
	sel      selector.Selector
}

func (b *fleetBody) check() error {
	sel, err := selector.Parse(b.Selector)
	if err != nil {
		return badRequest("field selector: " + err.Error())
	}
	b.sel = sel
	if len(b.Names) == 0 {
		return badRequest("field names is required: the processes to act on (name, group:name, group:*)")
	}
	return nil
}

func (b *fleetBody) auditArgs() []string {
	return []string{"selector=" + strconv.Quote(b.Selector), "names=" + strings.Join(b.Names, ",")}
}

// fleetSignalBody is what signalling the fleet takes: fleetBody's fields
// and {"signal": "HUP"}.
type fleetSignalBody struct {
	fleetBody
	Signal string `json:"signal"`
}

func (b *fleetSignalBody) check() error {
	if b.Signal == "" {
		return badRequest("field signal is required")
	}
	return b.fleetBody.check()
}

func (b *fleetSignalBody) auditArgs() []string {
	return append(b.fleetBody.auditArgs(), "signal="+b.Signal)
}

// fleetAction is a route doing verb to the processes its body names on the
// nodes it selects.
func fleetAction(verb string) func(*Handler, *call) (any, error) {
	return func(h *Handler, c *call) (any, error) {
		gw, err := h.gateway()
		if err != nil {
			return nil, err
		}
		a := fleet.Action{Verb: verb}
		var b *fleetBody
		switch x := c.body.(type) {
		case *fleetBody:
			b = x
		case *fleetSignalBody:
			b, a.Signal = &x.fleetBody, x.Signal
		}
		replies, err := gw.Act(c.ctx, a, b.sel, b.Names)
		if err != nil {
			return nil, fleetError(err)
		}
		out := []FleetResults{}
		for _, r := range replies {
			res := FleetResults{Node: r.Node, Results: []FleetOutcome{}}
			res.Error, res.Unreachable = nodeError(r.Err)
			for _, x := range r.Results {
				node := x.Node
				if node == "" {
					node = r.Node
				}
				res.Results = append(res.Results, FleetOutcome{Node: node, Group: x.Group, Name: x.Name,
					Code: xmlrpc.FaultName(x.Code), Message: x.Description})
			}
			out = append(out, res)
		}
		return map[string]any{"nodes": out}, nil
	}
}

// fleetEventData is an event's data: its node and its payload as the node
// sent it (a string if that was not JSON).
type fleetEventData struct {
	Node    string          `json:"node"`
	Payload json.RawMessage `json:"payload"`
}

// fleetEvents streams the events of the selected nodes: each event named
// by its type, its data {"node", "payload"}.
func (h *Handler) fleetEvents(c *call) (any, error) {
	gw, sel, err := h.gatewayAndSelector(c)
	if err != nil {
		return nil, err
	}
	types := list(c, "types")
	for _, name := range types {
		if _, ok := events.TypeByName(name); !ok {
			return nil, badRequest("query parameter types: no event type " + strconv.Quote(name))
		}
	}
	return h.fleetStream(c, func(ctx context.Context) (<-chan fleet.Line, error) {
		return gw.Events(ctx, sel, types)
	}, func(l fleet.Line) (string, []byte) {
		payload := json.RawMessage(l.Text)
		if !json.Valid(payload) {
			payload = mustJSON(l.Text)
		}
		return l.Event, mustJSON(fleetEventData{Node: l.Node, Payload: payload})
	})
}

// fleetLogLine is a log line's data.
type fleetLogLine struct {
	Node string `json:"node"`
	Text string `json:"text"`
}

// fleetLog streams the output of a process (?name=, ?stream= stdout or
// stderr) on the selected nodes that have it, or their main logs (no
// name): each event's data {"node", "text"}.
func (h *Handler) fleetLog(c *call) (any, error) {
	gw, sel, err := h.gatewayAndSelector(c)
	if err != nil {
		return nil, err
	}
	name, _ := c.q.text("name")
	stream, given := c.q.text("stream")
	switch {
	case given && name == "":
		return nil, badRequest("query parameter stream needs name: the main log has no streams")
	case !given:
		stream = "stdout"
	case stream != "stdout" && stream != "stderr":
		return nil, badRequest("query parameter stream: " + strconv.Quote(stream) + " is not stdout or stderr")
	}
	if name == "" {
		stream = ""
	}
	return h.fleetStream(c, func(ctx context.Context) (<-chan fleet.Line, error) {
		return gw.Tail(ctx, sel, name, stream)
	}, func(l fleet.Line) (string, []byte) {
		return "", mustJSON(fleetLogLine{Node: l.Node, Text: l.Text})
	})
}

// fleetStream opens a merged stream and sends its lines as server-sent
// events until it ends, the client goes or the API is closed.
func (h *Handler) fleetStream(c *call, open func(context.Context) (<-chan fleet.Line, error),
	event func(fleet.Line) (name string, data []byte)) (any, error) {
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel() // which ends the gateway's stream
	lines, err := open(ctx)
	if err != nil {
		return nil, fleetError(err)
	}
	out := sse.Start(c.w)
	defer out.End()
	if out.Flush() != nil {
		return nil, nil
	}
	done := h.streamDone(ctx)
	ping := time.NewTicker(sse.KeepAlive)
	defer ping.Stop()
	queue := func(l fleet.Line) {
		name, data := event(l)
		out.Queue(name, "", data)
	}
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				return nil, nil
			}
			queue(l)
			// What else is waiting goes out in the same write.
			for more := true; more && out.Buffered() < flushAt; {
				select {
				case l, ok := <-lines:
					if !ok {
						out.Flush()
						return nil, nil
					}
					queue(l)
				default:
					more = false
				}
			}
			if out.Flush() != nil {
				return nil, nil
			}
		case <-ping.C:
			if out.Comment("ping") != nil {
				return nil, nil
			}
		case <-done:
			return nil, nil
		}
	}
}
