package webui

// The fleet view (fleet.html): when the daemon is a node of a fleet, a grid
// of the selected nodes' processes, one row per program and one column per
// node, kept up to date, with the local page's actions on one process of
// one node (a cell) or on a program on every selected node (a row).
//
// Live: the page follows ui/fleet, a stream of snapshots of the whole grid
// made from Gateway.Status every fleetEvery (and at once after an action
// taken here), each sent only when it differs from the last. Polling the
// gateway rather than following its merged event stream keeps what is
// shown the fleet's own answer: a node that joins or leaves, turns
// unreachable or comes back, changes labels or gets new programs shows up
// without an event for it, and no event lost while a node was away leaves
// a cell wrong. It costs one fan-out per open page every two seconds.

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/auth"
	"supervisord/internal/fleet"
	"supervisord/internal/rpcinterface"
	"supervisord/internal/sse"
	"supervisord/protocol/selector"
	"supervisord/protocol/xmlrpc"
)

// fleetEvery is how often an open fleet view is refreshed.
const fleetEvery = 2 * time.Second

// fleetHead is a node's column head.
type fleetHead struct {
	Name        string
	Labels      string // as [fleet] labels= writes them
	State       string // alive, suspect, dead or left
	Self        bool   // the node serving the page
	Unreachable bool   // it did not answer
	Why         string // why not
}

// fleetCell is one program on one node.
type fleetCell struct {
	Node, Namespec string
	Has            bool // the node has the program
	Unreachable    bool // the node did not answer: unknown
	StateName      string
	Description    string
	Actions        []string // the buttons the viewer may use
}

// Status is the state as the local page shows it, in lower case.
func (c fleetCell) Status() string { return strings.ToLower(c.StateName) }

// Label is an action's button text.
func (fleetCell) Label(action string) string { return actionLabels[action] }

// Key is what the cell shows but its description: the page's script
// replaces a cell whose key changed and only retitles one whose key did
// not (its uptime moved on), so a button under the pointer stays put.
func (c fleetCell) Key() string {
	return fmt.Sprintf("%t %t %s %v", c.Has, c.Unreachable, c.StateName, c.Actions)
}

// fleetRow is one program (a namespec) across the nodes.
type fleetRow struct {
	Namespec string
	Cells    []fleetCell
	Operate  bool   // the viewer may act on it on every node
	Selector string // the page's selector: the nodes a row's action goes to
}

// fleetGrid is what the fleet view shows: the selected nodes and their
// programs.
type fleetGrid struct {
	Nodes []fleetHead
	Rows  []fleetRow
}

// fleetPage is what fleet.html renders.
type fleetPage struct {
	Identifier, Version string
	Message             string
	MessageIsError      bool
	Selector            string
	BadSelector         bool // Message says why; no grid
	Grid                fleetGrid
}

// fleetGrid asks the selected nodes for their processes and lays them out,
// programs in the local page's order, nodes in name order, as the viewer
// may act on them.
func (h *Handler) fleetGrid(ctx context.Context, sel selector.Selector, selText string) fleetGrid {
	role := min(auth.From(ctx).Role, auth.Operate) // no clearlog in the fleet
	known := map[string]fleet.Node{}
	for _, n := range h.opts.Fleet.Nodes() {
		known[n.Name] = n
	}
	replies := h.opts.Fleet.Status(ctx, sel, nil)
	var g fleetGrid
	type prog struct{ group, name string }
	has := make([]map[prog]fleet.Process, len(replies))
	progs := map[prog]bool{}
	for i, r := range replies {
		n := known[r.Node]
		head := fleetHead{Name: r.Node, Labels: selector.FormatLabels(n.Labels), State: n.State, Self: n.Self}
		if r.Err != nil {
			head.Unreachable, head.Why = true, strings.TrimPrefix(r.Err.Error(), "fleet: ")
		}
		g.Nodes = append(g.Nodes, head)
		has[i] = map[prog]fleet.Process{}
		for _, p := range r.Processes {
			has[i][prog{p.Group, p.Name}] = p
			progs[prog{p.Group, p.Name}] = true
		}
	}
	sorted := make([]prog, 0, len(progs))
	for p := range progs {
		sorted = append(sorted, p)
	}
	slices.SortFunc(sorted, func(a, b prog) int { return cmp.Or(cmp.Compare(a.group, b.group), cmp.Compare(a.name, b.name)) })
	for _, p := range sorted {
		row := fleetRow{Namespec: conf.Namespec(p.group, p.name), Operate: role >= auth.Operate, Selector: selText}
		for i, head := range g.Nodes {
			c := fleetCell{Node: head.Name, Namespec: row.Namespec, Unreachable: head.Unreachable}
			if in, ok := has[i][p]; ok {
				c.Has, c.StateName, c.Description = true, in.StateName, in.Description
				c.Actions = actionsFor(actors.ProcessInfo{State: actors.State(in.State)}, role)
			}
			row.Cells = append(row.Cells, c)
		}
		g.Rows = append(g.Rows, row)
	}
	return g
}

