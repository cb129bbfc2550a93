package metrics

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"supervisord/actors"
	"supervisord/internal/procstat"
	"supervisord/protocol/events"
)

// The history's defaults: a sample every 10 seconds, an hour of them
// (360 per process), and at most maxMarks starts and exits per process
// within that hour (a program restarting every second has 7,200).
const (
	DefaultInterval = 10 * time.Second
	DefaultKeep     = time.Hour
	maxMarks        = 1000
)

// HistoryOptions configure a History.
type HistoryOptions struct {
	Interval time.Duration // between samples; 0 is DefaultInterval
	Keep     time.Duration // how far back samples and marks go; 0 is DefaultKeep
	Read     ReadFunc      // samples a process; nil reads /proc
	Log      *slog.Logger  // where a failed sample is logged; nil: nowhere
}

// Series is what a History holds of one process, oldest first.
type Series struct {
	Group           string  `json:"group"`
	Name            string  `json:"name"`
	IntervalSeconds float64 `json:"interval_seconds"`
	Samples         []Point `json:"samples"`
	Marks           []Mark  `json:"marks"`
}

// Point is one sample of a running process.
type Point struct {
	Time       time.Time `json:"time"`
	PID        int       `json:"pid"`
	CPUSeconds float64   `json:"cpu_seconds"` // user and system CPU time of this run so far
	// CPUPercent is the CPU the process used since the sample before
	// (since it started, for a run's first), 100 for one core's worth.
	CPUPercent float64 `json:"cpu_percent"`
	RSSBytes   int64   `json:"rss_bytes"`
}

// Mark is a start or an end on a process's timeline.
type Mark struct {
	Time time.Time `json:"time"`
	// Kind is "start" (it entered STARTING), "exit" (a run ended: the
	// state is EXITED, STOPPED after a stop, or BACKOFF when it exited
	// while starting) or "fatal" (it gave up starting).
	Kind  string `json:"kind"`
	State string `json:"state"` // the state it entered
	// An exit's pid, its exit status (absent when killed) or the signal
	// that killed it, and whether the status is one of its exitcodes.
	PID      int    `json:"pid,omitempty"`
	ExitCode *int   `json:"exit_code,omitempty"`
	Signal   string `json:"signal,omitempty"`
	Expected *bool  `json:"expected,omitempty"`
}

// History samples every running process's CPU and resident memory at an
// interval and keeps them, with a timeline of each process's starts and
// exits from the event bus, for as long as Keep; a process no longer in
// the tree is forgotten at the next sample.
//
// One goroutine owns all of it: it samples, takes in the events the bus
// hands over (through an inbox that never blocks the bus), and answers
// Series. Close stops it.
//
// A History is made before the tree (NewHistory), so that its Observer
// sees the first starts, and given the tree to sample once it runs
// (Sample); StartHistory does both for a running tree.
type History struct {
	interval time.Duration
	keep     time.Duration
	read     ReadFunc
	log      *slog.Logger

	begin  chan Snapshotter // the tree to sample, once
	reqs   chan seriesRequest
	wake   chan struct{} // the inbox has events
	quit   chan struct{}
	done   chan struct{}
	cancel func() // the bus subscription, when StartHistory made one
	once   sync.Once

	inboxMu sync.Mutex
	inbox   []observed // events the owner has not taken yet

	tree  Snapshotter // the owner's alone, as are:
	procs map[procKey]*procHistory

	// latest is what the last sample read of each running process, made
	// anew by the owner at each sample and never written after: a scrape
	// of /metrics takes it from there rather than read /proc again.
	latest atomic.Pointer[map[procKey]reading]
}

// reading is what a sample read of one run of a process.
type reading struct {
	pid int
	procstat.Sample
}

// Snapshotter is the part of the tree a History samples.
type Snapshotter interface {
	Snapshot(ctx context.Context) (actors.Snapshot, error)
}

type procKey struct{ group, name string }

type observed struct {
	key  procKey
	mark Mark
}

type seriesRequest struct {
	key   procKey
	reply chan<- seriesReply
}

// point is a Point as kept: 32 bytes, some 11 MB for an hour of a
// thousand processes.
type point struct {
	at     int64 // UnixNano
	pid    int32
	cpuPct float32
	cpu    float64 // seconds
	rss    int64
}

func (p point) Point() Point {
	return Point{Time: time.Unix(0, p.at), PID: int(p.pid), CPUSeconds: p.cpu, CPUPercent: float64(p.cpuPct), RSSBytes: p.rss}
}

