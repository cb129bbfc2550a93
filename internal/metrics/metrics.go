// Package metrics is the daemon's Prometheus endpoint and the recent
// history of its processes' use of the machine.
//
// /metrics serves, in the Prometheus text format, what the tree counts
// (per process: state, start time, restarts, exits, log bytes; per
// eventlistener pool: queue, deliveries, drops), what /proc tells of each
// running process (CPU, memory, descriptors), the API's requests and
// latencies, and the daemon's own Go and process metrics. A scrape asks
// the tree once (actors.Daemon.Snapshot, which costs what a
// getAllProcessInfo does); what /proc tells comes from the History's last
// sample, at most one interval old, or, without a History, from reading
// /proc for each running process.
//
// A History samples every running process's CPU and resident memory every
// 10 seconds, keeps the last hour of them and a timeline of each
// process's starts and exits, and serves them at /metrics/history for the
// web page's charts.
//
// Both endpoints need the read role (auth.Read).
package metrics

import (
	"bufio"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

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
	// History, when set, is served at /metrics/history, and its last
	// sample is what a scrape reports of each process's CPU, memory and
	// descriptors (Read is then not used).
	History *History
	// Timeout bounds the tree's answer to a scrape; 0 is 10 s.
	Timeout time.Duration
}

// Metrics is the /metrics endpoint of one tree, and the API's counters.
type Metrics struct {
	reg       *prometheus.Registry // the API's and the daemon's own metrics
	tree      *treeScraper
	log       *slog.Logger
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
	m.tree = newTreeScraper(tree, opts.Read, opts.History, timeout)
	m.log = opts.Log
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	m.reg.MustRegister(
		m.requests, m.latencies,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
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

// Gather gathers every metric /metrics serves, as a
// prometheus.Gatherer does, checked as a Registry checks them.
func (m *Metrics) Gather() ([]*dto.MetricFamily, error) {
	return prometheus.Gatherers{m.reg, prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		fams, err := m.tree.Scrape(context.Background())
		return toDTO(fams), err
	})}.Gather()
}

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
		m.serveMetrics(w, r)
	default:
		http.NotFound(w, r)
	}
}

// serveMetrics serves a scrape in the format the scraper asks for (the
// text format unless it asks for protobuf), gzipped when it takes gzip.
// The API's and the daemon's own metrics come from the registry, the
// tree's from the treeScraper, written straight out in the text format.
// A scrape the tree did not answer fails (HTTP 500) rather than report
// a partial set: Prometheus marks the target down.
func (m *Metrics) serveMetrics(w http.ResponseWriter, r *http.Request) {
	tree, err := m.tree.Scrape(r.Context())
	if err != nil {
		m.log.Warn("metrics: the tree did not answer a scrape", "err", err)
		http.Error(w, "metrics: the tree did not answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	own, err := m.reg.Gather()
	if err != nil {
		m.log.Warn("metrics: gathering the daemon's own metrics", "err", err)
		http.Error(w, "metrics: "+err.Error(), http.StatusInternalServerError)
		return
	}
	format := expfmt.Negotiate(r.Header)
	h := w.Header()
	h.Set("Content-Type", string(format))
	h.Add("Vary", "Accept-Encoding")
	var out io.Writer = w
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		z := gzips.Get().(*gzip.Writer)
		z.Reset(w)
		defer func() {
			z.Close()
			gzips.Put(z)
		}()
		out = z
	}
	// The registry's families (go_*, process_*, supervisord_api_*) sort
	// before the tree's (supervisord_pool_*, supervisord_process_*).
	if format.FormatType() == expfmt.TypeTextPlain {
		bw := bufio.NewWriterSize(out, 32<<10)
		for _, f := range own {
			if _, err := expfmt.MetricFamilyToText(bw, f); err != nil {
				return // the scraper went away
			}
		}
		writeText(bw, tree)
		return
	}
	enc := expfmt.NewEncoder(out, format)
	for _, f := range append(own, toDTO(tree)...) {
		if err := enc.Encode(f); err != nil {
			return
		}
	}
}

// acceptsGzip tells whether an Accept-Encoding header takes gzip.
func acceptsGzip(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if strings.TrimSpace(coding) != "gzip" {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// gzips are gzip writers at the fastest level: a scrape is some 70 bytes
// a series and compresses tenfold even so.
var gzips = sync.Pool{New: func() any {
	z, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return z
}}

// readers are /proc readers, one per scrape or sampler at a time.
var readers = sync.Pool{New: func() any { return new(procstat.Reader) }}

// readProc samples a process from /proc.
func readProc(pid int) (procstat.Sample, error) {
	r := readers.Get().(*procstat.Reader)
	defer readers.Put(r)
	return r.Read(pid)
}
