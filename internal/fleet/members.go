package fleet

import (
	"io"
	"log"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
	"google.golang.org/protobuf/proto"

	"supervisord/internal/fleet/fleetpb"
)

// members is the fleet as memberlist tells it to this node: memberlist
// owns who is alive (SWIM probes); members keeps what it has been told of
// each node that was ever alive (its meta, its last state, when it last
// answered a probe), so that a node that died is shown as dead rather
// than forgotten, and so that it can be asked to rejoin.
type members struct {
	ml    *memberlist.Memberlist
	self  string
	seeds []string
	log   *slog.Logger

	mu    sync.Mutex
	known map[string]*member // by node name
}

type member struct {
	node     Node
	lastSeen time.Time
}

// memberOptions configure membership.
type memberOptions struct {
	Name     string
	Bind     string // host:port memberlist listens on
	Seeds    []string
	Meta     *fleetpb.NodeMeta
	Key      []byte // memberlist's encryption key; nil: none
	Log      *slog.Logger
	Local    bool // memberlist's loopback timings (tests and simulations)
	Rejoin   time.Duration
	Shutdown chan struct{}
	// Transport, when set, wraps memberlist's network transport (tests
	// cut the network with it).
	Transport func(memberlist.NodeAwareTransport) memberlist.NodeAwareTransport
}

// metaLimit is what memberlist allows a node's meta.
const metaLimit = memberlist.MetaMaxSize

func encodeMeta(m *fleetpb.NodeMeta) ([]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, err
	}
	if len(b) > metaLimit {
		return nil, errMetaTooLarge
	}
	return b, nil
}

func startMembers(o memberOptions) (*members, error) {
	meta, err := encodeMeta(o.Meta)
	if err != nil {
		return nil, err
	}
	host, portText, err := net.SplitHostPort(o.Bind)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, err
	}
	cfg := memberlist.DefaultLANConfig()
	if o.Local {
		// Loopback: probes four times a second, a quick verdict.
		cfg = memberlist.DefaultLocalConfig()
		cfg.ProbeInterval, cfg.ProbeTimeout = 250*time.Millisecond, 100*time.Millisecond
		cfg.GossipInterval, cfg.PushPullInterval = 50*time.Millisecond, 5*time.Second
	}
	cfg.Name = o.Name
	if host == "" {
		host = "0.0.0.0"
	}
	cfg.BindAddr, cfg.BindPort = host, port
	cfg.AdvertisePort = port
	cfg.Label = "supervisord-fleet"
	cfg.SecretKey = o.Key
	cfg.Logger = log.New(io.Discard, "", 0)
	if o.Log != nil {
		cfg.Logger = slog.NewLogLogger(o.Log.Handler(), slog.LevelDebug)
	}
	if o.Transport != nil {
		nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{BindAddrs: []string{host}, BindPort: port, Logger: cfg.Logger})
		if err != nil {
			return nil, err
		}
		cfg.Transport = o.Transport(nt)
	}
	m := &members{self: o.Name, seeds: o.Seeds, log: o.Log, known: map[string]*member{}}
	cfg.Delegate = metaDelegate(meta)
	cfg.Events = m
	cfg.Ping = m
	if m.ml, err = memberlist.Create(cfg); err != nil {
		return nil, err
	}
	if len(o.Seeds) > 0 {
		// A seed that is not up yet is tried again by rejoin.
		m.ml.Join(o.Seeds)
	}
	go m.rejoin(o.Rejoin, o.Shutdown)
	return m, nil
}

// metaDelegate tells memberlist this node's meta and nothing else.
type metaDelegate []byte

func (d metaDelegate) NodeMeta(limit int) []byte                  { return d }
func (d metaDelegate) NotifyMsg([]byte)                           {}
func (d metaDelegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d metaDelegate) LocalState(join bool) []byte                { return nil }
func (d metaDelegate) MergeRemoteState(buf []byte, join bool)     {}

