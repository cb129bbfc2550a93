package metrics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	dto "github.com/prometheus/client_model/go"

	"supervisord/actors"
	"supervisord/internal/procstat"
	"supervisord/protocol/events"
)

// historyTree is a tree whose processes and their /proc samples a test
// sets, on the bubble's clock.
type historyTree struct {
	mu      sync.Mutex
	procs   []actors.ProcessInfo
	samples map[int]procstat.Sample // by pid
	publish func(int64, events.Event)
}

func (f *historyTree) Snapshot(context.Context) (actors.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return actors.Snapshot{Processes: append([]actors.ProcessInfo(nil), f.procs...)}, nil
}

func (f *historyTree) Subscribe(_ context.Context, types []events.Type, fn func(int64, events.Event)) (func(), error) {
	if len(types) != 1 || types[0] != events.TypeProcessState {
		return nil, errors.New("subscribed to the wrong events")
	}
	f.publish = fn
	return func() {}, nil
}

func (f *historyTree) read(pid int) (procstat.Sample, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.samples[pid]
	if !ok {
		return s, errors.New("no such process")
	}
	return s, nil
}

func (f *historyTree) set(procs []actors.ProcessInfo, samples map[int]procstat.Sample) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.procs, f.samples = procs, samples
}

// after lets d pass on the bubble's clock and the sampler catch up.
func after(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

func TestHistorySamples(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		tree := &historyTree{}
		run := func(pid int) []actors.ProcessInfo {
			return []actors.ProcessInfo{{Group: "g", Name: "p", State: actors.Running, PID: pid, Start: start},
				{Group: "g", Name: "idle", State: actors.Stopped}}
		}
		h, err := StartHistory(tree, HistoryOptions{Read: tree.read})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		synctest.Wait()

		// A tenth of a core over the first 10 s (since its start), half a
		// core over the next, then a quarter.
		tree.set(run(100), map[int]procstat.Sample{100: {CPU: time.Second, RSS: 1 << 20, StartTime: 7}})
		after(DefaultInterval)
		tree.set(run(100), map[int]procstat.Sample{100: {CPU: 6 * time.Second, RSS: 2 << 20, StartTime: 7}})
		after(DefaultInterval)
		tree.set(run(100), map[int]procstat.Sample{100: {CPU: 8500 * time.Millisecond, RSS: 3 << 20, StartTime: 7}})
		after(DefaultInterval)
		// The pid is reused by another run, started 40 s ago: its share
		// counts from its start.
		tree.set(run(100), map[int]procstat.Sample{100: {CPU: 2 * time.Second, RSS: 4 << 20, StartTime: 9}})
		after(DefaultInterval)
		s, ok := h.Series("g", "p")
		if !ok {
			t.Fatal("no series")
		}
		want := []Point{
			{Time: start.Add(10 * time.Second), PID: 100, CPUSeconds: 1, CPUPercent: 10, RSSBytes: 1 << 20},
			{Time: start.Add(20 * time.Second), PID: 100, CPUSeconds: 6, CPUPercent: 50, RSSBytes: 2 << 20},
			{Time: start.Add(30 * time.Second), PID: 100, CPUSeconds: 8.5, CPUPercent: 25, RSSBytes: 3 << 20},
			{Time: start.Add(40 * time.Second), PID: 100, CPUSeconds: 2, CPUPercent: 100 * 2.0 / 40, RSSBytes: 4 << 20},
		}
		if len(s.Samples) != len(want) {
			t.Fatalf("samples %+v, want %+v", s.Samples, want)
		}
		for i, p := range s.Samples {
			w := want[i]
			if !p.Time.Equal(w.Time) || p.PID != w.PID || p.CPUSeconds != w.CPUSeconds || p.RSSBytes != w.RSSBytes ||
				float32(p.CPUPercent) != float32(w.CPUPercent) {
				t.Errorf("sample %d: %+v, want %+v", i, p, w)
			}
		}
		if s.IntervalSeconds != 10 || s.Group != "g" || s.Name != "p" {
			t.Errorf("series %+v", s)
		}
		// A process that never ran has an empty series, not none.
		if idle, ok := h.Series("g", "idle"); !ok || len(idle.Samples) != 0 || idle.Samples == nil {
			t.Errorf("idle: %+v, %v", idle, ok)
		}

		// Two hours on, an hour is kept: one sample every 10 s, both ends in.
		after(2 * time.Hour)
		s, _ = h.Series("g", "p")
		if len(s.Samples) != 361 || s.Samples[0].Time.Before(time.Now().Add(-time.Hour)) {
			t.Errorf("%d samples from %v, want 361 from an hour ago (%v)", len(s.Samples), s.Samples[0].Time, time.Now())
		}

		// A process the tree no longer has is forgotten at the next sample.
		tree.set(run(100)[1:], nil)
		after(DefaultInterval)
		if _, ok := h.Series("g", "p"); ok {
			t.Error("a removed process is remembered")
		}
		if _, ok := h.Series("g", "idle"); !ok {
			t.Error("the remaining process is forgotten")
		}
	})
}

