package fleet

import (
	"context"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/internal/fleet/fleetpb"
)

// agent is the one actor a node serves its peers (named fleet-agent in
// the fleet's own actor system, apart from the tree's): it answers their
// envelopes from the node's own daemon (Local).
//
// Accepts: *fleetpb.Envelope with a StatusRequest or ActionRequest
// (answered with a StatusReply or ActionReply, or an Error), a
// StreamRequest (echoed once the stream is open, or answered with an
// Error; then StreamItems are sent to the sender), a StreamCancel; an
// envelope without a body it knows (a newer node's) is answered with an
// Error. *actor.Terminated of a stream's receiver ends its streams.
// Emits: envelopes to the senders. Parent: the fleet's root. Failure
// policy: the default (restart); blocking work runs in goroutines, which
// answer the sender directly, so the mailbox never waits on the daemon.
type agent struct {
	local   Local
	log     *slog.Logger
	streams map[string]func() // cancels, by receiver and stream id
	watched map[string]int    // streams per receiver, for unwatching
}

// requestTimeout bounds what the agent waits for its daemon: a stop may
// wait out stopwaitsecs; the gateway gives up on its own timeout anyway.
const requestTimeout = 2 * time.Minute

func reply(body any) *fleetpb.Envelope {
	env := &fleetpb.Envelope{Version: protocolVersion}
	switch b := body.(type) {
	case *fleetpb.StatusReply:
		env.Body = &fleetpb.Envelope_StatusReply{StatusReply: b}
	case *fleetpb.ActionReply:
		env.Body = &fleetpb.Envelope_ActionReply{ActionReply: b}
	case *fleetpb.StreamRequest:
		env.Body = &fleetpb.Envelope_StreamRequest{StreamRequest: b}
	case *fleetpb.StreamItem:
		env.Body = &fleetpb.Envelope_StreamItem{StreamItem: b}
	case error:
		env.Body = &fleetpb.Envelope_Error{Error: &fleetpb.Error{Message: b.Error()}}
	}
	return env
}

func (a *agent) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *fleetpb.Envelope:
		a.envelope(c, m)
	case *actor.Terminated:
		prefix := m.Who.String() + "/"
		for k, cancel := range a.streams {
			if len(k) > len(prefix) && k[:len(prefix)] == prefix {
				cancel()
				delete(a.streams, k)
			}
		}
		delete(a.watched, m.Who.String())
	case *actor.Stopping:
		for _, cancel := range a.streams {
			cancel()
		}
	}
}

func (a *agent) envelope(c actor.Context, m *fleetpb.Envelope) {
	sender := c.Sender()
	if sender == nil {
		return // nobody to answer
	}
	root := c.ActorSystem().Root
	answer := func(body func(ctx context.Context) any) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			defer cancel()
			root.Send(sender, reply(body(ctx)))
		}()
	}
	switch b := m.GetBody().(type) {
	case *fleetpb.Envelope_StatusRequest:
		answer(func(ctx context.Context) any {
			procs, err := a.local.Status(ctx, b.StatusRequest.GetNames())
			if err != nil {
				return err
			}
			out := &fleetpb.StatusReply{}
			for _, p := range procs {
				out.Processes = append(out.Processes, processToWire(p))
			}
			return out
		})
	case *fleetpb.Envelope_ActionRequest:
		r := b.ActionRequest
		answer(func(ctx context.Context) any {
			results, err := a.local.Act(ctx, Action{Verb: r.GetVerb(), Signal: r.GetSignal()}, r.GetNames())
			if err != nil {
				return err
			}
			out := &fleetpb.ActionReply{}
			for _, res := range results {
				out.Results = append(out.Results, &fleetpb.Result{Group: res.Group, Name: res.Name,
					Code: int32(res.Code), Description: res.Description})
			}
			return out
		})
	case *fleetpb.Envelope_StreamRequest:
		a.open(c, sender, b.StreamRequest)
	case *fleetpb.Envelope_StreamCancel:
		k := sender.String() + "/" + b.StreamCancel.GetId()
		if cancel := a.streams[k]; cancel != nil {
			cancel()
			delete(a.streams, k)
		}
	default:
		c.Respond(reply(errUnknownRequest))
	}
}

var errUnknownRequest = errorString("fleet: a request this node does not know (from a newer version?)")

type errorString string

func (e errorString) Error() string { return string(e) }

// open starts a stream for sender: the node's events or a log, each item
// sent to sender as it comes.
func (a *agent) open(c actor.Context, sender *actor.PID, r *fleetpb.StreamRequest) {
	root := c.ActorSystem().Root
	id := r.GetId()
	emit := func(l Line) {
		root.Send(sender, reply(&fleetpb.StreamItem{Id: id, Event: l.Event, Text: l.Text}))
	}
	var cancel func()
	var err error
	switch r.GetKind() {
	case "events":
		cancel, err = a.local.Events(r.GetTypes(), emit)
	case "tail":
		cancel, err = a.local.Tail(r.GetName(), r.GetStream(), emit)
	default:
		err = errUnknownRequest
	}
	if err != nil {
		env := reply(err)
		env.GetError().Id = id
		c.Respond(env)
		return
	}
	a.streams[sender.String()+"/"+id] = cancel
	if a.watched == nil {
		a.watched = map[string]int{}
	}
	if a.watched[sender.String()]++; a.watched[sender.String()] == 1 {
		c.Watch(sender)
	}
	c.Respond(reply(r))
}
