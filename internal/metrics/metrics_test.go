package metrics

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/auth"
	"supervisord/internal/procstat"
	"supervisord/protocol/events"
	"supervisord/testkit"
)

// allocMiB is what the alloc child holds resident.
const allocMiB = 64

// TestMain runs the tests, or, as a child of a tree under test, the alloc
// helper: it touches allocMiB of memory, says so on stdout and sleeps.
func TestMain(m *testing.M) {
	if os.Getenv("METRICS_TEST_CHILD") == "alloc" {
		mem := make([]byte, allocMiB<<20)
		for i := range mem {
			mem[i] = byte(i)
		}
		fmt.Println("allocated")
		for {
			time.Sleep(time.Hour)
			mem[0]++ // kept alive
		}
	}
	testkit.VerifyTestMain(m)
}

// The exits program's runs end with 3, SIGKILL, 5, then 0, which is
// expected: three automatic restarts, then it stays EXITED.
const exitsScript = `n=$(cat {dir}/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > {dir}/count
case $n in 1) exit 3;; 2) kill -KILL $$;; 3) exit 5;; *) exit 0;; esac
`

// The listener script refuses its first event and takes the others.
const listenerScript = `n=0
while :; do
  printf 'READY\n'
  read -r header || exit 0
  len=${header##*len:}
  head -c "$len" >/dev/null
  n=$((n+1))
  if [ $n -eq 1 ]; then printf 'RESULT 4\nFAIL'; else printf 'RESULT 2\nOK'; fi
done
`

const treeConf = `
[supervisord]
logfile={dir}/main.log
childlogdir={dir}

[program:alloc]
command={self} -test.run=NONE
environment=METRICS_TEST_CHILD="alloc"
startsecs=0

[program:exits]
command=/bin/sh {dir}/exits.sh
startsecs=0
autorestart=unexpected
exitcodes=0
startretries=10

[program:writer]
command=/bin/sh -c 'head -c 1000 /dev/zero | tr "\0" x; head -c 234 /dev/zero | tr "\0" y >&2; exec sleep 1000'
startsecs=0

[eventlistener:pfail]
command=/bin/sh {dir}/listener.sh
events=REMOTE_COMMUNICATION
startsecs=0

[eventlistener:pstuck]
command=/bin/sleep 1000
events=REMOTE_COMMUNICATION
buffer_size=2
startsecs=0
`

// startTree runs a real tree on treeConf, with the metrics and history
// served by a test server.
func startTree(t *testing.T) (*actors.Daemon, *httptest.Server) {
	t.Helper()
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"exits.sh": exitsScript, "listener.sh": listenerScript} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.ReplaceAll(text, "{dir}", dir)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "supervisord.conf")
	text := strings.NewReplacer("{dir}", dir, "{self}", self).Replace(treeConf)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	h := NewHistory(HistoryOptions{Log: log, Interval: 100 * time.Millisecond})
	d, err := actors.Start(cfg, actors.Options{Log: log, Observers: []actors.Observer{h.Observer()}})
	if err != nil {
		h.Close()
		t.Fatal(err)
	}
	h.Sample(d)
	srv := httptest.NewServer(New(d, Options{Log: log, History: h}))
	t.Cleanup(func() {
		srv.Close()
		h.Close()
		d.Shutdown()
		<-d.Done()
	})
	return d, srv
}

// scrape gets /metrics and parses it with the Prometheus text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("/metrics: %s\n%s", resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value is the value of the series of family name whose labels include
// labels ("k=v" pairs); false when there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for _, kv := range labels {
			k, v, _ := strings.Cut(kv, "=")
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		}
	}
	return 0, false
}

