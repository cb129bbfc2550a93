package actors

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"supervisord/protocol/events"
)

// The event history: the bus's record of the latest events, which the JSON
// API's event stream reads (internal/jsonapi). Every event the bus
// publishes gets the next sequence number, from 1, whether or not an
// eventlistener takes it (listener serials count only those), and the
// latest of them are kept. A reader never holds the bus up and costs it no
// memory: it asks for the events after the last one it has, and the bus
// answers from what it keeps; one that falls so far behind that its next
// event is no longer kept learns so from First, the oldest event held.

// Recorded is one event of the history.
type Recorded struct {
	Seq   uint64    // from 1, in publication order
	At    time.Time // when the bus published it
	Event events.Event
}

// EventBatch is what Daemon.Events answers.
type EventBatch struct {
	// Epoch names the history: another tree (a daemon restarted, or
	// upgraded) numbers its events from 1 again under another epoch.
	Epoch string
	// First is the oldest event held, Last the newest published; with
	// none held First is Last+1.
	First, Last uint64
	// Events are those after the one asked for that are held, oldest
	// first.
	Events []Recorded
	// More, when Events is empty, is closed once the next event is
	// published; nil otherwise.
	More <-chan struct{}
}

// historyBytes bounds the event data the history keeps (PROCESS_LOG_*
// events can carry 64 KiB each): past it the oldest events go even when
// fewer than event_history are kept.
const historyBytes = 64 << 20

// history is the bus's; its methods run on the bus's goroutine.
type history struct {
	epoch string
	size  int        // event_history
	ring  []Recorded // the kept events, ring[head] the oldest, n of them; grows up to size
	head  int
	n     int
	bytes int // eventSize of the kept events
	limit int // historyBytes, lowered by tests
	last  uint64
	more  chan struct{} // closed at the next add; nil until a reader waits
}

func newHistory(size int) *history {
	return &history{epoch: fmt.Sprintf("%08x", rand.Uint32()), size: size, limit: historyBytes}
}

// add numbers ev and keeps it, dropping the oldest events past the
// history's size or byte budget.
func (h *history) add(ev events.Event, at time.Time) {
	h.last++
	if h.more != nil {
		close(h.more)
		h.more = nil
	}
	if h.size == 0 {
		return
	}
	if h.n == h.size {
		h.drop()
	}
	r := Recorded{Seq: h.last, At: at, Event: ev}
	if len(h.ring) < h.size { // not full yet: the kept events run to its end
		h.ring = append(h.ring, r)
	} else {
		h.ring[(h.head+h.n)%len(h.ring)] = r
	}
	h.n++
	h.bytes += eventSize(ev)
	for h.bytes > h.limit && h.n > 1 {
		h.drop()
	}
}

func (h *history) drop() {
	h.bytes -= eventSize(h.ring[h.head].Event)
	h.ring[h.head] = Recorded{} // let its data go
	h.head = (h.head + 1) % len(h.ring)
	h.n--
}

// after is up to limit of the events after seq that are kept.
func (h *history) after(seq uint64, limit int) *EventBatch {
	first := h.last - uint64(h.n) + 1
	b := &EventBatch{Epoch: h.epoch, First: first, Last: h.last}
	if seq >= h.last || h.n == 0 {
		if h.more == nil {
			h.more = make(chan struct{})
		}
		b.More = h.more
		return b
	}
	from := max(seq+1, first)
	count := min(h.last-from+1, uint64(limit))
	b.Events = make([]Recorded, count)
	start := h.head + int(from-first)
	for i := range b.Events {
		b.Events[i] = h.ring[(start+i)%len(h.ring)]
	}
	return b
}

// eventSize is about how much memory a kept event holds.
func eventSize(ev events.Event) int {
	const overhead = 96
	switch e := ev.(type) {
	case events.ProcessLog:
		return overhead + len(e.Data)
	case events.ProcessCommunication:
		return overhead + len(e.Data)
	case events.RemoteCommunication:
		return overhead + len(e.Type) + len(e.Data)
	case events.ProcessHealth:
		return overhead + len(e.Detail)
	case events.Raw:
		return overhead + len(e.Body)
	}
	return overhead
}

// maxBatch bounds how many events one Events call answers.
const maxBatch = 1024

// Events is up to limit (at most maxBatch) of the events published after
// sequence number after that the history still holds, oldest first; with
// none, More is closed at the next one. First tells a reader whether it
// missed some (First > after+1): they were dropped before it asked. Ask
// with after at the newest (or above it) to follow only what comes next.
func (d *Daemon) Events(ctx context.Context, after uint64, limit int) (*EventBatch, error) {
	limit = min(max(limit, 1), maxBatch)
	v, err := d.ask(ctx, &toBus{msg: &readEvents{after: after, limit: limit}}, askTimeout)
	if err != nil {
		return nil, d.downOr(err)
	}
	return v.(*EventBatch), nil
}
