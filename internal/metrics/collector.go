package metrics

import (
	"context"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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

var procLabelNames = []string{"group", "name"}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// The tree's metrics.
var (
	stateDesc = desc("supervisord_process_state",
		"Whether the process is in the state (1) or not (0), one series per state.", "group", "name", "state")
	startDesc = desc("supervisord_process_start_time_seconds",
		"When the process was last started, in seconds since the epoch; absent before its first start.", procLabelNames...)
	restartsDesc = desc("supervisord_process_restarts_total",
		"Starts the daemon made on its own after the process ended or failed to start (autorestart, backoff retries, health restarts).", procLabelNames...)
	exitsDesc = desc("supervisord_process_exits_total",
		"Runs of the process that ended, by exit status (code, empty when killed) and killing signal (signal, empty when it exited).",
		"group", "name", "code", "signal")
	cpuDesc = desc("supervisord_process_cpu_seconds_total",
		"User and system CPU time of the running process (its own, not its children's), from /proc; starts again with each run.", procLabelNames...)
	rssDesc = desc("supervisord_process_resident_memory_bytes",
		"Resident memory of the running process, from /proc.", procLabelNames...)
	fdsDesc = desc("supervisord_process_open_fds",
		"Open file descriptors of the running process, from /proc.", procLabelNames...)
	logDesc = desc("supervisord_process_log_bytes_total",
		"Bytes of output the daemon captured from the process, by stream, as written (before log formats).",
		"group", "name", "stream")
	queuedDesc = desc("supervisord_pool_queued_events",
		"Events waiting in the eventlistener pool's buffer.", "pool")
	deliveredDesc = desc("supervisord_pool_events_delivered_total",
		"Events sent to a listener of the pool, second tries included.", "pool")
	redeliveredDesc = desc("supervisord_pool_events_redelivered_total",
		"Events sent again after a listener refused them (FAIL) or died with them.", "pool")
	droppedDesc = desc("supervisord_pool_events_dropped_total",
		"Events discarded because the pool's buffer was full (buffer_size).", "pool")
)

// treeCollector collects the tree's metrics: one Snapshot, then /proc for
// each running process.
//
// A thousand processes make some 15,000 series. Their label pairs are
// made once per process and kept from scrape to scrape (labels), and
// each scrape's metrics are made in one slice: that halves what a scrape
// allocates.
type treeCollector struct {
	tree    Snapshotter
	read    ReadFunc
	timeout time.Duration

	mu     sync.Mutex // held while a scrape looks its labels up
	labels map[procKey]*procLabels
	scrape uint64 // counts scrapes, for forgetting processes that are gone
}

// procLabels are one process's label pairs, sorted by name as the
// registry wants them.
type procLabels struct {
	proc    []*dto.LabelPair              // group, name
	states  [len(states)][]*dto.LabelPair // group, name, state
	streams [2][]*dto.LabelPair           // group, name, stream (stdout, stderr)
	seen    uint64                        // the last scrape that had the process
}

func newProcLabels(group, name string) *procLabels {
	pair := func(k, v string) *dto.LabelPair { return &dto.LabelPair{Name: &k, Value: &v} }
	l := &procLabels{proc: []*dto.LabelPair{pair("group", group), pair("name", name)}}
	for i, s := range states {
		l.states[i] = []*dto.LabelPair{l.proc[0], l.proc[1], pair("state", s.String())}
	}
	for i, stream := range []string{"stdout", "stderr"} {
		l.streams[i] = []*dto.LabelPair{l.proc[0], l.proc[1], pair("stream", stream)}
	}
	return l
}

// series is one sample of a process: a Metric whose label pairs are
// shared (nobody writes them) and whose value is its own.
type series struct {
	desc   *prometheus.Desc
	labels []*dto.LabelPair
	value  float64
	gauge  bool // else a counter
}

func (s *series) Desc() *prometheus.Desc { return s.desc }

func (s *series) Write(m *dto.Metric) error {
	m.Label = s.labels
	if s.gauge {
		m.Gauge = &dto.Gauge{Value: &s.value}
	} else {
		m.Counter = &dto.Counter{Value: &s.value}
	}
	return nil
}

func newTreeCollector(tree Snapshotter, read ReadFunc, timeout time.Duration) *treeCollector {
	if read == nil {
		read = readProc
	}
	return &treeCollector{tree: tree, read: read, timeout: timeout, labels: map[procKey]*procLabels{}}
}

func (c *treeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{stateDesc, startDesc, restartsDesc, exitsDesc, cpuDesc, rssDesc, fdsDesc,
		logDesc, queuedDesc, deliveredDesc, redeliveredDesc, droppedDesc} {
		ch <- d
	}
}

func (c *treeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	snap, err := c.tree.Snapshot(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(stateDesc, err)
		return
	}
	samples := make([]procSample, len(snap.Processes))
	for i, in := range snap.Processes {
		if in.PID > 0 {
			// A process that exited since the snapshot has nothing left
			// to read (its pid is reaped): it goes without these until
			// its next run.
			s, err := c.read(in.PID)
			samples[i] = procSample{s, err == nil}
		}
	}
	for _, m := range c.series(snap.Processes, samples) {
		ch <- m
	}
	for _, in := range snap.Processes {
		for _, e := range in.Stats.Exits {
			code, sig := exitLabels(e.Code, e.Signal)
			ch <- prometheus.MustNewConstMetric(exitsDesc, prometheus.CounterValue, float64(e.Count), in.Group, in.Name, code, sig)
		}
	}
	for _, p := range snap.Pools {
		ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(p.Queued), p.Pool)
		ch <- prometheus.MustNewConstMetric(deliveredDesc, prometheus.CounterValue, float64(p.Delivered), p.Pool)
		ch <- prometheus.MustNewConstMetric(redeliveredDesc, prometheus.CounterValue, float64(p.Redelivered), p.Pool)
		ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(p.Dropped), p.Pool)
	}
}

type procSample struct {
	procstat.Sample
	ok bool
}

// series are the processes' series but their exits (which few have).
func (c *treeCollector) series(procs []actors.ProcessInfo, samples []procSample) []*series {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scrape++
	all := make([]series, 0, len(procs)*(len(states)+7))
	add := func(d *prometheus.Desc, labels []*dto.LabelPair, v float64, gauge bool) {
		all = append(all, series{desc: d, labels: labels, value: v, gauge: gauge})
	}
	for i, in := range procs {
		k := procKey{in.Group, in.Name}
		l := c.labels[k]
		if l == nil {
			l = newProcLabels(in.Group, in.Name)
			c.labels[k] = l
		}
		l.seen = c.scrape
		for j, s := range states {
			add(stateDesc, l.states[j], boolValue(s == in.State), true)
		}
		if !in.Start.IsZero() {
			add(startDesc, l.proc, seconds(in.Start), true)
		}
		add(restartsDesc, l.proc, float64(in.Stats.Restarts), false)
		add(logDesc, l.streams[0], float64(in.Stats.StdoutBytes), false)
		add(logDesc, l.streams[1], float64(in.Stats.StderrBytes), false)
		if s := samples[i]; s.ok {
			add(cpuDesc, l.proc, s.CPU.Seconds(), false)
			add(rssDesc, l.proc, float64(s.RSS), true)
			if s.FDs >= 0 {
				add(fdsDesc, l.proc, float64(s.FDs), true)
			}
		}
	}
	for k, l := range c.labels {
		if l.seen != c.scrape {
			delete(c.labels, k)
		}
	}
	out := make([]*series, len(all))
	for i := range all {
		out[i] = &all[i]
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
