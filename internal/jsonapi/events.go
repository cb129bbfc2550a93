package jsonapi

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"supervisord/actors"
	"supervisord/internal/sse"
	"supervisord/protocol/events"
)

// The event stream, GET /api/v1/events: every event the bus publishes, as
// server-sent events,
//
//	id: 3f9a2c1b-42
//	event: PROCESS_STATE_RUNNING
//	data: {"seq":42,"time":"…","processname":"web","groupname":"web","from_state":"STARTING","pid":4242}
//
// the id being the history's epoch and the event's sequence number (see
// actors.Events). A client that comes back with the last id it got, as
// Last-Event-ID (browsers send it by themselves) or ?since=, gets every
// event after it that the history still holds and then the live ones, with
// nothing lost or sent twice between the two: both are read from the one
// history, by sequence number. One whose next event is no longer held, or
// whose id is another daemon's (restarted, or upgraded), first gets
//
//	event: gap
//	id: 3f9a2c1b-107
//	data: {"from":"3f9a2c1b-108","missed":65}
//
// saying where the history it goes on with starts (missed, the count of
// events lost, is left out when it cannot be known). The stream itself
// holds nothing: a client that reads slowly falls behind in the history
// and gets a gap when it is lapped; one that stops reading is dropped
// after the write timeout. ?types=PROCESS_STATE,TICK_60 keeps only events
// of those types and their subtypes.

// batch is how many events one read of the history takes; flushAt how
// many bytes are written out at once at most, about.
const (
	batch   = 256
	flushAt = 64 << 10
)

func eventID(epoch string, seq uint64) string { return epoch + "-" + strconv.FormatUint(seq, 10) }

// parseSince reads an event id a client resumes from: "EPOCH-SEQ", or a
// bare SEQ for the history of the daemon running now (epoch "").
func parseSince(s string) (epoch string, seq uint64, err error) {
	num := s
	if e, n, ok := strings.Cut(s, "-"); ok {
		if e == "" || strings.Trim(e, "0123456789abcdef") != "" {
			return "", 0, errors.New("the epoch of event id " + strconv.Quote(s) + " is not hexadecimal")
		}
		epoch, num = e, n
	}
	seq, err = strconv.ParseUint(num, 10, 64)
	if err != nil {
		return "", 0, errors.New("event id " + strconv.Quote(s) + " is not EPOCH-SEQ or SEQ")
	}
	return epoch, seq, nil
}

// parseTypes reads ?types=: event type names (abstract ones stand for
// their subtypes), separated by commas.
func parseTypes(s string, given bool) ([]events.Type, error) {
	if !given {
		return nil, nil
	}
	var ts []events.Type
	for _, name := range strings.Split(s, ",") {
		t, ok := events.TypeByName(strings.TrimSpace(name))
		if !ok {
			return nil, errors.New("query parameter types: no event type " + strconv.Quote(name))
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// gap is the data of a gap event.
type gap struct {
	From   string  `json:"from"`
	Missed *uint64 `json:"missed,omitempty"`
}

func (h *Handler) events(c *call) (any, error) {
	types, err := parseTypes(c.q.text("types"))
	if err != nil {
		return nil, badRequest(err.Error())
	}
	since := c.r.Header.Get("Last-Event-ID")
	if since == "" {
		since, _ = c.q.text("since")
	}
	var epoch string
	var cursor uint64 // the last event the client has
	if since != "" {
		if epoch, cursor, err = parseSince(since); err != nil {
			return nil, badRequest(err.Error())
		}
	}
	// Where the history stands now.
	now, err := h.opts.Tree.Events(c.ctx, math.MaxUint64, 1)
	if err != nil {
		return nil, err
	}
	out := sse.Start(c.w)
	defer out.End()
	switch {
	case since == "": // live only
		cursor = now.Last
	case epoch != "" && epoch != now.Epoch || cursor > now.Last:
		// Another daemon's id: what it missed is unknown.
		out.Queue("gap", eventID(now.Epoch, now.First-1), mustJSON(gap{From: eventID(now.Epoch, now.First)}))
		cursor = now.First - 1
	}
	if out.Flush() != nil {
		return nil, nil
	}
	done := h.streamDone(c.ctx)
	ping := time.NewTicker(sse.KeepAlive)
	defer ping.Stop()
	for {
		select {
		case <-done:
			return nil, nil
		default:
		}
		b, err := h.opts.Tree.Events(c.ctx, cursor, batch)
		if err != nil {
			return nil, nil // the client or the tree is gone
		}
		if b.Epoch != now.Epoch { // the bus restarted, its history with it
			now = b
			out.Queue("gap", eventID(b.Epoch, b.First-1), mustJSON(gap{From: eventID(b.Epoch, b.First)}))
			cursor = b.First - 1
			continue
		}
		if cursor+1 < b.First { // it fell out of the history
			missed := b.First - 1 - cursor
			cursor = b.First - 1
			out.Queue("gap", eventID(b.Epoch, cursor), mustJSON(gap{From: eventID(b.Epoch, b.First), Missed: &missed}))
		}
		skipped := false
		for _, r := range b.Events {
			cursor = r.Seq
			if types != nil && !events.Subscribed(types, r.Event.EventType()) {
				skipped = true
				continue
			}
			skipped = false
			out.Queue(r.Event.EventType().String(), eventID(b.Epoch, r.Seq), eventData(r))
			if out.Buffered() >= flushAt && out.Flush() != nil {
				return nil, nil
			}
		}
		if skipped {
			// The client's id moves past what it does not want, so that
			// coming back does not read it all again.
			out.QueueID(eventID(b.Epoch, cursor))
		}
		if out.Buffered() > 0 && out.Flush() != nil {
			return nil, nil
		}
		if len(b.Events) > 0 {
			continue
		}
		select {
		case <-b.More:
		case <-ping.C:
			if out.Comment("ping") != nil {
				return nil, nil
			}
		case <-done:
			return nil, nil
		}
	}
}

func mustJSON(v any) []byte {
	b, err := marshal(v)
	if err != nil {
		panic(err) // only this package's types, which always encode
	}
	return b
}

// eventData is an event's data line: its sequence number, when it was
// published, then its fields.
func eventData(r actors.Recorded) []byte {
	head := `{"seq":` + strconv.FormatUint(r.Seq, 10) + `,"time":"` + r.At.UTC().Format(time.RFC3339Nano) + `"`
	f := mustJSON(events.Fields(r.Event))
	if len(f) == 2 { // {}
		return []byte(head + "}")
	}
	return append([]byte(head+","), f[1:]...)
}
