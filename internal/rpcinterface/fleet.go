package rpcinterface

import (
	"context"
	"errors"
	"fmt"
	"time"

	"supervisord/internal/fleet"
	"supervisord/protocol/selector"
	"supervisord/protocol/xmlrpc"
)

// The fleet.* methods answer for every node of the fleet this daemon is
// in, through Options.Fleet; like the config.* methods they are ours and
// left out of system.listMethods. Each per-node answer is a struct
// {node, error, unreachable, ...}: error is "" for a node that answered,
// or why it did not (unreachable is true when it gave no answer at all).
func (h *Handler) fleetMethods(m map[string]method) {
	x := func(fn func(context.Context, []any) (any, error), help string, sig []string, names ...string) method {
		return method{fn: fn, sig: sig, required: len(sig) - 1, names: names, help: help, guarded: true, unlisted: true}
	}
	m["fleet.getNodes"] = x(h.fleetNodes,
		"The nodes of the fleet, this one included: [{name, labels, address, gossip, state, last_seen, self}]; "+
			"state is alive, suspect, dead or left, last_seen Unix seconds (0: never).", []string{"array"})
	m["fleet.getAllProcessInfo"] = x(h.fleetStatus,
		"The processes of each node the selector picks (\"\": every node), only the named ones if names is not empty: "+
			"[{node, error, unreachable, processes: [getProcessInfo's members and node]}], by node name.",
		[]string{"array", "string", "array"}, "selector", "names")
	act := func(verb string) func(context.Context, []any) (any, error) {
		return func(ctx context.Context, params []any) (any, error) {
			return h.fleetAct(ctx, fleet.Action{Verb: verb}, params[0], params[1])
		}
	}
	results := "[{node, error, unreachable, results: [{node, group, name, status, description}]}], by node name."
	m["fleet.startProcesses"] = x(act("start"),
		"Start the named processes (name, group:name, group:*) on each node the selector picks, waiting for each: "+results,
		[]string{"array", "string", "array"}, "selector", "names")
	m["fleet.stopProcesses"] = x(act("stop"),
		"Stop the named processes on each node the selector picks, waiting for each: "+results,
		[]string{"array", "string", "array"}, "selector", "names")
	m["fleet.restartProcesses"] = x(act("restart"),
		"Stop, then start, the named processes on each node the selector picks: "+results,
		[]string{"array", "string", "array"}, "selector", "names")
	m["fleet.signalProcesses"] = x(h.fleetSignal,
		"Send a signal (a name or a number) to the named processes on each node the selector picks: "+results,
		[]string{"array", "string", "string", "array"}, "selector", "signal", "names")
}

// notInFleet is every fleet.* method's fault on a daemon without [fleet].
func notInFleet() *Fault {
	return fault(xmlrpc.FaultFailed, "this daemon is not in a fleet ([fleet] section)")
}

// fleetGateway is the gateway, or the fault saying there is none.
func (h *Handler) fleetGateway() (fleet.Gateway, error) {
	if h.opts.Fleet == nil {
		return nil, notInFleet()
	}
	return h.opts.Fleet, nil
}

// fleetFault words a gateway's failure of a whole call.
func fleetFault(err error) *Fault {
	switch {
	case errors.Is(err, fleet.ErrNotFleet):
		return notInFleet()
	case errors.Is(err, fleet.ErrBadVerb):
		return fault(xmlrpc.FaultBadArguments, err.Error())
	}
	return asFault(err, "")
}

// fleetSelector reads a selector parameter: BAD_ARGUMENTS saying why it
// does not parse.
func fleetSelector(v any) (selector.Selector, error) {
	text, ok := str(v)
	if !ok {
		return selector.Selector{}, fault(xmlrpc.FaultBadArguments, "the selector must be a string, not "+pyStr(v))
	}
	sel, err := selector.Parse(text)
	if err != nil {
		return selector.Selector{}, fault(xmlrpc.FaultBadArguments, err.Error())
	}
	return sel, nil
}

// fleetNames reads a names parameter, an array of strings.
func fleetNames(v any) ([]string, error) {
	var list []any
	switch x := v.(type) {
	case []any:
		list = x
	case []string:
		return x, nil
	default:
		return nil, fault(xmlrpc.FaultBadArguments, "names must be an array of strings, not "+pyStr(v))
	}
	names := make([]string, len(list))
	for i, e := range list {
		s, ok := str(e)
		if !ok {
			return nil, fault(xmlrpc.FaultBadArguments, fmt.Sprintf("names[%d] must be a string, not %s", i, pyStr(e)))
		}
		names[i] = s
	}
	return names, nil
}

