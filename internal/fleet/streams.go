package fleet

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/internal/fleet/fleetpb"
	"supervisord/protocol/selector"
)

// streamBuffer is how many lines a merged stream holds for a reader that
// is behind; past it, lines are dropped (and counted in a note line).
const streamBuffer = 4096

// Events: see Gateway.
func (f *Fleet) Events(ctx context.Context, sel selector.Selector, types []string) (<-chan Line, error) {
	return f.merge(ctx, sel, &fleetpb.StreamRequest{Kind: "events", Types: types})
}

// Tail: see Gateway.
func (f *Fleet) Tail(ctx context.Context, sel selector.Selector, name, stream string) (<-chan Line, error) {
	if stream == "" {
		stream = "stdout"
	}
	return f.merge(ctx, sel, &fleetpb.StreamRequest{Kind: "tail", Name: name, Stream: stream})
}

// merge opens the stream req on every selected node that is up, through
// a receiver actor of its own (the sender the nodes stream to), and hands
// their items to one channel, each tagged with its node, until ctx ends
// (the channel is then closed). A node that cannot open it (it lacks the
// process, it does not answer) is told in a line of its own, whose Event
// is FLEET_NOTE.
func (f *Fleet) merge(ctx context.Context, sel selector.Selector, req *fleetpb.StreamRequest) (<-chan Line, error) {
	out := make(chan Line, streamBuffer)
	r := &receiver{out: out, nodes: map[string]string{}, opened: map[string]chan error{}}
	pid := f.sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return r }))
	type opening struct {
		id, node string
		agent    *actor.PID
		opened   chan error
	}
	var opens []opening
	for _, n := range f.selected(sel) {
		if n.State != "alive" || n.Address == "" {
			r.note(n.Name, "unreachable: the node is "+n.State)
			continue
		}
		o := opening{id: f.name + "-" + strconv.FormatUint(f.streams.Add(1), 10), node: n.Name,
			agent: actor.NewPID(n.Address, agentName), opened: make(chan error, 1)}
		r.mu.Lock()
		r.nodes[o.id], r.opened[o.id] = o.node, o.opened
		r.mu.Unlock()
		f.sys.Root.Send(pid, &openStream{to: o.agent, req: &fleetpb.StreamRequest{Id: o.id, Kind: req.Kind,
			Types: req.Types, Name: req.Name, Stream: req.Stream}})
		opens = append(opens, o)
	}
	go func() {
		<-ctx.Done()
		for _, o := range opens {
			f.sys.Root.Send(o.agent, &fleetpb.Envelope{Version: protocolVersion, Body: &fleetpb.Envelope_StreamCancel{
				StreamCancel: &fleetpb.StreamCancel{Id: o.id}}})
		}
		f.sys.Root.Stop(pid)
		r.close()
	}()
	// A node that does not open its stream in time is said to be
	// unreachable, one that refuses it says why.
	go func() {
		timer := time.NewTimer(f.timeout)
		defer timer.Stop()
		expired := false
		for _, o := range opens {
			var err error
			if expired {
				select {
				case err = <-o.opened:
				default:
					err = fmt.Errorf("%w: no answer within %v", ErrUnreachable, f.timeout)
				}
			} else {
				select {
				case err = <-o.opened:
				case <-ctx.Done():
					return
				case <-timer.C:
					expired = true
					select {
					case err = <-o.opened:
					default:
						err = fmt.Errorf("%w: no answer within %v", ErrUnreachable, f.timeout)
					}
				}
			}
			if err != nil {
				r.note(o.node, err.Error())
			}
		}
	}()
	return out, nil
}

// openStream has the receiver ask an agent for a stream, so that the
// agent streams to the receiver.
type openStream struct {
	to  *actor.PID
	req *fleetpb.StreamRequest
}

// receiver takes the items of a merged stream's nodes and hands them on.
//
// Accepts: *openStream (sent on to the node's agent as a StreamRequest,
// from the receiver), *fleetpb.Envelope (an agent's echo of the request,
// its Error, or a StreamItem). Emits: StreamRequests. Parent: the fleet's
// root; stopped when the stream's context ends. Failure policy: default.
// It never blocks: a line the reader has no room for is dropped and
// counted.
type receiver struct {
	out     chan Line
	mu      sync.Mutex
	nodes   map[string]string // node by stream id
	opened  map[string]chan error
	closed  bool
	dropped int
}

func (r *receiver) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *openStream:
		c.Request(m.to, &fleetpb.Envelope{Version: protocolVersion, Body: &fleetpb.Envelope_StreamRequest{StreamRequest: m.req}})
	case *fleetpb.Envelope:
		switch b := m.GetBody().(type) {
		case *fleetpb.Envelope_StreamRequest:
			r.done(b.StreamRequest.GetId(), nil)
		case *fleetpb.Envelope_Error:
			r.done(b.Error.GetId(), errors.New(b.Error.GetMessage()))
		case *fleetpb.Envelope_StreamItem:
			it := b.StreamItem
			r.send(Line{Node: r.node(it.GetId()), Event: it.GetEvent(), Text: it.GetText()})
		}
	}
}

func (r *receiver) node(id string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.nodes[id]
}

func (r *receiver) done(id string, err error) {
	r.mu.Lock()
	ch := r.opened[id]
	r.mu.Unlock()
	if ch != nil {
		select {
		case ch <- err:
		default:
		}
	}
}

// note is a line of the stream's own about a node.
func (r *receiver) note(node, text string) {
	r.send(Line{Node: node, Event: NoteEvent, Text: text})
}

func (r *receiver) send(l Line) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if r.dropped > 0 {
		// The reader fell behind and lines were left out: it is told
		// how many before it gets the next.
		select {
		case r.out <- Line{Event: NoteEvent, Text: fmt.Sprintf("%d lines left out: the reader fell behind", r.dropped)}:
			r.dropped = 0
		default:
			r.dropped++
			return
		}
	}
	select {
	case r.out <- l:
	default:
		r.dropped++
	}
}

func (r *receiver) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		close(r.out)
	}
}
