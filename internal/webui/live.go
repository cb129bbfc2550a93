package webui

import (
	"bytes"
	"cmp"
	"context"
	"net/http"
	"slices"
	"sync"
	"time"

	"supervisord/conf"
	"supervisord/internal/sse"
	"supervisord/protocol/events"
)

// hub passes the tree's events on to the open status streams. One
// subscription feeds it (an observer: eventlisteners' serials do not
// change), and it never blocks the bus: each stream only collects what
// changed (which processes, whether the list of processes did) and is
// woken to go and look.
type hub struct {
	cancel func()

	mu       sync.Mutex
	streams  map[*stream]struct{}
	stopping bool // SUPERVISOR_STATE_CHANGE_STOPPING seen
}

// stream is one open status stream's share of the hub; its fields other
// than wake are guarded by the hub's mutex.
type stream struct {
	wake     chan struct{} // capacity 1: a pending wake-up
	dirty    map[[2]string]bool
	resync   bool // groups were added or removed
	daemon   bool // the daemon's state changed
	stopping bool
}

func newHub(ctx context.Context, tree Tree) (*hub, error) {
	hb := &hub{streams: map[*stream]struct{}{}}
	cancel, err := tree.Subscribe(ctx, []events.Type{events.TypeProcessState, events.TypeProcessGroup,
		events.TypeSupervisorStateChange}, hb.event)
	if err != nil {
		return nil, err
	}
	hb.cancel = cancel
	return hb, nil
}

func (hb *hub) close() { hb.cancel() }

// event runs on the observer actor: it only marks and wakes.
func (hb *hub) event(_ int64, ev events.Event) {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	switch ev.(type) {
	case events.SupervisorStopping:
		hb.stopping = true
	case events.SupervisorRunning:
		hb.stopping = false
	}
	for s := range hb.streams {
		switch e := ev.(type) {
		case events.ProcessState:
			s.dirty[[2]string{e.Group, e.Process}] = true
		case events.ProcessGroupAdded, events.ProcessGroupRemoved:
			s.resync = true
		case events.SupervisorStopping, events.SupervisorRunning:
			s.daemon, s.stopping = true, hb.stopping
		}
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

func (hb *hub) join() *stream {
	s := &stream{wake: make(chan struct{}, 1), dirty: map[[2]string]bool{}}
	hb.mu.Lock()
	defer hb.mu.Unlock()
	s.stopping = hb.stopping
	hb.streams[s] = struct{}{}
	return s
}

func (hb *hub) leave(s *stream) {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	delete(hb.streams, s)
}

// changes is what happened since the stream last looked.
type changes struct {
	procs          [][2]string
	resync, daemon bool
	stopping       bool
}

func (hb *hub) take(s *stream) changes {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	c := changes{resync: s.resync, daemon: s.daemon, stopping: s.stopping}
	for p := range s.dirty {
		c.procs = append(c.procs, p)
	}
	slices.SortFunc(c.procs, func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	clear(s.dirty)
	s.resync, s.daemon = false, false
	return c
}

// statusEvents streams the process table: a "snapshot" event with every
// row at once, then a "process" event with a row each time a process
// changes state, a new snapshot when processes come or go, and a
// "supervisor" event when the daemon starts shutting down ({"stopping"})
// and, last, when its tree is down ({"down"}).
func (h *Handler) statusEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s := h.hub.join() // before the snapshot, so no change falls between
	defer h.hub.leave(s)
	out := sse.Start(w)
	defer out.End()
	names, err := h.sendSnapshot(ctx, out, s.stopping)
	if err != nil {
		return
	}
	done := h.streamDone(ctx)
	ping := time.NewTicker(sse.KeepAlive)
	defer ping.Stop()
	for {
		select {
		case <-done:
			if ctx.Err() == nil { // the tree is down, or going
				out.Send("supervisor", "", map[string]any{"stopping": true, "down": true})
			}
			return
		case <-s.wake:
		case <-ping.C:
			if out.Comment("ping") != nil {
				return
			}
		}
		c := h.hub.take(s)
		// A config update may change a group's processes without
		// announcing a group: compare the list itself.
		resync := c.resync || !slices.Equal(names, h.processNames(ctx))
		for _, p := range c.procs {
			if resync {
				break
			}
			in, err := h.opts.Tree.Info(ctx, p[0], p[1])
			if err != nil { // gone meanwhile
				resync = true
				break
			}
			html, err := renderString("row", rowOf(in))
			if err != nil {
				return
			}
			if out.Send("process", "", map[string]any{"namespec": conf.Namespec(p[0], p[1]), "html": html}) != nil {
				return
			}
		}
		if resync {
			if names, err = h.sendSnapshot(ctx, out, c.stopping); err != nil {
				return
			}
		} else if c.daemon {
			if out.Send("supervisor", "", map[string]any{"stopping": c.stopping}) != nil {
				return
			}
		}
	}
}

// processNames lists the namespecs of the running config, sorted.
func (h *Handler) processNames(ctx context.Context) []string {
	var names []string
	groups, _ := h.opts.Tree.Groups(ctx) // none: the tree is going down
	for _, g := range groups {
		for _, p := range g.Processes {
			names = append(names, conf.Namespec(g.Name, p.Name))
		}
	}
	slices.Sort(names)
	return names
}

func (h *Handler) sendSnapshot(ctx context.Context, out *sse.Writer, stopping bool) ([]string, error) {
	names := h.processNames(ctx) // before the table: a change after it resyncs again
	html, err := renderString("groups", h.table(ctx))
	if err != nil {
		return nil, err
	}
	return names, out.Send("snapshot", "", map[string]any{"html": html, "stopping": stopping})
}

func renderString(name string, data any) (string, error) {
	var b bytes.Buffer
	err := templates.ExecuteTemplate(&b, name, data)
	return b.String(), err
}