// nodeErr is a node's error as the answers carry it: its text ("" for
// none) and whether the node gave no answer at all.
func nodeErr(err error) (text string, unreachable bool) {
	if err == nil {
		return "", false
	}
	return err.Error(), errors.Is(err, fleet.ErrUnreachable)
}

func (h *Handler) fleetNodes(context.Context, []any) (any, error) {
	gw, err := h.fleetGateway()
	if err != nil {
		return nil, err
	}
	nodes := gw.Nodes()
	out := make([]xmlrpc.Struct, len(nodes))
	for i, n := range nodes {
		labels := make(map[string]any, len(n.Labels))
		for k, v := range n.Labels {
			labels[k] = v
		}
		out[i] = xmlrpc.Struct{
			{Name: "name", Value: n.Name},
			{Name: "labels", Value: labels},
			{Name: "address", Value: n.Address},
			{Name: "gossip", Value: n.Gossip},
			{Name: "state", Value: n.State},
			{Name: "last_seen", Value: epoch(n.LastSeen)},
			{Name: "self", Value: n.Self},
		}
	}
	return out, nil
}

// fleetProcessStruct is a process of a node as getProcessInfo describes
// one, with its node; now is this node's clock when it answers.
func fleetProcessStruct(p fleet.Process, now time.Time) xmlrpc.Struct {
	return xmlrpc.Struct{
		{Name: "node", Value: p.Node},
		{Name: "name", Value: p.Name},
		{Name: "group", Value: p.Group},
		{Name: "start", Value: epoch(p.Start)},
		{Name: "stop", Value: epoch(p.Stop)},
		{Name: "now", Value: epoch(now)},
		{Name: "state", Value: p.State},
		{Name: "statename", Value: p.StateName},
		{Name: "spawnerr", Value: p.SpawnErr},
		{Name: "exitstatus", Value: p.ExitStatus},
		{Name: "pid", Value: p.PID},
		{Name: "description", Value: p.Description},
	}
}

func (h *Handler) fleetStatus(ctx context.Context, params []any) (any, error) {
	gw, err := h.fleetGateway()
	if err != nil {
		return nil, err
	}
	sel, err := fleetSelector(params[0])
	if err != nil {
		return nil, err
	}
	names, err := fleetNames(params[1])
	if err != nil {
		return nil, err
	}
	replies := gw.Status(ctx, sel, names)
	now := time.Now()
	out := make([]xmlrpc.Struct, len(replies))
	for i, r := range replies {
		procs := make([]xmlrpc.Struct, len(r.Processes))
		for j, p := range r.Processes {
			if p.Node == "" {
				p.Node = r.Node
			}
			procs[j] = fleetProcessStruct(p, now)
		}
		text, unreachable := nodeErr(r.Err)
		out[i] = xmlrpc.Struct{{Name: "node", Value: r.Node}, {Name: "error", Value: text},
			{Name: "unreachable", Value: unreachable}, {Name: "processes", Value: procs}}
	}
	return out, nil
}

func (h *Handler) fleetSignal(ctx context.Context, params []any) (any, error) {
	return h.fleetAct(ctx, fleet.Action{Verb: "signal", Signal: signalName(params[1])}, params[0], params[2])
}

// fleetAct does a to the processes namesParam names on the nodes selParam
// picks: BAD_ARGUMENTS for no names at all.
func (h *Handler) fleetAct(ctx context.Context, a fleet.Action, selParam, namesParam any) (any, error) {
	gw, err := h.fleetGateway()
	if err != nil {
		return nil, err
	}
	sel, err := fleetSelector(selParam)
	if err != nil {
		return nil, err
	}
	names, err := fleetNames(namesParam)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fault(xmlrpc.FaultBadArguments, "names is empty: name the processes to "+a.Verb)
	}
	replies, err := gw.Act(ctx, a, sel, names)
	if err != nil {
		return nil, fleetFault(err)
	}
	out := make([]xmlrpc.Struct, len(replies))
	for i, r := range replies {
		res := make([]xmlrpc.Struct, len(r.Results))
		for j, x := range r.Results {
			node := x.Node
			if node == "" {
				node = r.Node
			}
			res[j] = xmlrpc.Struct{{Name: "node", Value: node}, {Name: "group", Value: x.Group}, {Name: "name", Value: x.Name},
				{Name: "status", Value: x.Code}, {Name: "description", Value: x.Description}}
		}
		text, unreachable := nodeErr(r.Err)
		out[i] = xmlrpc.Struct{{Name: "node", Value: r.Node}, {Name: "error", Value: text},
			{Name: "unreachable", Value: unreachable}, {Name: "results", Value: res}}
	}
	return out, nil
}
