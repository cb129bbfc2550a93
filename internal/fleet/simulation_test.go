package fleet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"

	"supervisord/protocol/selector"
	"supervisord/testkit"
)

// partition cuts the gossip between two sides of a fleet: each node's
// transport drops what it would send to the other side, so neither hears
// the other.
type partition struct {
	mu   sync.Mutex
	side map[string]int // gossip address → side, while cut
}

func (p *partition) cut(from, to string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok1 := p.side[from]
	b, ok2 := p.side[to]
	return ok1 && ok2 && a != b
}

func (p *partition) set(side map[string]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.side = side
}

type cutTransport struct {
	memberlist.NodeAwareTransport
	self string
	p    *partition
}

var errCut = errors.New("partitioned")

func (c cutTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	if c.p.cut(c.self, addr) {
		return time.Now(), nil // lost on the way
	}
	return c.NodeAwareTransport.WriteTo(b, addr)
}

func (c cutTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	if c.p.cut(c.self, a.Addr) {
		return time.Now(), nil
	}
	return c.NodeAwareTransport.WriteToAddress(b, a)
}

func (c cutTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	if c.p.cut(c.self, addr) {
		return nil, errCut
	}
	return c.NodeAwareTransport.DialTimeout(addr, timeout)
}

func (c cutTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	if c.p.cut(c.self, a.Addr) {
		return nil, errCut
	}
	return c.NodeAwareTransport.DialAddressTimeout(a, timeout)
}

// TestSimulation runs a fleet of 50 nodes in this process, each with its
// own actor system, remote server and memberlist on loopback, and a fake
// daemon: it converges, fans a status out to all of them with three that
// answer too late, and survives a partition into two halves that heal.
// The timings are logged (go test -v -run Simulation).
func TestSimulation(t *testing.T) {
	manyNodes(t)
	if testing.Short() {
		t.Skip("50 nodes")
	}
	const n = 50
	dir := t.TempDir()
	ca := testkit.NewCA(t, dir, "fleet")
	leaf := ca.Node(t, dir, "node") // one certificate for all: the CA is what counts
	cut := &partition{}
	nodes := make([]*testNode, n)
	begin := time.Now()
	for i := range n {
		local := newFakeLocal(fmt.Sprintf("node%02d", i), "web:web_0", "web:web_1")
		if i%17 == 5 { // nodes 5, 22 and 39 answer after the gateway's timeout
			local.delay = 3 * time.Second
		}
		gossip := fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t))
		var seeds []string
		if i > 0 {
			seeds = []string{nodes[0].gossip}
		}
		zone := "a"
		if i%2 == 1 {
			zone = "b"
		}
		f, err := Start(Options{Name: fmt.Sprintf("node%02d", i), Labels: map[string]string{"zone": zone},
			Listen: "127.0.0.1:0", Gossip: gossip, Seeds: seeds,
			Certs:   Certificates{CA: ca.File, Cert: leaf.CertFile, Key: leaf.KeyFile},
			Timeout: time.Second, Local: local, LoopbackTimings: true, Rejoin: time.Second,
			gossipTransport: func(nt memberlist.NodeAwareTransport) memberlist.NodeAwareTransport {
				return cutTransport{nt, gossip, cut}
			}})
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = &testNode{Fleet: f, local: local, gossip: gossip}
		t.Cleanup(f.Close)
	}
	started := time.Since(begin)
	alive := func(node *testNode) int {
		k := 0
		for _, m := range node.Nodes() {
			if m.State == "alive" {
				k++
			}
		}
		return k
	}
	everyone := func(want int) func() bool {
		return func() bool {
			for _, node := range nodes {
				if alive(node) != want {
					return false
				}
			}
			return true
		}
	}
	begin = time.Now()
	testkit.Eventually(t, 60*time.Second, everyone(n), "every node sees 50")
	converged := time.Since(begin)

	// Fan-out: all 50 at once; the three slow ones are unreachable after
	// the timeout, and the call takes about one timeout, not three.
	gw := nodes[n-1]
	begin = time.Now()
	replies := gw.Status(context.Background(), selector.Selector{}, nil)
	fanOut := time.Since(begin)
	var ok, late int
	for _, r := range replies {
		switch {
		case r.Err == nil && len(r.Processes) == 2:
			ok++
		case errors.Is(r.Err, ErrUnreachable) && (r.Node == "node05" || r.Node == "node22" || r.Node == "node39"):
			late++
		default:
			t.Errorf("%s: %+v", r.Node, r)
		}
	}
	if ok != n-3 || late != 3 {
		t.Errorf("fan-out: %d answered, %d late", ok, late)
	}
	if fanOut > 2500*time.Millisecond {
		t.Errorf("fan-out to 50 with 3 late took %v: the nodes were not asked at once", fanOut)
	}
	// A selector picks zone b's 25.
	begin = time.Now()
	acted, err := gw.Act(context.Background(), Action{Verb: "restart"}, mustParse(t, "zone=b"), []string{"web:web_0"})
	act := time.Since(begin)
	if err != nil || len(acted) != n/2 {
		t.Fatalf("restart in zone b: %d replies, %v", len(acted), err)
	}

	// A partition into halves: each side sees its 25, and a gateway
	// reports the other half unreachable at once.
	side := map[string]int{}
	for i, node := range nodes {
		side[node.gossip] = i * 2 / n
	}
	cut.set(side)
	begin = time.Now()
	testkit.Eventually(t, 90*time.Second, everyone(n/2), "each half sees only itself")
	split := time.Since(begin)
	begin = time.Now()
	replies = nodes[0].Status(context.Background(), selector.Selector{}, nil)
	partitioned := time.Since(begin)
	unreachable := 0
	for _, r := range replies {
		if errors.Is(r.Err, ErrUnreachable) {
			unreachable++
		}
	}
	if unreachable < n/2 {
		t.Errorf("across the partition: %d unreachable", unreachable)
	}
	cut.set(nil)
	begin = time.Now()
	testkit.Eventually(t, 90*time.Second, everyone(n), "the halves rejoin")
	healed := time.Since(begin)
	t.Logf("50 nodes: started in %v, converged in %v; status fan-out %v (3 late, timeout 1s); restart in zone b (25 nodes) %v; partition seen in %v; a status across it %v; healed in %v",
		started.Round(time.Millisecond), converged.Round(time.Millisecond), fanOut.Round(time.Millisecond),
		act.Round(time.Millisecond), split.Round(time.Millisecond), partitioned.Round(time.Millisecond), healed.Round(time.Millisecond))
}

func mustParse(t *testing.T, text string) selector.Selector {
	t.Helper()
	s, err := selector.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