func TestHistoryMarks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		tree := &historyTree{procs: []actors.ProcessInfo{{Group: "g", Name: "p", State: actors.Stopped}}}
		h, err := StartHistory(tree, HistoryOptions{Read: tree.read})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		synctest.Wait()
		ps := func(state string, exit *events.Exit) events.ProcessState {
			return events.ProcessState{State: state, Process: "p", Group: "g", PID: 42, Exit: exit}
		}
		for _, ev := range []events.Event{
			ps(events.StateStarting, nil),
			ps(events.StateRunning, nil), // not a mark
			ps(events.StateExited, &events.Exit{Code: 3}),
			ps(events.StateStarting, nil),
			ps(events.StateStopping, nil), // not a mark
			ps(events.StateStopped, &events.Exit{Code: -1, Signal: syscall.SIGTERM}),
			ps(events.StateStarting, nil),
			ps(events.StateBackoff, &events.Exit{Code: 0, Expected: true}),
			ps(events.StateBackoff, nil), // a spawn error: no run ended
			ps(events.StateFatal, nil),
			events.ProcessState{State: events.StateStarting, Process: "q", Group: "g"}, // a new process, until the next sample
			events.Tick{},
		} {
			tree.publish(0, ev)
			after(time.Second)
		}
		s, ok := h.Series("g", "p")
		if !ok {
			t.Fatal("no series")
		}
		code := func(n int) *int { return &n }
		yes, no := ptr(true), ptr(false)
		want := []Mark{
			{Kind: "start", State: "STARTING"},
			{Kind: "exit", State: "EXITED", PID: 42, ExitCode: code(3), Expected: no},
			{Kind: "start", State: "STARTING"},
			{Kind: "exit", State: "STOPPED", PID: 42, Signal: "SIGTERM", Expected: no},
			{Kind: "start", State: "STARTING"},
			{Kind: "exit", State: "BACKOFF", PID: 42, ExitCode: code(0), Expected: yes},
			{Kind: "fatal", State: "FATAL"},
		}
		at := []int{0, 2, 3, 5, 6, 7, 9} // seconds after start: one event a second
		if len(s.Marks) != len(want) {
			t.Fatalf("marks %+v", s.Marks)
		}
		for i, m := range s.Marks {
			w := want[i]
			if m.Kind != w.Kind || m.State != w.State || m.PID != w.PID || m.Signal != w.Signal ||
				!equalPtr(m.ExitCode, w.ExitCode) || !equalPtr(m.Expected, w.Expected) ||
				!m.Time.Equal(start.Add(time.Duration(at[i])*time.Second)) {
				t.Errorf("mark %d: %+v, want %+v at %ds", i, m, w, at[i])
			}
		}
		if q, ok := h.Series("g", "q"); !ok || len(q.Marks) != 1 {
			t.Errorf("q: %+v, %v", q, ok)
		}
		// Marks older than an hour are left out.
		after(time.Hour - 5*time.Second)
		if s, _ := h.Series("g", "p"); len(s.Marks) != 2 {
			t.Errorf("an hour on: %+v", s.Marks)
		}
		if _, ok := h.Series("g", "q"); ok {
			t.Error("q is remembered though the tree does not have it")
		}
	})
}