// fleetView serves fleet.html[?selector=S][&message=M]: the grid of the
// nodes S selects (all by default). A selector that does not parse is
// 400, its error shown over the box that holds it.
func (h *Handler) fleetView(w http.ResponseWriter, r *http.Request) {
	if h.opts.Fleet == nil {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	msg := r.Form.Get("message")
	h.renderFleet(w, r, http.StatusOK, fleetPage{Message: msg, MessageIsError: isError(msg), Selector: r.Form.Get("selector")})
}

func (h *Handler) renderFleet(w http.ResponseWriter, r *http.Request, code int, p fleetPage) {
	p.Identifier, p.Version = h.opts.Identifier, rpcinterface.Version
	sel, err := selector.Parse(p.Selector)
	if err != nil {
		p.Message, p.MessageIsError, p.BadSelector = "ERROR: "+err.Error(), true, true
		h.writePage(w, http.StatusBadRequest, "fleet.html", p)
		return
	}
	p.Grid = h.fleetGrid(r.Context(), sel, p.Selector)
	h.writePage(w, code, "fleet.html", p)
}

// fleetVerbs are the fleet view's actions: start, stop or restart one
// process (a namespec) on one node (node=) or on every node the selector
// (selector=) picks. Each takes the role its local action takes.
var fleetVerbs = map[string]string{"start": "started", "stop": "stopped", "restart": "restarted"}

// fleetAct takes a fleet view's action (POST fleet.html: action,
// processname, and node or selector), with the local page's checks: not
// from another site, the role of the XML-RPC method that does the same,
// an audit line. A script's fetch asking for JSON gets {"message",
// "error"}; a form is redirected to the view with the message.
func (h *Handler) fleetAct(w http.ResponseWriter, r *http.Request) {
	if h.opts.Fleet == nil {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := h.crossSite(r); err != nil {
		h.refuse(w, r, err) // a POST: 403 and the outcome as JSON
		return
	}
	action, spec, node, selText := r.Form.Get("action"), r.Form.Get("processname"), r.Form.Get("node"), r.Form.Get("selector")
	if fleetVerbs[action] == "" || spec == "" {
		http.Error(w, "unknown action "+action, http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	if need := actionRole(action); !auth.Allowed(ctx, need) {
		msg := refusal(ctx, action, need)
		if wantsJSON(r) {
			writeJSON(w, http.StatusForbidden, map[string]any{"message": msg, "error": true})
			return
		}
		h.renderFleet(w, r, http.StatusForbidden, fleetPage{Message: msg, MessageIsError: true, Selector: selText})
		return
	} else if auth.From(ctx).User != "" {
		where := "selector=" + conf.PyRepr(selText)
		if node != "" {
			where = "node=" + conf.PyRepr(node)
		}
		auth.Audit(h.opts.Log, ctx, "page fleet "+action, conf.PyRepr(spec), where)
	}
	msg, failed := h.fleetAction(ctx, action, spec, node, selText)
	h.kicks.kick() // the open views show what it did at once
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]any{"message": msg, "error": failed})
		return
	}
	q := url.Values{"message": {msg}}
	if selText != "" {
		q.Set("selector", selText)
	}
	w.Header().Set("Location", "fleet.html?"+q.Encode())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusSeeOther)
}

