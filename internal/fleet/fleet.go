package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/hashicorp/go-sockaddr"
	"github.com/hashicorp/memberlist"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"supervisord/internal/fleet/fleetpb"
	"supervisord/protocol/selector"
)

// Options configure a node of a fleet.
type Options struct {
	Name   string
	Labels map[string]string
	// Listen is the node-to-node server's host:port; an empty or
	// unspecified host listens on every address and is advertised as the
	// gossip address's host, or this machine's private address.
	Listen string
	Gossip string   // memberlist's host:port
	Seeds  []string // other nodes' gossip addresses
	Certs  Certificates
	// GossipKey encrypts memberlist's traffic (16, 24 or 32 bytes); nil:
	// gossip is not encrypted.
	GossipKey []byte
	// Timeout is how long a gateway waits for one node's answer; 0 is 5 s.
	Timeout time.Duration
	Local   Local        // this node's own daemon
	Log     *slog.Logger // the main log; nil: nowhere
	// LoopbackTimings uses memberlist's timings for loopback networks
	// (tests and simulations): faster probes and failure detection.
	LoopbackTimings bool
	// Rejoin is how often the node asks its seeds and the nodes it lost
	// to let it in again; 0 is 5 s.
	Rejoin time.Duration

	// gossipTransport wraps memberlist's transport (tests).
	gossipTransport func(memberlist.NodeAwareTransport) memberlist.NodeAwareTransport
}

// DefaultTimeout is how long a gateway waits for a node by default.
const DefaultTimeout = 5 * time.Second

// agentName is the one actor a node serves its peers.
const agentName = "fleet-agent"

// protocolVersion is the version this node's envelopes carry.
const protocolVersion = 1

var errMetaTooLarge = fmt.Errorf("fleet: the node's name, address and labels take more than %d bytes", metaLimit)

// Fleet is this node's membership of a fleet and its gateway to the other
// nodes (a Gateway). Close leaves the fleet.
type Fleet struct {
	name    string
	address string // this node's remote address, as advertised
	timeout time.Duration
	log     *slog.Logger

	sys     *actor.ActorSystem
	remote  *remote.Remote
	members *members
	quit    chan struct{}
	once    sync.Once
	streams atomic.Uint64 // numbers stream ids
}

var _ Gateway = (*Fleet)(nil)

// Start joins the fleet: it listens for its peers (mutual TLS), starts
// gossiping, and asks the seeds to let it in (a seed that is not up yet
// is asked again later).
func Start(o Options) (*Fleet, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	serverTLS, clientTLS, err := tlsConfigs(o.Certs)
	if err != nil {
		return nil, err
	}
	host, port, err := listenAddress(o.Listen, o.Gossip)
	if err != nil {
		return nil, err
	}
	f := &Fleet{name: o.Name, address: net.JoinHostPort(host, strconv.Itoa(port)), timeout: o.Timeout, log: log,
		quit: make(chan struct{})}
	if f.timeout <= 0 {
		f.timeout = DefaultTimeout
	}
	f.sys = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler) // the fleet logs what matters itself
	}))
	bindHost, _, _ := net.SplitHostPort(o.Listen)
	cfg := remote.Configure(bindHost, port,
		remote.WithAdvertisedHost(f.address),
		remote.WithServerOptions(serverOptions(loggedCreds{credentials.NewTLS(serverTLS), log}, log)...),
		remote.WithDialOptions(grpc.WithTransportCredentials(loggedCreds{credentials.NewTLS(clientTLS), log})),
		// A peer's queue: protoactor's default preallocates a million
		// slots (some 16 MB) per peer.
		remote.WithEndpointWriterQueueSize(4096),
		remote.WithEndpointManagerQueueSize(4096),
	)
	// A peer that cannot be reached is given up at once (the gateway's
	// timeout answers for it) rather than retried for 10 s.
	cfg.MaxRetryCount = 1
	f.remote = remote.NewRemote(f.sys, cfg)
	if err := startRemote(f.remote, net.JoinHostPort(bindHost, strconv.Itoa(port))); err != nil {
		f.sys.Shutdown()
		return nil, err
	}
	if _, err := f.sys.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
		return &agent{local: o.Local, log: log, streams: map[string]func(){}}
	}), agentName); err != nil {
		f.remote.Shutdown(false)
		f.sys.Shutdown()
		return nil, err
	}
	rejoin := o.Rejoin
	if rejoin <= 0 {
		rejoin = 5 * time.Second
	}
	f.members, err = startMembers(memberOptions{Name: o.Name, Bind: o.Gossip, Seeds: o.Seeds,
		Meta: &fleetpb.NodeMeta{Version: protocolVersion, Address: f.address, Labels: o.Labels},
		Key:  o.GossipKey, Log: log, Local: o.LoopbackTimings, Rejoin: rejoin, Shutdown: f.quit, Transport: o.gossipTransport})
	if err != nil {
		f.remote.Shutdown(false)
		f.sys.Shutdown()
		return nil, fmt.Errorf("fleet: gossip on %s: %w", o.Gossip, err)
	}
	log.Info("fleet: node " + o.Name + " listening on " + f.address + ", gossip on " + o.Gossip)
	return f, nil
}