// TestHistoryBoundsMarks: a process that restarts all the time keeps the
// last maxMarks of its marks.
func TestHistoryBoundsMarks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tree := &historyTree{procs: []actors.ProcessInfo{{Group: "g", Name: "p", State: actors.Running}}}
		h, err := StartHistory(tree, HistoryOptions{Read: tree.read})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		synctest.Wait()
		for i := range 3 * maxMarks {
			tree.publish(0, events.ProcessState{State: events.StateExited, Process: "p", Group: "g", PID: i, Exit: &events.Exit{}})
		}
		synctest.Wait()
		s, _ := h.Series("g", "p")
		if len(s.Marks) != maxMarks || s.Marks[0].PID != 2*maxMarks || s.Marks[maxMarks-1].PID != 3*maxMarks-1 {
			t.Errorf("%d marks, pids %d…%d", len(s.Marks), s.Marks[0].PID, s.Marks[len(s.Marks)-1].PID)
		}
	})
}

func TestHistoryHTTP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tree := &historyTree{procs: []actors.ProcessInfo{{Group: "g", Name: "p"}, {Group: "solo", Name: "solo"}}}
		h, err := StartHistory(tree, HistoryOptions{Read: tree.read})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		synctest.Wait()
		for _, tc := range []struct {
			method, query string
			want          int
			body          string
		}{
			{"GET", "?process=g:p", 200, `{"group":"g","name":"p","interval_seconds":10,"samples":[],"marks":[]}`},
			{"GET", "?process=solo", 200, `{"group":"solo","name":"solo","interval_seconds":10,"samples":[],"marks":[]}`},
			{"GET", "?process=g:nosuch", 404, `{"code":"not_found","message":"no such process: g:nosuch"}`},
			{"GET", "", 400, `{"code":"bad_request","message":"name the process: ?process=GROUP:NAME"}`},
			{"POST", "?process=g:p", 405, `{"code":"method_not_allowed","message":"the history is read with GET"}`},
		} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tc.method, "/metrics/history"+tc.query, nil))
			if w.Code != tc.want || w.Body.String() != tc.body+"\n" || w.Header().Get("Content-Type") != "application/json" {
				t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.query, w.Code, w.Body, tc.want, tc.body)
			}
		}
		h.Close()
		if _, ok := h.Series("g", "p"); ok {
			t.Error("a closed history answers")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics/history?process=g:p", nil))
		if w.Code != http.StatusNotFound {
			t.Errorf("closed: %d", w.Code)
		}
	})
}

func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// TestScrapeTakesHistory: with a History, a scrape reports what the last
// sample read of the same run, and nothing for a run it has not read
// (started or restarted since); it reads /proc itself never.
func TestScrapeTakesHistory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tree := &historyTree{}
		running := func(pid int) []actors.ProcessInfo {
			return []actors.ProcessInfo{{Group: "g", Name: "p", State: actors.Running, PID: pid, Start: time.Now()}}
		}
		tree.set(running(7), map[int]procstat.Sample{7: {CPU: 2 * time.Second, RSS: 8192, FDs: 4}})
		h, err := StartHistory(tree, HistoryOptions{Read: tree.read})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		m := New(tree, Options{History: h, Read: func(int) (procstat.Sample, error) {
			t.Error("the scrape read /proc")
			return procstat.Sample{}, errors.New("not here")
		}})
		rss := func() (float64, bool) {
			fams, err := m.Gather()
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]*dto.MetricFamily{}
			for _, f := range fams {
				byName[f.GetName()] = f
			}
			return value(byName, "supervisord_process_resident_memory_bytes", "name=p")
		}
		synctest.Wait()
		if v, ok := rss(); ok {
			t.Errorf("before the first sample: RSS %v", v)
		}
		after(DefaultInterval)
		if v, ok := rss(); !ok || v != 8192 {
			t.Errorf("after a sample: RSS %v (%v), want 8192", v, ok)
		}
		// It restarts as pid 9: its last reading is of another run.
		tree.set(running(9), map[int]procstat.Sample{9: {CPU: time.Second, RSS: 4096, FDs: 3}})
		if v, ok := rss(); ok {
			t.Errorf("a run not sampled yet: RSS %v", v)
		}
		after(DefaultInterval)
		if v, ok := rss(); !ok || v != 4096 {
			t.Errorf("after its first sample: RSS %v (%v), want 4096", v, ok)
		}
	})
}
