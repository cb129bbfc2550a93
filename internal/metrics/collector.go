package metrics

import (
	"bufio"
	"context"
	"math"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/procstat"
)

// states are every process state, each a series of
// supervisord_process_state: the enum style, where the current state's
// series is 1 and the others 0. A query or an alert names the state it
// is about (state="FATAL") and each series lives as long as its process,
// where a state label with one series would end and start series at
// every transition.
var states = [...]actors.State{actors.Stopped, actors.Starting, actors.Running, actors.Backoff,
	actors.Stopping, actors.Exited, actors.Fatal, actors.Unknown}

// meta is a metric family's name, help and type.
type meta struct {
	name, help string
	typ        dto.MetricType
}

const (
	gauge   = dto.MetricType_GAUGE
	counter = dto.MetricType_COUNTER
)

// The tree's metric families, in the order of their names (the order a
// scrape writes them in).
var (
	queuedMeta      = meta{"supervisord_pool_queued_events", "Events waiting in the eventlistener pool's buffer.", gauge}
	deliveredMeta   = meta{"supervisord_pool_events_delivered_total", "Events sent to a listener of the pool, second tries included.", counter}
	droppedMeta     = meta{"supervisord_pool_events_dropped_total", "Events discarded because the pool's buffer was full (buffer_size).", counter}
	redeliveredMeta = meta{"supervisord_pool_events_redelivered_total", "Events sent again after a listener refused them (FAIL) or died with them.", counter}
	cpuMeta         = meta{"supervisord_process_cpu_seconds_total",
		"User and system CPU time of the running process (its own, not its children's), from /proc; starts again with each run.", counter}
	exitsMeta = meta{"supervisord_process_exits_total",
		"Runs of the process that ended, by exit status (code, empty when killed) and killing signal (signal, empty when it exited).", counter}
	logMeta = meta{"supervisord_process_log_bytes_total",
		"Bytes of output the daemon captured from the process, by stream, as written (before log formats).", counter}
	fdsMeta      = meta{"supervisord_process_open_fds", "Open file descriptors of the running process, from /proc.", gauge}
	rssMeta      = meta{"supervisord_process_resident_memory_bytes", "Resident memory of the running process, from /proc.", gauge}
	restartsMeta = meta{"supervisord_process_restarts_total",
		"Starts the daemon made on its own after the process ended or failed to start (autorestart, backoff retries, health restarts).", counter}
	startMeta = meta{"supervisord_process_start_time_seconds",
		"When the process was last started, in seconds since the epoch; absent before its first start.", gauge}
	stateMeta = meta{"supervisord_process_state", "Whether the process is in the state (1) or not (0), one series per state.", gauge}
)

// labels are one series' label pairs, sorted by name, both as the
// protobuf format carries them and as the text format writes them
// (`{group="web",name="web_0"}`).
type labels struct {
	pairs []*dto.LabelPair
	text  string
}

// newLabels makes labels of name, value pairs given in name order.
func newLabels(kv ...string) labels {
	var l labels
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		name, value := kv[i], kv[i+1]
		l.pairs = append(l.pairs, &dto.LabelPair{Name: &name, Value: &value})
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(name)
		b.WriteString(`="`)
		labelEscaper.WriteString(&b, value)
		b.WriteByte('"')
	}
	b.WriteByte('}')
	l.text = b.String()
	return l
}

// labelEscaper escapes a label value for the text format.
var labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

// helpEscaper escapes a help text for the text format.
var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

// sample is one series' value in one scrape.
type sample struct {
	labels *labels
	value  float64
}

// family is one metric family as one scrape found it.
type family struct {
	meta
	samples []sample
}

