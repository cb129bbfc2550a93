package webui

// The events page: the event bus as it happens, every type, newest first.
// The hub keeps the last ringSize events; the page starts with them and
// its stream (ui/bus) goes on from the newest it showed.

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"supervisord/conf"
	"supervisord/internal/rpcinterface"
	"supervisord/internal/sse"
	"supervisord/protocol/events"
)

const (
	// ringSize is how many recent events the events page starts with
	// and a stream that fell behind or reconnected catches up on.
	ringSize = 200
	// maxPayload is the most of an event's payload the page shows, in
	// bytes: a PROCESS_LOG event may carry a whole pipe's read.
	maxPayload = 1024
)

// record is one event as the hub keeps it.
type record struct {
	Seq            int64 // the hub's own count, from 1: the stream's event id
	Serial         int64 // the eventlisteners' serial, -1 when no listener took it
	Time           time.Time
	Type           events.Type
	Group, Process string // whom it is about: a process, a group, or nobody
	Payload        string // cut at maxPayload
	Cut            bool
}

// recordOf is ev as the page shows it. A process's output is cut before its
// payload is made, so a big read costs no more than a small one.
func recordOf(serial int64, ev events.Event, at time.Time) record {
	r := record{Serial: serial, Time: at, Type: ev.EventType()}
	switch e := ev.(type) {
	case events.ProcessState:
		r.Group, r.Process = e.Group, e.Process
	case events.ProcessLog:
		r.Group, r.Process = e.Group, e.Process
		e.Data, r.Cut = clip(e.Data)
		ev = e
	case events.ProcessCommunication:
		r.Group, r.Process = e.Group, e.Process
		e.Data, r.Cut = clip(e.Data)
		ev = e
	case events.ProcessHealth:
		r.Group, r.Process = e.Group, e.Process
	case events.ProcessGroupAdded:
		r.Group = e.Group
	case events.ProcessGroupRemoved:
		r.Group = e.Group
	}
	r.Payload = ev.Payload()
	if len(r.Payload) > maxPayload {
		b, _ := clip([]byte(r.Payload))
		r.Payload, r.Cut = string(b), true
	}
	return r
}

// clip is b's first maxPayload bytes, cut between characters.
func clip(b []byte) ([]byte, bool) {
	if len(b) <= maxPayload {
		return b, false
	}
	return b[:sse.WholeRunes(b[:maxPayload])], true
}

// recent is the hub's ring of the last events and the streams reading it;
// guarded by the hub's mutex.
type recent struct {
	now   func() time.Time
	ring  [ringSize]record
	last  int64 // the newest's Seq; 0 before the first
	feeds map[*feed]struct{}
}

// feed is one open events stream.
type feed struct {
	wake chan struct{} // capacity 1: a pending wake-up
}

