package actors

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/protocol/events"
	"supervisord/testkit/actortest"
)

func seqs(rs []Recorded) []uint64 {
	out := []uint64{}
	for _, r := range rs {
		out = append(out, r.Seq)
	}
	return out
}

func remote(data string) events.Event { return events.RemoteCommunication{Type: "t", Data: data} }

// The history numbers every event and keeps the latest size of them; a
// reader asks for those after the last it has and learns from First what
// it missed.
func TestHistoryKeepsTheLatest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		size, added int
		after       uint64
		limit       int
		first, last uint64
		want        []uint64
		waits       bool // nothing to read: More is set
	}{
		{name: "empty", size: 5, first: 1, last: 0, want: []uint64{}, waits: true},
		{name: "all", size: 5, added: 3, first: 1, last: 3, want: []uint64{1, 2, 3}},
		{name: "after one", size: 5, added: 3, after: 1, first: 1, last: 3, want: []uint64{2, 3}},
		{name: "caught up", size: 5, added: 3, after: 3, first: 1, last: 3, want: []uint64{}, waits: true},
		{name: "from the future", size: 5, added: 3, after: 99, first: 1, last: 3, want: []uint64{}, waits: true},
		{name: "limited", size: 5, added: 5, limit: 2, first: 1, last: 5, want: []uint64{1, 2}},
		{name: "wrapped", size: 5, added: 12, first: 8, last: 12, want: []uint64{8, 9, 10, 11, 12}},
		{name: "wrapped after", size: 5, added: 12, after: 10, first: 8, last: 12, want: []uint64{11, 12}},
		{name: "fell out", size: 5, added: 12, after: 2, first: 8, last: 12, want: []uint64{8, 9, 10, 11, 12}},
		{name: "keeps none", size: 0, added: 4, first: 5, last: 4, want: []uint64{}, waits: true},
		{name: "keeps none, behind", size: 0, added: 4, after: 1, first: 5, last: 4, want: []uint64{}, waits: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHistory(tc.size)
			for i := range tc.added {
				h.add(remote(strings.Repeat("x", i)), time.Unix(int64(i), 0))
			}
			limit := tc.limit
			if limit == 0 {
				limit = maxBatch
			}
			b := h.after(tc.after, limit)
			if b.First != tc.first || b.Last != tc.last {
				t.Errorf("first, last = %d, %d; want %d, %d", b.First, b.Last, tc.first, tc.last)
			}
			if got := seqs(b.Events); !equalSeqs(got, tc.want) {
				t.Errorf("events %v, want %v", got, tc.want)
			}
			if (b.More != nil) != tc.waits {
				t.Errorf("More set: %t, want %t", b.More != nil, tc.waits)
			}
			if b.Epoch != h.epoch || len(b.Epoch) != 8 {
				t.Errorf("epoch %q", b.Epoch)
			}
			for _, r := range b.Events { // each with its own event and time
				if want := time.Unix(int64(r.Seq-1), 0); !r.At.Equal(want) || len(r.Event.(events.RemoteCommunication).Data) != int(r.Seq-1) {
					t.Errorf("event %d: at %v, data %q", r.Seq, r.At, r.Event.Payload())
				}
			}
		})
	}
}

func equalSeqs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A reader that is caught up waits on More, which the next event closes;
// every reader waiting then shares the one channel.
func TestHistoryMore(t *testing.T) {
	t.Parallel()
	h := newHistory(3)
	b1, b2 := h.after(0, 10), h.after(0, 10)
	if b1.More == nil || b1.More != b2.More {
		t.Fatal("waiting readers do not share one channel")
	}
	select {
	case <-b1.More:
		t.Fatal("closed before any event")
	default:
	}
	h.add(remote("a"), time.Time{})
	select {
	case <-b1.More:
	default:
		t.Fatal("not closed by the next event")
	}
	if b := h.after(1, 10); b.More == nil || b.More == b1.More {
		t.Fatal("a reader waiting after the event does not get a fresh channel")
	}
}

