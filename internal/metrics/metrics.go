// Package metrics is the daemon's Prometheus endpoint and the recent
// history of its processes' use of the machine.
//
// /metrics serves, in the Prometheus text format, what the tree counts
// (per process: state, start time, restarts, exits, log bytes; per
// eventlistener pool: queue, deliveries, drops), what /proc tells of each
// running process (CPU, memory, descriptors), the API's requests and
// latencies, and the daemon's own Go and process metrics. A scrape asks
// the tree once (actors.Daemon.Snapshot, which costs what a
// getAllProcessInfo does) and reads /proc for each running process.
//
// A History samples every running process's CPU and resident memory every
// 10 seconds, keeps the last hour of them and a timeline of each
// process's starts and exits, and serves them at /metrics/history for the
// web page's charts.
//
// Both endpoints need the read role (auth.Read).
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"supervisord/internal/auth"
	"supervisord/internal/procstat"
	"supervisord/protocol/events"
)

// Tree is what a History of a running tree asks of it (StartHistory);
// *actors.Daemon is one.
type Tree interface {
	Snapshotter
	Subscribe(ctx context.Context, types []events.Type, fn func(serial int64, ev events.Event)) (cancel func(), err error)
}

// ReadFunc samples one OS process (procstat.Reader.Read); tests fake it.
type ReadFunc func(pid int) (procstat.Sample, error)

// Options configure the metrics of one tree.
type Options struct {
	Log *slog.Logger // where a failed scrape is logged; nil: nowhere
	// Read samples a process; nil reads /proc.
	Read ReadFunc
	// History, when set, is served at /metrics/history.
	History *History
	// Timeout bounds the tree's answer to a scrape; 0 is 10 s.
	Timeout time.Duration
}

// Metrics is the /metrics endpoint of one tree, and the API's counters.
type Metrics struct {
	reg       *prometheus.Registry
	collector *treeCollector
	handler   http.Handler
	history   *History
	requests  *prometheus.CounterVec
	latencies *prometheus.HistogramVec
}

// New makes the metrics of tree.
func New(tree Snapshotter, opts Options) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), history: opts.History}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "supervisord_api_requests_total",
		Help: "API requests answered, by surface (xmlrpc, json), method and result (ok, the fault code's name, or error).",
	}, []string{"surface", "method", "result"})
	m.latencies = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "supervisord_api_request_duration_seconds",
		Help:    "How long API requests took to answer, by surface and method.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"surface", "method"})
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	m.collector = newTreeCollector(tree, opts.Read, timeout)
	m.reg.MustRegister(
		m.collector,
		m.requests, m.latencies,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	var errLog promhttp.Logger
	if opts.Log != nil {
		errLog = slogPrinter{opts.Log}
	}
	// A scrape the tree did not answer fails (HTTP 500) rather than
	// report a partial set: Prometheus marks the target down.
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: errLog, ErrorHandling: promhttp.HTTPErrorOnError})
	return m
}

// ObserveAPI records one API request as answered: the surface it came by
// ("xmlrpc", "json"), the method (a name the surface knows: unknown names
// are best all reported as one), the result ("ok", the fault code's
// name such as "BAD_NAME", or "error" for a failure that is no fault),
// and how long it took. Safe for concurrent use.
func (m *Metrics) ObserveAPI(surface, method, result string, took time.Duration) {
	m.requests.WithLabelValues(surface, method, result).Inc()
	m.latencies.WithLabelValues(surface, method).Observe(took.Seconds())
}

// Registry is where the metrics are registered, for a test or an
// embedder to gather them.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ServeHTTP serves /metrics, and /metrics/history when there is a
// History, to callers with the read role (403 otherwise).
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !auth.Allowed(r.Context(), auth.Read) {
		http.Error(w, "forbidden: metrics need the read role", http.StatusForbidden)
		return
	}
	switch {
	case r.URL.Path == "/metrics/history" && m.history != nil:
		m.history.ServeHTTP(w, r)
	case r.URL.Path == "/metrics":
		m.handler.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

// slogPrinter is promhttp's error log on the main log.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	p.log.Warn("metrics: " + strings.TrimSpace(fmt.Sprintln(v...)))
}

// readers are /proc readers, one per scrape or sampler at a time.
var readers = sync.Pool{New: func() any { return new(procstat.Reader) }}

// readProc samples a process from /proc.
func readProc(pid int) (procstat.Sample, error) {
	r := readers.Get().(*procstat.Reader)
	defer readers.Put(r)
	return r.Read(pid)
}