func TestScrape(t *testing.T) {
	d, srv := startTree(t)
	// Three events for the pools: pfail refuses the first once, pstuck
	// never takes any and keeps two.
	testkit.Eventually(t, 20*time.Second, func() bool {
		fams := scrape(t, srv.URL)
		a, _ := value(fams, "supervisord_process_state", "name=pfail", "state=RUNNING")
		b, _ := value(fams, "supervisord_process_state", "name=pstuck", "state=RUNNING")
		return a == 1 && b == 1
	}, "the listeners are RUNNING")
	for i := range 3 {
		d.Publish(events.RemoteCommunication{Type: "test", Data: fmt.Sprint(i)})
	}
	var fams map[string]*dto.MetricFamily
	settled := func() bool {
		fams = scrape(t, srv.URL)
		exited, _ := value(fams, "supervisord_process_state", "name=exits", "state=EXITED")
		ok, _ := value(fams, "supervisord_process_exits_total", "name=exits", "code=0")
		out, _ := value(fams, "supervisord_process_log_bytes_total", "name=writer", "stream=stdout")
		errb, _ := value(fams, "supervisord_process_log_bytes_total", "name=writer", "stream=stderr")
		delivered, _ := value(fams, "supervisord_pool_events_delivered_total", "pool=pfail")
		dropped, _ := value(fams, "supervisord_pool_events_dropped_total", "pool=pstuck")
		queued, _ := value(fams, "supervisord_pool_queued_events", "pool=pfail")
		rss, _ := value(fams, "supervisord_process_resident_memory_bytes", "name=alloc")
		return exited == 1 && ok == 1 && out == 1000 && errb == 234 && delivered == 4 && dropped == 1 && queued == 0 &&
			rss >= allocMiB<<20
	}
	if !testkit.Poll(30*time.Second, settled) {
		dumpFamilies(t, fams)
		t.Fatal("the metrics did not settle")
	}
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"supervisord_process_restarts_total", []string{"group=exits", "name=exits"}, 3},
		{"supervisord_process_exits_total", []string{"name=exits", "code=3", "signal="}, 1},
		{"supervisord_process_exits_total", []string{"name=exits", "code=", "signal=SIGKILL"}, 1},
		{"supervisord_process_exits_total", []string{"name=exits", "code=5", "signal="}, 1},
		{"supervisord_process_exits_total", []string{"name=exits", "code=0", "signal="}, 1},
		{"supervisord_process_state", []string{"name=exits", "state=RUNNING"}, 0},
		{"supervisord_process_restarts_total", []string{"name=writer"}, 0},
		{"supervisord_process_log_bytes_total", []string{"name=writer", "stream=stdout"}, 1000},
		{"supervisord_process_log_bytes_total", []string{"name=writer", "stream=stderr"}, 234},
		{"supervisord_pool_events_delivered_total", []string{"pool=pfail"}, 4},
		{"supervisord_pool_events_redelivered_total", []string{"pool=pfail"}, 1},
		{"supervisord_pool_events_dropped_total", []string{"pool=pfail"}, 0},
		{"supervisord_pool_queued_events", []string{"pool=pfail"}, 0},
		{"supervisord_pool_events_delivered_total", []string{"pool=pstuck"}, 0},
		{"supervisord_pool_events_dropped_total", []string{"pool=pstuck"}, 1},
		{"supervisord_pool_queued_events", []string{"pool=pstuck"}, 2},
	} {
		if got, ok := value(fams, tc.name, tc.labels...); !ok || got != tc.want {
			t.Errorf("%s%v = %v (found %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	// Exactly one state per process is 1.
	for _, name := range []string{"alloc", "exits", "writer", "pfail", "pstuck"} {
		sum := 0.0
		for _, m := range fams["supervisord_process_state"].GetMetric() {
			if labelOf(m, "name") == name {
				sum += m.GetGauge().GetValue()
			}
		}
		if sum != 1 {
			t.Errorf("%s: the states sum to %v", name, sum)
		}
	}
	// What /proc tells is plausible: alloc holds its memory, a running
	// process has a start time, CPU and descriptors; one that ended has
	// none of them.
	rss, _ := value(fams, "supervisord_process_resident_memory_bytes", "name=alloc")
	if rss < allocMiB<<20 || rss > 1<<30 {
		t.Errorf("alloc's RSS %v, want at least %d MiB", rss, allocMiB)
	}
	cpu, ok := value(fams, "supervisord_process_cpu_seconds_total", "name=alloc")
	if !ok || cpu < 0 || cpu > 600 {
		t.Errorf("alloc's CPU seconds %v (%v)", cpu, ok)
	}
	if fds, ok := value(fams, "supervisord_process_open_fds", "name=alloc"); !ok || fds < 3 {
		t.Errorf("alloc's open descriptors %v (%v)", fds, ok)
	}
	if start, ok := value(fams, "supervisord_process_start_time_seconds", "name=alloc"); !ok ||
		time.Since(time.Unix(int64(start), 0)) > time.Minute || start > float64(time.Now().Unix()+1) {
		t.Errorf("alloc's start time %v (%v)", start, ok)
	}
	if _, ok := value(fams, "supervisord_process_resident_memory_bytes", "name=exits"); ok {
		t.Error("an exited process has a resident memory")
	}
	// The daemon's own metrics are there too.
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if fams[name] == nil {
			t.Errorf("no %s", name)
		}
	}

	// The history's timeline of the exits program, from the event bus.
	var s Series
	getJSON(t, srv.URL+"/metrics/history?process=exits:exits", http.StatusOK, &s)
	var got []string
	for _, m := range s.Marks {
		desc := m.Kind + " " + m.State
		if m.ExitCode != nil {
			desc += fmt.Sprintf(" code=%d", *m.ExitCode)
		}
		if m.Signal != "" {
			desc += " signal=" + m.Signal
		}
		if m.Expected != nil {
			desc += fmt.Sprintf(" expected=%v", *m.Expected)
		}
		got = append(got, desc)
	}
	want := []string{
		"start STARTING", "exit EXITED code=3 expected=false",
		"start STARTING", "exit EXITED signal=SIGKILL expected=false",
		"start STARTING", "exit EXITED code=5 expected=false",
		"start STARTING", "exit EXITED code=0 expected=true",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("exits' timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func labelOf(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func dumpFamilies(t *testing.T, fams map[string]*dto.MetricFamily) {
	var b strings.Builder
	for name, f := range fams {
		if strings.HasPrefix(name, "supervisord_") {
			expfmt.MetricFamilyToText(&b, f)
		}
	}
	t.Logf("last scrape:\n%s", b.String())
}

func getJSON(t *testing.T, url string, status int, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: %s, want %d\n%s", url, resp.Status, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("GET %s: Content-Type %q", url, ct)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v\n%s", url, err, body)
	}
}

// TestLint checks every metric of ours against Prometheus's naming and
// help conventions, API metrics included.
func TestLint(t *testing.T) {
	m := New(fakeTree{snap: actors.Snapshot{
		Processes: []actors.ProcessInfo{{Group: "g", Name: "p", State: actors.Running, PID: os.Getpid(), Start: time.Now(),
			Stats: actors.ProcessStats{Restarts: 1, Exits: []actors.ExitCount{{Code: 1, Count: 2}, {Code: -1, Signal: 9, Count: 1}}}}},
		Pools: []actors.PoolStats{{Pool: "l"}},
	}}, Options{})
	m.ObserveAPI("xmlrpc", "supervisor.getState", "ok", time.Millisecond)
	fams, err := m.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var ours []*dto.MetricFamily
	for _, f := range fams {
		if strings.HasPrefix(f.GetName(), "supervisord_") {
			ours = append(ours, f)
		}
	}
	if len(ours) != 14 {
		t.Errorf("%d families of ours, want 14", len(ours))
	}
	problems, err := promlint.NewWithMetricFamilies(ours).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// TestRoles: the endpoints need the read role.
func TestRoles(t *testing.T) {
	h, err := StartHistory(fakeTree{}, HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	m := New(fakeTree{}, Options{History: h})
	for _, tc := range []struct {
		path string
		role *auth.Role // nil: no principal, an anonymous admin
		want int
	}{
		{"/metrics", nil, http.StatusOK},
		{"/metrics", ptr(auth.None), http.StatusForbidden},
		{"/metrics", ptr(auth.Read), http.StatusOK},
		{"/metrics/history?process=g:p", ptr(auth.None), http.StatusForbidden},
		{"/metrics/history?process=g:p", ptr(auth.Read), http.StatusNotFound},
		{"/metrics/history", ptr(auth.Read), http.StatusBadRequest},
		{"/metrics/other", ptr(auth.Admin), http.StatusNotFound},
	} {
		r := httptest.NewRequest(http.MethodGet, tc.path, nil)
		if tc.role != nil {
			r = r.WithContext(auth.With(r.Context(), auth.Principal{User: "u", Role: *tc.role}))
		}
		w := httptest.NewRecorder()
		m.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("%s as %v: %d, want %d", tc.path, tc.role, w.Code, tc.want)
		}
	}
}

// TestScrapeFails: a tree that does not answer fails the scrape.
func TestScrapeFails(t *testing.T) {
	m := New(fakeTree{err: actors.ErrShuttingDown}, Options{})
	w := httptest.NewRecorder()
	m.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("%d, want 500", w.Code)
	}
}

func TestObserveAPI(t *testing.T) {
	m := New(fakeTree{}, Options{})
	m.ObserveAPI("xmlrpc", "supervisor.startProcess", "BAD_NAME", 2*time.Millisecond)
	m.ObserveAPI("xmlrpc", "supervisor.startProcess", "BAD_NAME", 3*time.Millisecond)
	m.ObserveAPI("json", "GET /api/v1/processes", "ok", time.Second)
	fams, err := m.Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		byName[f.GetName()] = f
	}
	if v, _ := value(byName, "supervisord_api_requests_total", "surface=xmlrpc", "method=supervisor.startProcess", "result=BAD_NAME"); v != 2 {
		t.Errorf("BAD_NAME requests: %v, want 2", v)
	}
	for _, m := range byName["supervisord_api_request_duration_seconds"].GetMetric() {
		h := m.GetHistogram()
		switch labelOf(m, "surface") {
		case "xmlrpc":
			if h.GetSampleCount() != 2 || h.GetSampleSum() < 0.0049 || h.GetSampleSum() > 0.0051 {
				t.Errorf("xmlrpc latencies: %d, sum %v", h.GetSampleCount(), h.GetSampleSum())
			}
		case "json":
			if h.GetSampleCount() != 1 {
				t.Errorf("json latencies: %d", h.GetSampleCount())
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

// fakeTree answers with a fixed snapshot (or error) and hands the
// events a test publishes to its subscriber.
type fakeTree struct {
	snap actors.Snapshot
	err  error
	subs chan func(int64, events.Event)
}

func (f fakeTree) Snapshot(ctx context.Context) (actors.Snapshot, error) { return f.snap, f.err }

func (f fakeTree) Subscribe(_ context.Context, _ []events.Type, fn func(int64, events.Event)) (func(), error) {
	if f.subs != nil {
		f.subs <- fn
	}
	return func() {}, nil
}

// TestConcurrentScrapes: scrapes at once share the label pairs the
// collector keeps, which nobody may write (-race tells), and a process
// that is gone is forgotten.
func TestConcurrentScrapes(t *testing.T) {
	tree := &historyTree{}
	tree.set([]actors.ProcessInfo{{Group: "g", Name: "a", State: actors.Running, PID: 1}, {Group: "g", Name: "b"}},
		map[int]procstat.Sample{1: {CPU: time.Second, RSS: 4096, FDs: 3}})
	m := New(tree, Options{Read: tree.read})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				w := httptest.NewRecorder()
				m.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `supervisord_process_open_fds{group="g",name="a"} 3`) {
					t.Errorf("%d\n%s", w.Code, w.Body)
				}
			}
		})
	}
	wg.Wait()
	tree.set([]actors.ProcessInfo{{Group: "g", Name: "b"}}, nil)
	if _, err := m.Gather(); err != nil {
		t.Fatal(err)
	}
	c := m.tree
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.labels) != 1 || c.labels[procKey{"g", "b"}] == nil {
		t.Errorf("labels kept for %v", slices.Collect(maps.Keys(c.labels)))
	}
}