// listenAddress is the remote server's advertised host and its port: a
// port 0 is chosen now (the address is advertised before the server
// starts).
func listenAddress(listen, gossip string) (string, int, error) {
	host, portText, err := net.SplitHostPort(listen)
	if err != nil {
		return "", 0, fmt.Errorf("fleet: listen %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return "", 0, fmt.Errorf("fleet: listen %q: the port is not a number", listen)
	}
	if port == 0 {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return "", 0, fmt.Errorf("fleet: listen %q: %w", listen, err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = ""
		if g, _, err := net.SplitHostPort(gossip); err == nil {
			if ip := net.ParseIP(g); g != "" && (ip == nil || !ip.IsUnspecified()) {
				host = g
			}
		}
		if host == "" {
			if host, err = sockaddr.GetPrivateIP(); err != nil || host == "" {
				return "", 0, errors.New("fleet: cannot tell this node's address; give listen= one")
			}
		}
	}
	return host, port, nil
}

// startRemote starts protoactor's server, which panics when it cannot
// listen: the address is tried first, and a panic left is an error.
func startRemote(r *remote.Remote, addr string) (err error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("fleet: listen on %s: %w", addr, err)
	}
	l.Close()
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("fleet: listen on %s: %v", addr, v)
		}
	}()
	r.Start()
	return nil
}

// Close leaves the fleet (the others see it gone at once) and stops serving.
func (f *Fleet) Close() {
	f.once.Do(func() {
		close(f.quit)
		f.members.leave()
		f.remote.Shutdown(false)
		f.sys.Shutdown()
	})
}

// Address is this node's advertised remote address.
func (f *Fleet) Address() string { return f.address }

// Nodes: see Gateway.
func (f *Fleet) Nodes() []Node { return f.members.nodes() }

// NodeLabel is the reserved label key a selector names a node by: a
// requirement on it tests the node's name (`node=web-1`,
// `node in (web-1,web-2)`), a label of that key being overridden.
const NodeLabel = "node"

// Matches reports whether sel picks the node: its labels, with NodeLabel
// set to its name, meet every requirement.
func (n Node) Matches(sel selector.Selector) bool {
	if sel.Empty() {
		return true
	}
	labels := make(map[string]string, len(n.Labels)+1)
	maps.Copy(labels, n.Labels)
	labels[NodeLabel] = n.Name
	return sel.Matches(labels)
}

// selected are the nodes sel picks.
func (f *Fleet) selected(sel selector.Selector) []Node {
	var out []Node
	for _, n := range f.Nodes() {
		if n.Matches(sel) {
			out = append(out, n)
		}
	}
	return out
}

// fanOut sends req to every node at once and returns their answers, in
// the nodes' order; a node known to be down, or that does not answer
// within the timeout, is ErrUnreachable.
func (f *Fleet) fanOut(ctx context.Context, nodes []Node, req *fleetpb.Envelope) []answer {
	out := make([]answer, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		if n.State != "alive" || n.Address == "" {
			out[i] = answer{err: fmt.Errorf("%w: the node is %s", ErrUnreachable, n.State)}
			continue
		}
		wg.Go(func() { out[i] = f.ask(ctx, n.Address, req) })
	}
	wg.Wait()
	return out
}