// treeScraper reads the tree's metrics: one Snapshot, then /proc for
// each running process.
//
// A thousand processes make some 15,000 series, so a scrape does not go
// through a prometheus.Registry, which would build, sort, hash and check
// each of them as a message of its own: the labels of a process are made
// once, as pairs and as text, and kept from scrape to scrape; a scrape
// makes one slice of samples per family, which the text format writes
// straight out (writeText) and the protobuf format turns into messages
// (toDTO).
//
// With a History, what /proc tells of each process (CPU, memory,
// descriptors) is what the history's last sample read of the same run:
// the history reads every running process at its interval anyway, and
// reading a thousand of them again costs some 20 ms a scrape, more than
// all the rest of it. Without one, a scrape reads /proc itself.
type treeScraper struct {
	tree    Snapshotter
	read    ReadFunc
	history *History // nil: read /proc at each scrape
	timeout time.Duration

	mu     sync.Mutex // held while a scrape looks its labels up
	labels map[procKey]*procLabels
	scrape uint64 // counts scrapes, for forgetting processes that are gone
}

// procLabels are the labels of one process's series.
type procLabels struct {
	proc    labels              // group, name
	states  [len(states)]labels // group, name, state
	streams [2]labels           // group, name, stream (stdout, stderr)
	seen    uint64              // the last scrape that had the process
}

func newProcLabels(group, name string) *procLabels {
	l := &procLabels{proc: newLabels("group", group, "name", name)}
	for i, s := range states {
		l.states[i] = newLabels("group", group, "name", name, "state", s.String())
	}
	for i, stream := range []string{"stdout", "stderr"} {
		l.streams[i] = newLabels("group", group, "name", name, "stream", stream)
	}
	return l
}

func newTreeScraper(tree Snapshotter, read ReadFunc, history *History, timeout time.Duration) *treeScraper {
	if read == nil {
		read = readProc
	}
	return &treeScraper{tree: tree, read: read, history: history, timeout: timeout, labels: map[procKey]*procLabels{}}
}

// readings are what /proc tells of each running process of procs.
func (c *treeScraper) readings(procs []actors.ProcessInfo) []procSample {
	out := make([]procSample, len(procs))
	if c.history != nil {
		latest := c.history.Latest()
		for i, in := range procs {
			// A run the history has not read yet (it started since) goes
			// without until the next sample.
			if r, ok := latest[procKey{in.Group, in.Name}]; ok && in.PID > 0 && r.pid == in.PID {
				out[i] = procSample{r.Sample, true}
			}
		}
		return out
	}
	for i, in := range procs {
		if in.PID > 0 {
			// A process that exited since the snapshot has nothing left
			// to read (its pid is reaped): it goes without these until
			// its next run.
			s, err := c.read(in.PID)
			out[i] = procSample{s, err == nil}
		}
	}
	return out
}

type procSample struct {
	procstat.Sample
	ok bool
}