// TestFormats: the text format (gzipped when asked) and the protobuf
// format say the same, label values that need escaping included, and
// both parse with Prometheus's own parsers.
func TestFormats(t *testing.T) {
	odd := "a \"quoted\"\\ name\nover two lines"
	m := New(fakeTree{snap: actors.Snapshot{
		Processes: []actors.ProcessInfo{
			{Group: odd, Name: "p", State: actors.Running, PID: 3, Start: time.Unix(1700000000, 0),
				Stats: actors.ProcessStats{Restarts: 2, StdoutBytes: 1 << 40, Exits: []actors.ExitCount{{Code: 1, Count: 2}, {Code: -1, Signal: 9, Count: 1}}}},
			{Group: "g", Name: "idle", State: actors.Stopped},
		},
		Pools: []actors.PoolStats{{Pool: odd, Queued: 3, Delivered: 10, Redelivered: 1, Dropped: 4}},
	}}, Options{Read: func(int) (procstat.Sample, error) {
		return procstat.Sample{CPU: 1500 * time.Millisecond, RSS: 3 << 20, FDs: 7}, nil
	}})
	m.ObserveAPI("xmlrpc", "supervisor.getState", "ok", time.Millisecond)
	get := func(accept, encoding string) *http.Response {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		r.Header.Set("Accept", accept)
		r.Header.Set("Accept-Encoding", encoding)
		w := httptest.NewRecorder()
		m.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("Accept %q: %d\n%s", accept, w.Code, w.Body)
		}
		return w.Result()
	}
	canon := func(fams map[string]*dto.MetricFamily) string {
		var lines []string
		for name, f := range fams {
			if !strings.HasPrefix(name, "supervisord_p") { // the tree's
				continue
			}
			for _, m := range f.GetMetric() {
				var ls []string
				for _, l := range m.GetLabel() {
					ls = append(ls, l.GetName()+"="+strconv.Quote(l.GetValue()))
				}
				slices.Sort(ls)
				v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
				lines = append(lines, fmt.Sprintf("%s %s %s {%s} %v", name, f.GetType(), strconv.Quote(f.GetHelp()), strings.Join(ls, ","), v))
			}
		}
		slices.Sort(lines)
		return strings.Join(lines, "\n")
	}

	resp := get("text/plain;version=0.0.4;q=0.5,*/*;q=0.1", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("text: %v", resp.Header)
	}
	z, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	text, err := parser.TextToMetricFamilies(z)
	if err != nil {
		t.Fatal(err)
	}
	resp = get("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", "gzip;q=0")
	if resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("protobuf gzipped though refused: %v", resp.Header)
	}
	dec := expfmt.NewDecoder(resp.Body, expfmt.NewFormat(expfmt.TypeProtoDelim))
	proto := map[string]*dto.MetricFamily{}
	for {
		var f dto.MetricFamily
		if err := dec.Decode(&f); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		proto[f.GetName()] = &f
	}
	if text["supervisord_api_requests_total"] == nil || proto["supervisord_api_requests_total"] == nil {
		t.Error("the registry's metrics are missing")
	}
	got, want := canon(text), canon(proto)
	if got != want {
		t.Errorf("text says:\n%s\nprotobuf says:\n%s", got, want)
	}
	group := "group=" + strconv.Quote(odd)
	for _, tc := range []struct{ family, has string }{
		{"supervisord_process_state GAUGE", "{" + group + `,name="p",state="RUNNING"} 1`},
		{"supervisord_process_state GAUGE", "{" + group + `,name="p",state="STOPPED"} 0`},
		{"supervisord_process_start_time_seconds GAUGE", "{" + group + `,name="p"} 1.7e+09`},
		{"supervisord_process_log_bytes_total COUNTER", `stream="stdout"} 1.099511627776e+12`},
		{"supervisord_process_exits_total COUNTER", `{code="",` + group + `,name="p",signal="SIGKILL"} 1`},
		{"supervisord_process_exits_total COUNTER", `{code="1",` + group + `,name="p",signal=""} 2`},
		{"supervisord_process_cpu_seconds_total COUNTER", "{" + group + `,name="p"} 1.5`},
		{"supervisord_process_open_fds GAUGE", "{" + group + `,name="p"} 7`},
		{"supervisord_pool_events_dropped_total COUNTER", "{pool=" + strconv.Quote(odd) + "} 4"},
		{"supervisord_pool_queued_events GAUGE", "{pool=" + strconv.Quote(odd) + "} 3"},
	} {
		found := false
		for _, l := range strings.Split(got, "\n") {
			found = found || strings.HasPrefix(l, tc.family+" ") && strings.HasSuffix(l, tc.has)
		}
		if !found {
			t.Errorf("no %s line ending %s in:\n%s", tc.family, tc.has, got)
		}
	}
	if strings.Contains(got, `name="idle"} 1.5`) {
		t.Error("a stopped process has a CPU time")
	}
}

// FuzzWriteText: whatever a process's group and name, the text a scrape
// writes parses with Prometheus's parser back to the same labels and
// value.
func FuzzWriteText(f *testing.F) {
	f.Add("web", "web_0", 1.5)
	f.Add("a \"b\"\\", "c\nd", 1e300)
	f.Add("", "é", -0.25)
	f.Fuzz(func(t *testing.T, group, name string, v float64) {
		if !utf8.ValidString(group) || !utf8.ValidString(name) || math.IsNaN(v) {
			t.Skip() // label values are UTF-8; NaN equals nothing
		}
		l := newProcLabels(group, name)
		var b strings.Builder
		w := bufio.NewWriter(&b)
		if err := writeText(w, []family{{meta: stateMeta, samples: []sample{{&l.states[2], v}}}}); err != nil {
			t.Fatal(err)
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := parser.TextToMetricFamilies(strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("%v\n%s", err, b.String())
		}
		got, ok := value(fams, stateMeta.name, "group="+group, "name="+name, "state=RUNNING")
		if !ok || got != v {
			t.Fatalf("read back %v (%v), wrote %v\n%s", got, ok, v, b.String())
		}
	})
}