type answer struct {
	env *fleetpb.Envelope
	err error
}

// ask sends one request to one node's agent and waits for its answer, at
// most the timeout (or until ctx ends).
func (f *Fleet) ask(ctx context.Context, address string, req *fleetpb.Envelope) answer {
	timeout := f.timeout
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = max(time.Until(d), time.Millisecond)
	}
	fut := f.sys.Root.RequestFuture(actor.NewPID(address, agentName), req, timeout)
	v, err := fut.Result()
	if err != nil {
		return answer{err: fmt.Errorf("%w: no answer within %v", ErrUnreachable, timeout)}
	}
	env, ok := v.(*fleetpb.Envelope)
	if !ok {
		return answer{err: fmt.Errorf("%w: an answer of type %T", ErrUnreachable, v)}
	}
	if e := env.GetError(); e != nil {
		return answer{err: errors.New(e.GetMessage())}
	}
	return answer{env: env}
}

// Status: see Gateway.
func (f *Fleet) Status(ctx context.Context, sel selector.Selector, names []string) []NodeReply {
	nodes := f.selected(sel)
	answers := f.fanOut(ctx, nodes, &fleetpb.Envelope{Version: protocolVersion,
		Body: &fleetpb.Envelope_StatusRequest{StatusRequest: &fleetpb.StatusRequest{Names: names}}})
	out := make([]NodeReply, len(nodes))
	for i, n := range nodes {
		out[i] = NodeReply{Node: n.Name, Err: answers[i].err}
		for _, p := range answers[i].env.GetStatusReply().GetProcesses() {
			out[i].Processes = append(out[i].Processes, processFromWire(n.Name, p))
		}
	}
	return out
}

// Act: see Gateway.
func (f *Fleet) Act(ctx context.Context, a Action, sel selector.Selector, names []string) ([]NodeReply, error) {
	if !slices.Contains([]string{"start", "stop", "restart", "signal"}, a.Verb) {
		return nil, fmt.Errorf("%w: %q", ErrBadVerb, a.Verb)
	}
	if len(names) == 0 {
		return nil, errors.New("fleet: name the processes to " + a.Verb)
	}
	nodes := f.selected(sel)
	answers := f.fanOut(ctx, nodes, &fleetpb.Envelope{Version: protocolVersion,
		Body: &fleetpb.Envelope_ActionRequest{ActionRequest: &fleetpb.ActionRequest{Verb: a.Verb, Signal: a.Signal, Names: names}}})
	out := make([]NodeReply, len(nodes))
	for i, n := range nodes {
		out[i] = NodeReply{Node: n.Name, Err: answers[i].err}
		for _, r := range answers[i].env.GetActionReply().GetResults() {
			out[i].Results = append(out[i].Results, Result{Node: n.Name, Group: r.GetGroup(), Name: r.GetName(),
				Code: int(r.GetCode()), Description: r.GetDescription()})
		}
	}
	return out, nil
}

func processFromWire(node string, p *fleetpb.Process) Process {
	out := Process{Node: node, Group: p.GetGroup(), Name: p.GetName(), State: int(p.GetState()), StateName: p.GetStateName(),
		Description: p.GetDescription(), PID: int(p.GetPid()), ExitStatus: int(p.GetExitStatus()), SpawnErr: p.GetSpawnErr()}
	if ns := p.GetStartUnixNano(); ns != 0 {
		out.Start = time.Unix(0, ns)
	}
	if ns := p.GetStopUnixNano(); ns != 0 {
		out.Stop = time.Unix(0, ns)
	}
	return out
}

func processToWire(p Process) *fleetpb.Process {
	out := &fleetpb.Process{Group: p.Group, Name: p.Name, State: int32(p.State), StateName: p.StateName,
		Description: p.Description, Pid: int64(p.PID), ExitStatus: int32(p.ExitStatus), SpawnErr: p.SpawnErr}
	if !p.Start.IsZero() {
		out.StartUnixNano = p.Start.UnixNano()
	}
	if !p.Stop.IsZero() {
		out.StopUnixNano = p.Stop.UnixNano()
	}
	return out
}