// Scrape asks the tree and /proc, and returns the families in the order
// of their names; a family may have no samples.
func (c *treeScraper) Scrape(ctx context.Context) ([]family, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	snap, err := c.tree.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	procs := snap.Processes
	reads := c.readings(procs)
	n := len(procs)
	fams := []family{
		{meta: queuedMeta}, {meta: deliveredMeta}, {meta: droppedMeta}, {meta: redeliveredMeta},
		{meta: cpuMeta, samples: make([]sample, 0, n)},
		{meta: exitsMeta},
		{meta: logMeta, samples: make([]sample, 0, 2*n)},
		{meta: fdsMeta, samples: make([]sample, 0, n)},
		{meta: rssMeta, samples: make([]sample, 0, n)},
		{meta: restartsMeta, samples: make([]sample, 0, n)},
		{meta: startMeta, samples: make([]sample, 0, n)},
		{meta: stateMeta, samples: make([]sample, 0, len(states)*n)},
	}
	queued, delivered, dropped, redelivered, cpu, exits, logBytes, fds, rss, restarts, start, state :=
		&fams[0], &fams[1], &fams[2], &fams[3], &fams[4], &fams[5], &fams[6], &fams[7], &fams[8], &fams[9], &fams[10], &fams[11]
	add := func(f *family, l *labels, v float64) { f.samples = append(f.samples, sample{l, v}) }

	for _, p := range snap.Pools {
		l := newLabels("pool", p.Pool)
		add(queued, &l, float64(p.Queued))
		add(delivered, &l, float64(p.Delivered))
		add(dropped, &l, float64(p.Dropped))
		add(redelivered, &l, float64(p.Redelivered))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scrape++
	for i, in := range procs {
		k := procKey{in.Group, in.Name}
		l := c.labels[k]
		if l == nil {
			l = newProcLabels(in.Group, in.Name)
			c.labels[k] = l
		}
		l.seen = c.scrape
		for j, s := range states {
			add(state, &l.states[j], boolValue(s == in.State))
		}
		if !in.Start.IsZero() {
			add(start, &l.proc, seconds(in.Start))
		}
		add(restarts, &l.proc, float64(in.Stats.Restarts))
		add(logBytes, &l.streams[0], float64(in.Stats.StdoutBytes))
		add(logBytes, &l.streams[1], float64(in.Stats.StderrBytes))
		for _, e := range in.Stats.Exits {
			code, sig := exitLabels(e.Code, e.Signal)
			el := newLabels("code", code, "group", in.Group, "name", in.Name, "signal", sig)
			add(exits, &el, float64(e.Count))
		}
		if s := reads[i]; s.ok {
			add(cpu, &l.proc, s.CPU.Seconds())
			add(rss, &l.proc, float64(s.RSS))
			if s.FDs >= 0 {
				add(fds, &l.proc, float64(s.FDs))
			}
		}
	}
	for k, l := range c.labels {
		if l.seen != c.scrape {
			delete(c.labels, k)
		}
	}
	return fams, nil
}

// writeText writes fams in the Prometheus text format (0.0.4), leaving
// out those without samples.
func writeText(w *bufio.Writer, fams []family) error {
	var num []byte
	for _, f := range fams {
		if len(f.samples) == 0 {
			continue
		}
		w.WriteString("# HELP ")
		w.WriteString(f.name)
		w.WriteByte(' ')
		helpEscaper.WriteString(w, f.help)
		w.WriteString("\n# TYPE ")
		w.WriteString(f.name)
		if f.typ == counter {
			w.WriteString(" counter\n")
		} else {
			w.WriteString(" gauge\n")
		}
		for _, s := range f.samples {
			w.WriteString(f.name)
			w.WriteString(s.labels.text)
			w.WriteByte(' ')
			num = appendValue(num[:0], s.value)
			num = append(num, '\n')
			if _, err := w.Write(num); err != nil {
				return err
			}
		}
	}
	return w.Flush()
}

// appendValue appends v as the text format writes a sample value.
func appendValue(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case v == math.Trunc(v) && math.Abs(v) < 1<<53:
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// toDTO makes fams the messages of the protobuf format (and of a
// prometheus.Gatherer), leaving out those without samples.
func toDTO(fams []family) []*dto.MetricFamily {
	var out []*dto.MetricFamily
	for _, f := range fams {
		if len(f.samples) == 0 {
			continue
		}
		mf := &dto.MetricFamily{Name: &f.name, Help: &f.help, Type: f.typ.Enum(), Metric: make([]*dto.Metric, len(f.samples))}
		ms := make([]dto.Metric, len(f.samples))
		for i, s := range f.samples {
			m := &ms[i]
			m.Label = s.labels.pairs
			v := s.value
			if f.typ == counter {
				m.Counter = &dto.Counter{Value: &v}
			} else {
				m.Gauge = &dto.Gauge{Value: &v}
			}
			mf.Metric[i] = m
		}
		out = append(out, mf)
	}
	return out
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// exitLabels are an exit's code and signal labels: "1" and "" for an
// exit status, "" and "SIGKILL" for a signal.
func exitLabels(code int, sig syscall.Signal) (string, string) {
	if sig != 0 {
		return "", conf.SignalName(sig)
	}
	return strconv.Itoa(code), ""
}

// seconds is t in seconds since the epoch.
func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