// add numbers r, keeps it and wakes the streams.
func (rc *recent) add(r record) {
	rc.last++
	r.Seq = rc.last
	rc.ring[(rc.last-1)%ringSize] = r
	for f := range rc.feeds {
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
}

// since is what came after the event numbered after, oldest first; missed
// counts those no longer kept, and next is where to go on from. A number
// beyond the newest (a stream of the daemon before a restart) starts over.
func (rc *recent) since(after int64) (recs []record, missed, next int64) {
	if after < 0 || after > rc.last {
		after = 0
	}
	first := max(after+1, rc.last-ringSize+1)
	for seq := first; seq <= rc.last; seq++ {
		recs = append(recs, rc.ring[(seq-1)%ringSize])
	}
	return recs, first - after - 1, rc.last
}

func (hb *hub) joinFeed() (*feed, int64) {
	f := &feed{wake: make(chan struct{}, 1)}
	hb.mu.Lock()
	defer hb.mu.Unlock()
	hb.feeds[f] = struct{}{}
	return f, hb.last
}

func (hb *hub) leaveFeed(f *feed) {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	delete(hb.feeds, f)
}

func (hb *hub) recentSince(after int64) ([]record, int64, int64) {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	return hb.since(after)
}

// eventRow is a record as events.html's "event" template shows it.
type eventRow struct {
	Seq, Serial int64
	Time        string // RFC 3339, for the <time> element
	Clock       string // the daemon's local time of day
	Type        string
	Types       string // the type and the types it derives from, for the filter
	Family      string // its family under EVENT, lower case: the colour
	Namespec    string // the process it is about
	Group       string // the group it is about, when not a process
	Payload     string
	Cut         bool
	Hidden      bool // filtered out
}

func eventRowOf(r record, filter events.Type, filtering bool) eventRow {
	row := eventRow{Seq: r.Seq, Serial: r.Serial, Time: r.Time.Format(time.RFC3339Nano),
		Clock: r.Time.Format("15:04:05.000"), Type: r.Type.String(), Payload: r.Payload, Cut: r.Cut,
		Hidden: filtering && !r.Type.Is(filter)}
	var types []string
	for t, ok := r.Type, true; ok; t, ok = t.Parent() {
		types = append(types, t.String())
		if p, up := t.Parent(); row.Family == "" && (!up || p == events.TypeEvent) {
			row.Family = strings.ToLower(t.String())
		}
	}
	row.Types = strings.Join(types, " ")
	switch {
	case r.Process != "":
		row.Namespec = conf.Namespec(r.Group, r.Process)
	case r.Group != "":
		row.Group = r.Group
	}
	return row
}

// typeChoice is an entry of the page's filter.
type typeChoice struct {
	Name     string
	Abstract bool // a family: it shows the types under it
}

// eventsPage is what events.html renders.
type eventsPage struct {
	Identifier, Version string
	Filter              string // a type's name; "" for all
	Types               []typeChoice
	Events              []eventRow // newest first
	Last                int64      // the newest's Seq: the stream goes on after it
	Missed              int64      // events before these that are no longer kept
	Shown               int        // of Events, those the filter shows
	Fleet               bool       // the daemon is a node of a fleet: link its view
}

// eventsPage serves events.html[?type=NAME]: the recent events, newest
// first, which the page's script keeps up to date from ui/bus.
func (h *Handler) eventsPage(w http.ResponseWriter, r *http.Request) {
	p := eventsPage{Identifier: h.opts.Identifier, Version: rpcinterface.Version, Filter: r.URL.Query().Get("type"),
		Fleet: h.opts.Fleet != nil}
	filter, filtering := events.TypeByName(p.Filter)
	if !filtering {
		p.Filter = ""
	}
	for _, t := range append(events.Types(), events.ExtensionTypes()...) {
		p.Types = append(p.Types, typeChoice{Name: t.String(), Abstract: t.Abstract()})
	}
	recs, missed, last := h.hub.recentSince(0)
	p.Last, p.Missed = last, missed
	for i := len(recs) - 1; i >= 0; i-- {
		row := eventRowOf(recs[i], filter, filtering)
		if !row.Hidden {
			p.Shown++
		}
		p.Events = append(p.Events, row)
	}
	h.writePage(w, http.StatusOK, "events.html", p)
}

// busEvents streams the events page: an "event" for each event on the bus,
// of every type, {"seq", "types", "html"} with the seq as its id, from
// after= (or the browser's Last-Event-ID after a reconnect; else from now),
// and a "gap" {"missed": n} when more came meanwhile than the hub keeps.
func (h *Handler) busEvents(w http.ResponseWriter, r *http.Request) {
	f, after := h.hub.joinFeed()
	defer h.hub.leaveFeed(f)
	if v, err := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64); err == nil {
		after = v
	}
	if v, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil {
		after = v
	}
	out := sse.Start(w)
	defer out.End()
	done := h.streamDone(r.Context())
	ping := time.NewTicker(sse.KeepAlive)
	defer ping.Stop()
	for {
		recs, missed, next := h.hub.recentSince(after)
		if missed > 0 && out.Send("gap", "", map[string]int64{"missed": missed}) != nil {
			return
		}
		for _, rec := range recs {
			row := eventRowOf(rec, 0, false)
			html, err := renderString("event", row)
			if err != nil {
				return
			}
			if out.Send("event", strconv.FormatInt(rec.Seq, 10), map[string]any{"seq": rec.Seq,
				"types": row.Types, "html": html}) != nil {
				return
			}
		}
		after = next
		select {
		case <-done:
			return
		case <-f.wake:
		case <-ping.C:
			if out.Comment("ping") != nil {
				return
			}
		}
	}
}