type seriesReply struct {
	s  Series
	ok bool
}

// procHistory is one process's samples and marks, and what its last
// sample read (for the next one's CPU share).
type procHistory struct {
	points ring[point]
	marks  ring[Mark]
	last   struct {
		pid   int
		start uint64 // the run's start in clock ticks after boot: a reused pid is another run
		cpu   time.Duration
		at    time.Time
	}
}

// NewHistory makes a history that holds what its Observer is handed and
// samples nothing until Sample gives it the tree.
func NewHistory(opts HistoryOptions) *History {
	h := &History{interval: opts.Interval, keep: opts.Keep, read: opts.Read, log: opts.Log,
		begin: make(chan Snapshotter, 1), reqs: make(chan seriesRequest), wake: make(chan struct{}, 1),
		quit: make(chan struct{}), done: make(chan struct{}), procs: map[procKey]*procHistory{}}
	if h.interval <= 0 {
		h.interval = DefaultInterval
	}
	if h.keep <= 0 {
		h.keep = DefaultKeep
	}
	if h.read == nil {
		h.read = readProc
	}
	go h.run()
	return h
}

// Observer is the history's watcher of the event bus, for
// actors.Options.Observers.
func (h *History) Observer() actors.Observer {
	return actors.Observer{Types: []events.Type{events.TypeProcessState}, Fn: h.observe}
}

// Sample has the history sample tree from now on: it learns what
// processes there are at once, and reads them the first time one
// interval later (a tree just started has processes halfway through
// their exec). Only the first call counts.
func (h *History) Sample(tree Snapshotter) {
	select {
	case h.begin <- tree:
	default:
	}
}

// StartHistory is a history of a tree that runs already: it subscribes to
// its process state events and samples it.
func StartHistory(tree Tree, opts HistoryOptions) (*History, error) {
	h := NewHistory(opts)
	o := h.Observer()
	cancel, err := tree.Subscribe(context.Background(), o.Types, o.Fn)
	if err != nil {
		h.Close()
		return nil, err
	}
	h.cancel = cancel
	h.Sample(tree)
	return h, nil
}

// Close stops the sampling and forgets everything; Series then finds
// nothing.
func (h *History) Close() {
	h.once.Do(func() {
		if h.cancel != nil {
			h.cancel()
		}
		close(h.quit)
		<-h.done
	})
}

// Series is what the history holds of a process, oldest first; false
// when it knows no such process.
func (h *History) Series(group, name string) (Series, bool) {
	reply := make(chan seriesReply, 1)
	select {
	case h.reqs <- seriesRequest{key: procKey{group, name}, reply: reply}:
	case <-h.done:
		return Series{}, false
	}
	r := <-reply
	return r.s, r.ok
}

// observe is the bus's hand-over: it runs on an actor's goroutine, so it
// only queues the event for the owner.
func (h *History) observe(_ int64, ev events.Event) {
	st, ok := ev.(events.ProcessState)
	if !ok {
		return
	}
	m := Mark{Time: time.Now(), State: st.State}
	switch {
	case st.State == events.StateStarting:
		m.Kind = "start"
	case st.Exit != nil:
		m.Kind, m.PID = "exit", st.PID
		code, expected := st.Exit.Code, st.Exit.Expected
		if st.Exit.Signal != 0 {
			_, m.Signal = exitLabels(code, st.Exit.Signal)
		} else {
			m.ExitCode = &code
		}
		m.Expected = &expected
	case st.State == events.StateFatal:
		m.Kind = "fatal"
	default:
		return
	}
	h.inboxMu.Lock()
	h.inbox = append(h.inbox, observed{procKey{st.Group, st.Process}, m})
	h.inboxMu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default: // a wake-up is on its way already
	}
}

func (h *History) run() {
	defer close(h.done)
	var ticks <-chan time.Time // none until there is a tree
	begin := h.begin
	for {
		select {
		case <-h.quit:
			return
		case h.tree = <-begin:
			tick := time.NewTicker(h.interval)
			defer tick.Stop()
			ticks = tick.C
			begin = nil
			h.sample(false) // the processes, not yet their use
		case <-ticks:
			h.sample(true)
		case <-h.wake:
			h.takeInbox()
		case r := <-h.reqs:
			h.takeInbox() // what happened before the question
			r.reply <- h.series(r.key)
		}
	}
}

func (h *History) takeInbox() {
	h.inboxMu.Lock()
	in := h.inbox
	h.inbox = nil
	h.inboxMu.Unlock()
	for _, o := range in {
		h.proc(o.key).marks.push(o.mark)
	}
}