// The history's data stays within its byte budget: large events push the
// oldest out before the count does, and the newest is always kept.
func TestHistoryByteBudget(t *testing.T) {
	t.Parallel()
	h := newHistory(100)
	h.limit = 3 * eventSize(remote(strings.Repeat("x", 1000)))
	for range 10 {
		h.add(remote(strings.Repeat("x", 1000)), time.Time{})
	}
	if b := h.after(0, 100); b.First != 8 || len(b.Events) != 3 || !equalSeqs(seqs(b.Events), []uint64{8, 9, 10}) {
		t.Errorf("kept from %d, %d events; want 8 and 3", b.First, len(b.Events))
	}
	h.add(remote(strings.Repeat("y", 10*h.limit)), time.Time{}) // larger than the whole budget
	if b := h.after(0, 100); b.First != 11 || len(b.Events) != 1 || h.bytes != eventSize(b.Events[0].Event) {
		t.Errorf("kept from %d, %d events, %d bytes", b.First, len(b.Events), h.bytes)
	}
	for range 5 {
		h.add(events.Tick{Period: 5}, time.Time{})
	}
	if b := h.after(0, 100); b.First != 12 || !equalSeqs(seqs(b.Events), []uint64{12, 13, 14, 15, 16}) {
		t.Errorf("after the large one went: from %d, %v", b.First, seqs(b.Events))
	}
	// Grown to its size after dropping from the front, it goes round,
	// the budget still holding (34 ticks).
	for range 200 {
		h.add(events.Tick{Period: 5}, time.Time{})
	}
	b := h.after(0, 1000)
	if want := h.limit / eventSize(events.Tick{}); len(b.Events) != want || b.First != 217-uint64(want) || len(h.ring) != 100 {
		t.Errorf("full: from %d, %d events (want %d), ring %d", b.First, len(b.Events), want, len(h.ring))
	}
	for i, r := range b.Events {
		if r.Seq != b.First+uint64(i) {
			t.Fatalf("event %d has seq %d", i, r.Seq)
		}
	}
}

// The bus numbers every event for the history, those no listener takes
// too, in the order it publishes them, and keeps the latest.
func TestBusHistory(t *testing.T) {
	t.Parallel()
	sys := actortest.QuietSystem()
	pool := actortest.NewProbe(t, sys)
	bus := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return newBus(time.Now, 3) }))
	t.Cleanup(func() { _ = sys.Root.StopFuture(bus).Wait() })
	sys.Root.Send(bus, &subscribe{pool: pool.PID, types: []events.Type{events.TypeProcessState}})
	evs := []events.Event{
		events.ProcessState{State: "STARTING", Process: "a"},
		remote("no listener takes it"),
		events.ProcessState{State: "RUNNING", Process: "a"},
		remote("last"),
	}
	for _, ev := range evs {
		sys.Root.Send(bus, &publish{ev: ev})
	}
	res, err := sys.Root.RequestFuture(bus, &readEvents{after: 0, limit: 10}, 5*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	b := res.(*EventBatch)
	if b.First != 2 || b.Last != 4 || !equalSeqs(seqs(b.Events), []uint64{2, 3, 4}) {
		t.Fatalf("first %d last %d events %v", b.First, b.Last, seqs(b.Events))
	}
	for i, r := range b.Events {
		if r.Event != evs[i+1] {
			t.Errorf("event %d is %v, want %v", r.Seq, r.Event, evs[i+1])
		}
	}
	// The listener's serials are its own.
	for want := int64(0); want < 2; want++ {
		if m := actortest.Expect[*poolEvent](t, pool, 5*time.Second); m.serial != want {
			t.Errorf("pool got serial %d, want %d", m.serial, want)
		}
	}
}

// Through the service API: a tree's history starts with its first event
// (the group added at startup), and a reader that waits is woken by what
// comes next.
func TestDaemonEvents(t *testing.T) {
	t.Parallel()
	cfg := &conf.Config{Groups: []*conf.Group{program("solo", "exec sleep 100", func(p *conf.Process) { p.StartSecs = 0 })}}
	cfg.Supervisord.ChildLogDir = t.TempDir()
	cfg.Supervisord.EventHistory = 100
	d, err := Start(cfg, Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Shutdown(); <-d.Done() })
	ctx := context.Background()
	var seen []Recorded
	for !runningSeen(seen) {
		after := uint64(0)
		if len(seen) > 0 {
			after = seen[len(seen)-1].Seq
		}
		b, err := d.Events(ctx, after, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Events) == 0 {
			select {
			case <-b.More:
			case <-time.After(10 * time.Second):
				t.Fatalf("no event woke the reader; seen %v", seen)
			}
		}
		seen = append(seen, b.Events...)
	}
	if seen[0].Seq != 1 || seen[0].Event != (events.ProcessGroupAdded{Group: "solo"}) ||
		seen[1].Event.EventType() != events.TypeSupervisorStateChangeRunning {
		t.Errorf("first events %v", seen[:2])
	}
	for i, r := range seen {
		if r.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, r.Seq)
		}
	}
	d.Shutdown()
	<-d.Done()
	if _, err := d.Events(ctx, 0, 10); err != ErrShuttingDown {
		t.Errorf("after the tree is down: %v", err)
	}
}

func runningSeen(rs []Recorded) bool {
	for _, r := range rs {
		if r.Event.EventType() == events.TypeProcessStateRunning {
			return true
		}
	}
	return false
}