// NotifyJoin, NotifyLeave and NotifyUpdate are memberlist's EventDelegate.
// memberlist's Node.State is not kept up to date (its own node state
// shadows it), so the state is what the notification says.
func (m *members) NotifyJoin(n *memberlist.Node) { m.saw(n, "alive", "joined") }
func (m *members) NotifyLeave(n *memberlist.Node) {
	m.saw(n, "dead", "is gone (it left, or stopped answering)")
}
func (m *members) NotifyUpdate(n *memberlist.Node) { m.saw(n, "alive", "") }

// NotifyPingComplete and AckPayload are memberlist's PingDelegate.
func (m *members) AckPayload() []byte { return nil }
func (m *members) NotifyPingComplete(other *memberlist.Node, _ time.Duration, _ []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k := m.known[other.Name]; k != nil {
		k.lastSeen = time.Now()
	}
}

func (m *members) saw(n *memberlist.Node, state, what string) {
	node := Node{Name: n.Name, Gossip: n.Address(), State: state, Self: n.Name == m.self}
	var meta fleetpb.NodeMeta
	if err := proto.Unmarshal(n.Meta, &meta); err == nil {
		node.Address, node.Labels = meta.GetAddress(), maps.Clone(meta.GetLabels())
	}
	m.mu.Lock()
	k := m.known[n.Name]
	if k == nil {
		k = &member{}
		m.known[n.Name] = k
	}
	k.node = node
	if state == "alive" {
		k.lastSeen = time.Now()
	}
	m.mu.Unlock()
	if what != "" && m.log != nil && !node.Self {
		m.log.Info("fleet: node " + n.Name + " " + what + " (" + n.Address() + ")")
	}
}

// nodes are the nodes this node knows, by name: alive while memberlist
// counts them among its members, dead otherwise.
func (m *members) nodes() []Node {
	live := map[string]bool{}
	for _, n := range m.ml.Members() {
		live[n.Name] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Node, 0, len(m.known))
	for _, name := range slices.Sorted(maps.Keys(m.known)) {
		k := m.known[name]
		n := k.node
		n.Labels = maps.Clone(n.Labels)
		n.State = "dead"
		if live[name] {
			n.State = "alive"
		}
		n.LastSeen = k.lastSeen
		if n.Self {
			n.LastSeen = time.Now()
		}
		out = append(out, n)
	}
	return out
}

// rejoinTries is how many nodes a round of rejoin asks at most.
const rejoinTries = 3

// rejoin asks, every interval, the seeds and every known node that is not
// alive to let this node in again: memberlist stops probing a node it
// declared dead, so two sides of a healed partition, or a node restarted
// before its peers noticed, would otherwise stay apart.
func (m *members) rejoin(every time.Duration, quit <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-quit:
			return
		case <-t.C:
		}
		alive := map[string]bool{}
		for _, n := range m.ml.Members() {
			alive[n.Address()] = true
		}
		var try []string
		for _, s := range m.seeds {
			if !alive[s] {
				try = append(try, s)
			}
		}
		m.mu.Lock()
		for _, k := range m.known {
			if !k.node.Self && !alive[k.node.Gossip] && !slices.Contains(try, k.node.Gossip) {
				try = append(try, k.node.Gossip)
			}
		}
		m.mu.Unlock()
		// One push-pull with a member of the other side merges all it
		// knows: a few tries a round are enough, and a fleet of many
		// nodes does not flood itself after a partition.
		rand.Shuffle(len(try), func(i, j int) { try[i], try[j] = try[j], try[i] })
		if len(try) > rejoinTries {
			try = try[:rejoinTries]
		}
		if len(try) > 0 {
			m.ml.Join(try)
		}
	}
}

// leave tells the fleet this node goes, then stops membership.
func (m *members) leave() {
	m.ml.Leave(2 * time.Second)
	m.ml.Shutdown()
}
