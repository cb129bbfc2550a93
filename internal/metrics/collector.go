package metrics

import (
	"context"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"supervisord/actors"
	"supervisord/conf"
)

// states are every process state, each a series of
// supervisord_process_state: the enum style, where the current state's
// series is 1 and the others 0. A query or an alert names the state it
// is about (state="FATAL") and each series lives as long as its process,
// where a state label with one series would end and start series at
// every transition.
var states = []actors.State{actors.Stopped, actors.Starting, actors.Running, actors.Backoff,
	actors.Stopping, actors.Exited, actors.Fatal, actors.Unknown}

var procLabels = []string{"group", "name"}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// The tree's metrics.
var (
	stateDesc = desc("supervisord_process_state",
		"Whether the process is in the state (1) or not (0), one series per state.", "group", "name", "state")
	startDesc = desc("supervisord_process_start_time_seconds",
		"When the process was last started, in seconds since the epoch; absent before its first start.", procLabels...)
	restartsDesc = desc("supervisord_process_restarts_total",
		"Starts the daemon made on its own after the process ended or failed to start (autorestart, backoff retries, health restarts).", procLabels...)
	exitsDesc = desc("supervisord_process_exits_total",
		"Runs of the process that ended, by exit status (code, empty when killed) and killing signal (signal, empty when it exited).",
		"group", "name", "code", "signal")
	cpuDesc = desc("supervisord_process_cpu_seconds_total",
		"User and system CPU time of the running process (its own, not its children's), from /proc; starts again with each run.", procLabels...)
	rssDesc = desc("supervisord_process_resident_memory_bytes",
		"Resident memory of the running process, from /proc.", procLabels...)
	fdsDesc = desc("supervisord_process_open_fds",
		"Open file descriptors of the running process, from /proc.", procLabels...)
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
type treeCollector struct {
	tree    Snapshotter
	read    ReadFunc
	timeout time.Duration
}

func newTreeCollector(tree Snapshotter, read ReadFunc, timeout time.Duration) *treeCollector {
	if read == nil {
		read = readProc
	}
	return &treeCollector{tree: tree, read: read, timeout: timeout}
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
	for _, in := range snap.Processes {
		c.collectProcess(ch, in)
	}
	for _, p := range snap.Pools {
		ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(p.Queued), p.Pool)
		ch <- prometheus.MustNewConstMetric(deliveredDesc, prometheus.CounterValue, float64(p.Delivered), p.Pool)
		ch <- prometheus.MustNewConstMetric(redeliveredDesc, prometheus.CounterValue, float64(p.Redelivered), p.Pool)
		ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(p.Dropped), p.Pool)
	}
}

func (c *treeCollector) collectProcess(ch chan<- prometheus.Metric, in actors.ProcessInfo) {
	g, n := in.Group, in.Name
	for _, s := range states {
		v := 0.0
		if s == in.State {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(stateDesc, prometheus.GaugeValue, v, g, n, s.String())
	}
	if !in.Start.IsZero() {
		ch <- prometheus.MustNewConstMetric(startDesc, prometheus.GaugeValue, seconds(in.Start), g, n)
	}
	st := in.Stats
	ch <- prometheus.MustNewConstMetric(restartsDesc, prometheus.CounterValue, float64(st.Restarts), g, n)
	for _, e := range st.Exits {
		code, sig := exitLabels(e.Code, e.Signal)
		ch <- prometheus.MustNewConstMetric(exitsDesc, prometheus.CounterValue, float64(e.Count), g, n, code, sig)
	}
	ch <- prometheus.MustNewConstMetric(logDesc, prometheus.CounterValue, float64(st.StdoutBytes), g, n, "stdout")
	ch <- prometheus.MustNewConstMetric(logDesc, prometheus.CounterValue, float64(st.StderrBytes), g, n, "stderr")
	if in.PID <= 0 {
		return
	}
	// A process that exited since the snapshot has nothing left to read
	// (its pid is reaped): it goes without these until its next run.
	s, err := c.read(in.PID)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(cpuDesc, prometheus.CounterValue, s.CPU.Seconds(), g, n)
	ch <- prometheus.MustNewConstMetric(rssDesc, prometheus.GaugeValue, float64(s.RSS), g, n)
	if s.FDs >= 0 {
		ch <- prometheus.MustNewConstMetric(fdsDesc, prometheus.GaugeValue, float64(s.FDs), g, n)
	}
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
