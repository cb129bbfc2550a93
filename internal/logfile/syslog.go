package logfile

import (
	"bytes"
	"log/syslog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// syslogQueue bounds the chunks waiting for the syslog connection; beyond it
// output is dropped from syslog (never from the file log).
const syslogQueue = 256

// syslogRetry is how long to wait before dialing again after syslog could
// not be reached, so a missing /dev/log costs one attempt per interval.
const syslogRetry = 5 * time.Second

// Syslog sends output to syslog as the reference's *_syslog=true does:
// each chunk has its trailing newlines trimmed and is split into lines, and
// each line goes out as "<prefix><line>" at LOG_INFO, by default at
// LOG_USER under the daemon's program name (the reference uses "<process
// name> " as prefix for children). Write never blocks and never fails: the
// sending happens on a goroutine, and when syslog is slow or unreachable
// chunks are dropped and counted.
type Syslog struct {
	prefix  []byte
	tag     string
	dial    func(tag string) (syslogWriter, error)
	queue   chan []byte
	done    chan struct{}
	once    sync.Once
	mu      sync.Mutex // guards closed against Write racing Close
	closed  bool
	dropped atomic.Int64
}

// syslogWriter is the part of *syslog.Writer used; tests substitute a dialer.
type syslogWriter interface {
	Info(m string) error
	Close() error
}

// SyslogConfig says how a Syslog sends.
type SyslogConfig struct {
	Prefix string // starts each line
	// Tag is what the lines go under; "" for the daemon's program name.
	Tag string
	// Facility is LOG_USER, LOG_DAEMON, LOG_LOCAL0 …; the severity is
	// always LOG_INFO.
	Facility syslog.Priority
	// Network and Addr are where syslog listens, as for syslog.Dial; ""
	// for the local syslog (/dev/log and the like).
	Network, Addr string
}

// NewSyslog starts a syslog writer whose lines begin with prefix, sent to
// the local syslog at LOG_USER under the daemon's name.
func NewSyslog(prefix string) *Syslog {
	return OpenSyslog(SyslogConfig{Prefix: prefix, Facility: syslog.LOG_USER})
}

// OpenSyslog starts a syslog writer as c says.
func OpenSyslog(c SyslogConfig) *Syslog {
	return newSyslog(c.Prefix, c.Tag, func(tag string) (syslogWriter, error) {
		return syslog.Dial(c.Network, c.Addr, c.Facility|syslog.LOG_INFO, tag)
	})
}

func newSyslog(prefix, tag string, dial func(tag string) (syslogWriter, error)) *Syslog {
	if tag == "" {
		// Like the reference (Python's syslog module), identify as the
		// program's base name rather than log/syslog's default full argv[0].
		tag = filepath.Base(os.Args[0])
	}
	s := &Syslog{
		prefix: []byte(prefix),
		tag:    tag,
		dial:   dial,
		queue:  make(chan []byte, syslogQueue),
		done:   make(chan struct{}),
	}
	go s.run()
	return s
}

// Write queues a copy of p and reports it fully written.
func (s *Syslog) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		s.dropped.Add(1)
		return len(p), nil
	}
	select {
	case s.queue <- bytes.Clone(p):
	default:
		s.dropped.Add(1)
	}
	return len(p), nil
}

// Dropped is the number of chunks that never reached syslog.
func (s *Syslog) Dropped() int64 { return s.dropped.Load() }

// Close stops the writer once the queued chunks have been handed to syslog
// (or dropped); it waits for that at most a second so a stuck syslog cannot
// hang shutdown.
func (s *Syslog) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.queue)
		s.mu.Unlock()
	})
	select {
	case <-s.done:
	case <-time.After(time.Second):
	}
	return nil
}

func (s *Syslog) run() {
	defer close(s.done)
	var w syslogWriter
	var retryAt time.Time
	defer func() {
		if w != nil {
			w.Close()
		}
	}()
	var line []byte
	for chunk := range s.queue {
		if w == nil {
			if time.Now().Before(retryAt) {
				s.dropped.Add(1)
				continue
			}
			var err error
			if w, err = s.dial(s.tag); err != nil {
				w = nil
				retryAt = time.Now().Add(syslogRetry)
				s.dropped.Add(1)
				continue
			}
		}
		rest := bytes.TrimRight(chunk, "\n")
		for {
			l, tail, more := bytes.Cut(rest, []byte{'\n'})
			line = append(append(line[:0], s.prefix...), l...)
			// log/syslog reconnects once on its own; if that fails too the
			// rest of the chunk is dropped and we dial again later.
			if err := w.Info(string(line)); err != nil {
				w.Close()
				w = nil
				retryAt = time.Now().Add(syslogRetry)
				s.dropped.Add(1)
				break
			}
			if !more {
				break
			}
			rest = tail
		}
	}
}
