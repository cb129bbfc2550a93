package actors

import (
	"cmp"
	"slices"
	"sync/atomic"

	"supervisord/internal/child"
	"supervisord/protocol/events"
)

// Counters for metrics. Each is kept by the actor that sees what it
// counts, and read with the status the tree already answers (Status,
// Snapshot), so that reading them costs no request of its own.

// processStats are a process actor's counters (ProcessInfo.Stats).
type processStats struct {
	restarts uint64
	exits    []ExitCount // by code, then signal
	// The log bytes: the logger of each stream adds to its count (it
	// alone sees the output), the process reads it as it answers
	// getInfo. The counts are made here and handed to the loggers so
	// that they outlive a logger's restart; a status never waits on a
	// logger busy writing.
	stdoutBytes, stderrBytes atomic.Uint64
}

// exited counts an exit and returns how it went, for the state event
// that follows.
func (s *processStats) exited(st child.ExitStatus, expected bool) *events.Exit {
	ex := &events.Exit{Code: st.ExitCode(), Expected: expected}
	if sig, ok := st.Signaled(); ok {
		ex.Code, ex.Signal = -1, sig
	}
	key := ExitCount{Code: ex.Code, Signal: ex.Signal}
	i, found := slices.BinarySearchFunc(s.exits, key, compareExits)
	if !found {
		s.exits = slices.Insert(s.exits, i, key)
	}
	s.exits[i].Count++
	return ex
}

func compareExits(a, b ExitCount) int {
	return cmp.Or(cmp.Compare(a.Code, b.Code), cmp.Compare(a.Signal, b.Signal))
}

// logCount is the count the logger of stream adds to.
func (s *processStats) logCount(stream string) *atomic.Uint64 {
	if stream == string(Stderr) {
		return &s.stderrBytes
	}
	return &s.stdoutBytes
}

// snapshot is a copy for a reply: the reader gets its own exits.
func (s *processStats) snapshot() ProcessStats {
	return ProcessStats{Restarts: s.restarts, Exits: slices.Clone(s.exits),
		StdoutBytes: s.stdoutBytes.Load(), StderrBytes: s.stderrBytes.Load()}
}

// PoolStats are an eventlistener pool's counters since its actor started.
type PoolStats struct {
	Pool string
	// Queued is how many events wait in the buffer now (those a listener
	// is handling are not in it).
	Queued int
	// Delivered counts the events sent to a listener, a second try
	// included; Redelivered counts those second (and later) tries, of
	// events a listener refused (FAIL) or died with; Dropped counts the
	// events thrown away because the buffer was full (buffer_size).
	Delivered, Redelivered, Dropped uint64
}

// poolStats are the counters a pool actor keeps.
type poolStats struct {
	delivered, redelivered, dropped uint64
}

// sent counts an event handed to a listener.
func (s *poolStats) sent(ev *queuedEvent) {
	s.delivered++
	if ev.tries > 0 {
		s.redelivered++
	}
	ev.tries++
}
