package actors

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/protocol/events"
	"supervisord/testkit"
	"supervisord/testkit/actortest"
)

// The bus numbers only events someone takes, and its ticks fall on period
// boundaries, carrying the boundary: a clock set just before one shows it
// without waiting five seconds.
func TestBusSerialsAndTicks(t *testing.T) {
	t.Parallel()
	sys := actortest.QuietSystem()
	boundary := time.Unix(1_800_000_000, 0) // a multiple of 3600
	now := func() time.Time { return boundary.Add(-20 * time.Millisecond) }
	sub := actortest.NewProbe(t, sys)
	bus := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return newBus(now, 0) }))
	// With this clock every tick is 20 ms away, so the bus ticks until it stops.
	t.Cleanup(func() { _ = sys.Root.StopFuture(bus).Wait() })
	sys.Root.Send(bus, &publish{ev: events.ProcessState{State: "RUNNING"}}) // nobody listens yet
	sys.Root.Send(bus, &subscribe{pool: sub.PID, types: []events.Type{events.TypeProcessState, events.TypeTick5}})
	sys.Root.Send(bus, &publish{ev: events.ProcessLog{Channel: "stdout"}}) // not subscribed
	sys.Root.Send(bus, &publish{ev: events.ProcessState{State: "EXITED"}})
	if m := actortest.Expect[*poolEvent](t, sub, 5*time.Second); m.serial != 0 || m.ev.EventType() != events.TypeProcessStateExited {
		t.Errorf("first delivered: serial %d %s", m.serial, m.ev.EventType())
	}
	m := actortest.Expect[*poolEvent](t, sub, 5*time.Second)
	if m.serial != 1 || m.ev.EventType() != events.TypeTick5 || m.ev.Payload() != "when:1800000000" {
		t.Errorf("tick: serial %d %s %q", m.serial, m.ev.EventType(), m.ev.Payload())
	}
}

// listenerGroup is an [eventlistener:name] pool running command.
func listenerGroup(name, command string, bufferSize int, events ...string) *conf.Group {
	g := program(name, command, func(p *conf.Process) { p.StartSecs = 0 })
	g.Kind, g.BufferSize, g.Events, g.Priority = conf.KindEventListener, bufferSize, events, -1
	return g
}

// Events no listener takes wait in the pool's buffer; past buffer_size the
// oldest goes, with the reference's error line.
func TestPoolBufferOverflow(t *testing.T) {
	t.Parallel()
	tr := startTree(t, []*conf.Group{listenerGroup("mute", "exec sleep 100", 2, "REMOTE_COMMUNICATION")})
	tr.waitState(t, "mute", Running, 3*time.Second)
	for range 3 {
		tr.Publish(events.RemoteCommunication{Type: "x"})
	}
	testkit.Eventually(t, 3*time.Second, func() bool {
		return len(tr.log.matching("ERROR pool mute event buffer overflowed, discarding event 0")) > 0
	}, "no overflow line")
	if n := len(tr.log.matching("event buffer overflowed")); n != 1 {
		t.Errorf("%d overflow lines, want 1", n)
	}
}

// A pool with several listeners gives each event to one of them, and every
// event to somebody.
func TestPoolSpreadsEvents(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := "while :; do echo READY; read h; n=${h##*len:}; " +
		"p=$(head -c $n); echo \"$p\" >> " + dir + "/$SUPERVISOR_PROCESS_NAME; printf 'RESULT 2\\nOK'; done"
	g := listenerGroup("pool", script, 50, "REMOTE_COMMUNICATION")
	var procs []*conf.Process
	for _, name := range []string{"pool_0", "pool_1"} {
		p := *g.Processes[0]
		p.Name = name
		procs = append(procs, &p)
	}
	g.Processes = procs
	tr := startTree(t, []*conf.Group{g})
	tr.waitState(t, "pool_0", Running, 3*time.Second)
	tr.waitState(t, "pool_1", Running, 3*time.Second)
	const n = 20
	for i := range n {
		tr.Publish(events.RemoteCommunication{Type: "t", Data: fmt.Sprint(i)})
	}
	var a, b []byte
	got := 0
	if !testkit.Poll(5*time.Second, func() bool {
		a, _ = os.ReadFile(filepath.Join(dir, "pool_0"))
		b, _ = os.ReadFile(filepath.Join(dir, "pool_1"))
		got = strings.Count(string(a)+string(b), "type:t")
		return got == n
	}) {
		t.Fatalf("%d events delivered, want %d:\npool_0:\n%s\npool_1:\n%s", got, n, a, b)
	}
	if len(a) == 0 || len(b) == 0 {
		t.Errorf("one listener took everything:\npool_0:\n%s\npool_1:\n%s", a, b)
	}
}