// proc is a process's history, made on first sight.
func (h *History) proc(k procKey) *procHistory {
	p := h.procs[k]
	if p == nil {
		p = &procHistory{points: ring[point]{limit: int(h.keep/h.interval) + 1}, marks: ring[Mark]{limit: maxMarks}}
		h.procs[k] = p
	}
	return p
}

// sample reads every running process once (with read), and forgets the
// processes the tree no longer has.
func (h *History) sample(read bool) {
	// Events taken before the snapshot are of processes it shows unless
	// they are gone; those that come meanwhile wait for the next turn.
	h.takeInbox()
	ctx, cancel := context.WithTimeout(context.Background(), h.interval)
	defer cancel()
	snap, err := h.tree.Snapshot(ctx)
	if err != nil {
		if h.log != nil {
			h.log.Warn("metrics: no history sample: " + err.Error())
		}
		return
	}
	seen := make(map[procKey]bool, len(snap.Processes))
	latest := make(map[procKey]reading, len(snap.Processes))
	if read {
		defer h.latest.Store(&latest)
	}
	for _, in := range snap.Processes {
		k := procKey{in.Group, in.Name}
		seen[k] = true
		p := h.proc(k)
		if in.PID <= 0 || !read {
			continue
		}
		s, err := h.read(in.PID)
		if err != nil {
			continue // it ended since the snapshot
		}
		latest[k] = reading{in.PID, s}
		now := time.Now()
		pt := point{at: now.UnixNano(), pid: int32(in.PID), cpu: s.CPU.Seconds(), rss: s.RSS}
		used, over := s.CPU, now.Sub(in.Start)
		if p.last.pid == in.PID && p.last.start == s.StartTime {
			used, over = s.CPU-p.last.cpu, now.Sub(p.last.at)
		}
		if over > 0 {
			pt.cpuPct = float32(100 * used.Seconds() / over.Seconds())
		}
		p.last.pid, p.last.start, p.last.cpu, p.last.at = in.PID, s.StartTime, s.CPU, now
		p.points.push(pt)
	}
	for k := range h.procs {
		if !seen[k] {
			delete(h.procs, k)
		}
	}
}

// Latest is what the last sample read of each running process (nil
// before the first).
func (h *History) Latest() map[procKey]reading {
	if m := h.latest.Load(); m != nil {
		return *m
	}
	return nil
}

// series is a copy of a process's history, within Keep of now.
func (h *History) series(k procKey) seriesReply {
	p := h.procs[k]
	if p == nil {
		return seriesReply{}
	}
	since := time.Now().Add(-h.keep)
	s := Series{Group: k.group, Name: k.name, IntervalSeconds: h.interval.Seconds(), Samples: []Point{}, Marks: []Mark{}}
	for _, pt := range p.points.items() {
		if pt.at >= since.UnixNano() {
			s.Samples = append(s.Samples, pt.Point())
		}
	}
	for _, m := range p.marks.items() {
		if !m.Time.Before(since) {
			s.Marks = append(s.Marks, m)
		}
	}
	return seriesReply{s, true}
}

// ServeHTTP answers GET /metrics/history?process=GROUP:NAME (a bare NAME
// is NAME:NAME) with the process's Series as JSON; errors are
// {"code": …, "message": …}. The caller's role is checked by Metrics.
func (h *History) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		jsonError(w, http.StatusMethodNotAllowed, "method_not_allowed", "the history is read with GET")
		return
	}
	spec := r.URL.Query().Get("process")
	if spec == "" {
		jsonError(w, http.StatusBadRequest, "bad_request", "name the process: ?process=GROUP:NAME")
		return
	}
	group, name, found := strings.Cut(spec, ":")
	if !found {
		name = group
	}
	s, ok := h.Series(group, name)
	if !ok {
		jsonError(w, http.StatusNotFound, "not_found", "no such process: "+spec)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s)
}

func jsonError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"code": code, "message": msg})
}

// ring keeps the last limit values pushed; it grows to that as they come.
type ring[T any] struct {
	buf   []T
	limit int
	next  int // where the next value goes once buf is full
}

func (r *ring[T]) push(v T) {
	if len(r.buf) < max(r.limit, 1) {
		r.buf = append(r.buf, v)
		return
	}
	r.buf[r.next] = v
	r.next = (r.next + 1) % len(r.buf)
}

// items are the values, oldest first, in a slice of their own.
func (r *ring[T]) items() []T { return slices.Concat(r.buf[r.next:], r.buf[:r.next]) }