// fleetAction acts and words the outcome as the local page words its
// own: "Process web:w_0 stopped on n1", and each node's failure after
// " with errors: ". A row's action skips the nodes that lack the program.
func (h *Handler) fleetAction(ctx context.Context, action, spec, node, selText string) (msg string, failed bool) {
	text := selText
	if node != "" {
		text = fleet.NodeLabel + "=" + node
	}
	sel, err := selector.Parse(text)
	if err != nil {
		if node != "" {
			return "ERROR: a selector cannot name node " + conf.PyRepr(node), true
		}
		return "ERROR: " + err.Error(), true
	}
	replies, err := h.opts.Fleet.Act(ctx, fleet.Action{Verb: action}, sel, []string{spec})
	if err != nil {
		return "ERROR: " + strings.TrimPrefix(err.Error(), "fleet: "), true
	}
	var done, lacking, failures []string
	for _, r := range replies {
		if r.Err != nil {
			failures = append(failures, r.Node+": "+strings.TrimPrefix(r.Err.Error(), "fleet: "))
			continue
		}
		ok, bad := false, false
		for _, res := range r.Results {
			switch {
			case res.Code == xmlrpc.FaultSuccess:
				ok = true
			case res.Code == xmlrpc.FaultBadName && node == "":
			default:
				bad = true
				failures = append(failures, r.Node+": "+res.Description)
			}
		}
		switch {
		case ok && !bad:
			done = append(done, r.Node)
		case !ok && !bad && node == "":
			lacking = append(lacking, r.Node)
		case !ok && !bad:
			failures = append(failures, r.Node+": no process named "+spec)
		}
	}
	switch {
	case len(replies) == 0 && node != "":
		return "ERROR: no node named " + node + " in the fleet", true
	case len(replies) == 0:
		return "ERROR: no node is selected", true
	case len(done) == 0 && len(failures) == 0:
		return "ERROR: no selected node has " + spec, true
	case len(done) == 0:
		return "ERROR: Process " + spec + " not " + fleetVerbs[action] + ": " + strings.Join(failures, "; "), true
	}
	msg = "Process " + spec + " " + fleetVerbs[action] + " on " + strings.Join(done, ", ")
	if len(lacking) > 0 {
		msg += " (not on " + strings.Join(lacking, ", ") + ")"
	}
	if len(failures) > 0 {
		return msg + " with errors: " + strings.Join(failures, "; "), true
	}
	return msg, false
}

// fleetEvents streams the fleet view's grid (GET ui/fleet?selector=S): a
// "snapshot" event {"html"} with the grid at once, then again each time
// it changes, looked at every fleetEvery and at once after an action taken
// from a page; a "supervisor" event {"down": true} last when the daemon
// goes down. It ends when the client goes away.
func (h *Handler) fleetEvents(w http.ResponseWriter, r *http.Request) {
	if h.opts.Fleet == nil {
		http.NotFound(w, r)
		return
	}
	selText := r.URL.Query().Get("selector")
	sel, err := selector.Parse(selText)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	kick := h.kicks.join()
	defer h.kicks.leave(kick)
	out := sse.Start(w)
	defer out.End()
	done := h.streamDone(ctx)
	every := time.NewTicker(fleetEvery)
	defer every.Stop()
	ping := time.NewTicker(sse.KeepAlive)
	defer ping.Stop()
	last := ""
	for {
		html, err := renderString("fleetgrid", h.fleetGrid(ctx, sel, selText))
		if err != nil || ctx.Err() != nil {
			return
		}
		if html != last {
			if out.Send("snapshot", "", map[string]any{"html": html}) != nil {
				return
			}
			last = html
		}
		select {
		case <-done:
			if ctx.Err() == nil { // the daemon is going down
				out.Send("supervisor", "", map[string]any{"stopping": true, "down": true})
			}
			return
		case <-every.C:
		case <-kick:
		case <-ping.C:
			if out.Comment("ping") != nil { // and a look, as for a tick
				return
			}
		}
	}
}

// kicks wakes the open fleet streams after an action.
type kicks struct {
	mu   sync.Mutex
	subs map[chan struct{}]struct{}
}

func (k *kicks) join() chan struct{} {
	ch := make(chan struct{}, 1)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.subs == nil {
		k.subs = map[chan struct{}]struct{}{}
	}
	k.subs[ch] = struct{}{}
	return ch
}

func (k *kicks) leave(ch chan struct{}) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.subs, ch)
}

func (k *kicks) kick() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for ch := range k.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// open is how many streams are open.
func (k *kicks) open() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.subs)
}

// refusal words an action the request's role may not take.
func refusal(ctx context.Context, action string, need auth.Role) string {
	return fmt.Sprintf("ERROR: role %s may not %s (it takes %s)", auth.From(ctx).Role, action, need)
}
