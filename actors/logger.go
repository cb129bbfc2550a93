package actors

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/scheduler"

	"supervisord/conf"
	"supervisord/internal/logfile"
	"supervisord/internal/logfmt"
	"supervisord/protocol/events"
)

// logger is the actor behind one captured stream (stdout or stderr) of one
// process: it writes chunks to the log file, rotating it, and to syslog,
// framed into lines by the stream's log format when it has one (logfmt);
// PROCESS_LOG events, capture mode and ready=log see the output as read.
//
// Accepts: *logChunk (from the pipe reader; always released, even on a
// panic, so the reader never stalls; its bytes are added to the count its
// process reports, stats.go), *reopenLogs, *clearLog and
// *rotateLogs (answered with *Result), *watchLog (ready=log:REGEX: it tells
// its parent with *logMatched when a line matches), *flushLog (answered
// once all before it is written, an unfinished line included), and its own
// *flushPartial (the timer that writes an unfinished line after
// logfmt.Silence of no output). Parent: the process actor.
// Failure policy: restarted by the process's default strategy; the file is
// reopened in Started.
type logger struct {
	proc, group string
	program     string
	facility    conf.SyslogFacility
	stream      string
	path        string
	cfg         conf.LogConfig
	rt          *runtime
	// read counts the bytes of output this logger took in (its process's
	// ProcessStats, stats.go): added to here alone.
	read *atomic.Uint64

	file     *logfile.File
	syslog   *logfile.Syslog
	strip    *logfile.StripANSI
	stripped []byte // reused output buffer of strip
	echo     bool   // copy output to the main log, as the reference does at debug level

	// The log format: nil frame writes output as read (raw, no prefix).
	// framed is frame's reused output buffer; lastRead is when output
	// last came, flushArmed whether a *flushPartial is on its way.
	frame      *logfmt.Framer
	framed     []byte
	lastRead   time.Time
	flushArmed bool
	timers     *scheduler.TimerScheduler
	cancel     scheduler.CancelFunc

	// Capture mode (capture_maxbytes > 0).
	pending   []byte // output not yet known to hold no token
	capturing bool   // between BEGIN and END tokens
	captured  []byte // what was captured so far, at most capture_maxbytes

	// ready=log: the expression lines are matched against while the
	// process starts (nil otherwise), the run it is for, and the end of
	// the output that is not a whole line yet.
	watch    *regexp.Regexp
	watchGen uint64
	partial  []byte
}

// maxWatchedLine bounds the partial line kept for ready=log; a longer line
// is matched in pieces.
const maxWatchedLine = 64 << 10

func newLogger(pc *conf.Process, stream, path string, cfg conf.LogConfig, rt *runtime, read *atomic.Uint64) actor.Actor {
	return &logger{proc: pc.Name, group: pc.Group, program: pc.Program, facility: pc.SyslogFacility,
		stream: stream, path: path, cfg: cfg, rt: rt, read: read}
}

func (l *logger) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		l.open()
	case *logChunk:
		defer m.release()
		if m.eof {
			l.endLine()
			c.Send(c.Parent(), &streamClosed{pid: m.pid})
			return
		}
		l.read.Add(uint64(len(m.data)))
		if l.watch != nil {
			l.matchLines(c, m.data)
		}
		l.write(c, m.data, m.pid)
	case *flushLog: // handoff.go: every chunk before it is written
		l.endLine()
		c.Respond(&Result{})
	case *flushPartial:
		l.flushArmed = false
		l.flushPartial(c)
	case *watchLog:
		l.watch, l.watchGen, l.partial = m.re, m.gen, nil
	case *clearLog:
		c.Respond(&Result{l.onFile((*logfile.File).Clear)})
	case *rotateLogs:
		c.Respond(&Result{l.onFile((*logfile.File).Rotate)})
	case *reopenLogs:
		if l.file != nil {
			if err := l.file.Reopen(); err != nil {
				l.rt.log.Error(fmt.Sprintf("cannot reopen %s log of '%s': %v", l.stream, l.proc, err))
			}
		}
	case *actor.Stopping, *actor.Restarting:
		l.endLine()
		if l.cancel != nil {
			l.cancel()
		}
		if l.file != nil {
			l.file.Close()
			l.file = nil
		}
		if l.syslog != nil {
			l.syslog.Close()
			l.syslog = nil
		}
	}
}

// onFile does op to the log file, if there is one; its failure is Failed.
func (l *logger) onFile(op func(*logfile.File) error) error {
	if l.file == nil {
		return nil
	}
	if err := op(l.file); err != nil {
		return errorf(Failed, "%v", err)
	}
	return nil
}

// matchLines looks for the first line matching the ready=log expression.
func (l *logger) matchLines(c actor.Context, data []byte) {
	for len(data) > 0 {
		line, rest, whole := bytes.Cut(data, []byte{'\n'})
		data = rest
		if !whole && len(l.partial)+len(line) < maxWatchedLine {
			l.partial = append(l.partial, line...)
			return
		}
		if len(l.partial) > 0 {
			line = append(l.partial, line...)
			l.partial = l.partial[:0]
		}
		if l.watch.Match(line) {
			c.Send(c.Parent(), &logMatched{gen: l.watchGen})
			l.watch, l.partial = nil, nil
			return
		}
	}
}

func (l *logger) open() {
	if l.rt.stripANSI {
		l.strip = &logfile.StripANSI{}
	}
	l.echo = l.rt.log.Enabled(context.Background(), slog.LevelDebug)
	if l.path != "" {
		f, err := logfile.OpenWith(l.path, l.fileOptions())
		if err != nil {
			l.rt.log.Error(fmt.Sprintf("cannot open %s log of '%s': %v", l.stream, l.proc, err))
		} else {
			l.file = f
		}
	}
	if l.cfg.Syslog {
		sc := logfile.SyslogConfig{Prefix: l.proc + " ", Facility: l.facility.Priority(), Network: l.rt.syslogNet, Addr: l.rt.syslogAddr}
		if l.cfg.SyslogTag != "" {
			sc.Tag, sc.Prefix = l.cfg.SyslogTag, ""
		}
		l.syslog = logfile.OpenSyslog(sc)
	}
	if l.file != nil || l.syslog != nil {
		l.frame = logfmt.New(l.cfg.Format, l.cfg.Prefix, logfmt.Source{Program: l.program, Group: l.group, Process: l.proc, Stream: l.stream})
	}
}

// fileOptions are how the log file rotates. Failures in the background
// (a rotation at the hour, a compression) go to the main log.
func (l *logger) fileOptions() logfile.Options {
	every := map[conf.LogRotate]logfile.Period{conf.RotateHourly: logfile.Hourly, conf.RotateDaily: logfile.Daily}[l.cfg.Rotate]
	// Copied out of l: OnError runs on the file's goroutines, which must
	// not read the actor's fields.
	proc, stream, log := l.proc, l.stream, l.rt.log
	return logfile.Options{MaxBytes: l.cfg.MaxBytes, Backups: l.cfg.Backups, Every: every,
		Gzip: l.cfg.Compress == conf.CompressGzip,
		OnError: func(err error) {
			log.Error(fmt.Sprintf("cannot rotate %s log of '%s': %v", stream, proc, err))
		}}
}

func (l *logger) write(c actor.Context, data []byte, pid int) {
	if l.cfg.CaptureMaxBytes <= 0 {
		l.log(c, data, pid)
		return
	}
	// Capture mode: what comes between the tokens is an event's payload.
	// rest walks the output still to look at; what cannot be told yet is
	// kept in pending (a copy: data goes back to the reader's pool).
	rest := data
	if len(l.pending) > 0 {
		l.pending = append(l.pending, data...)
		rest = l.pending
	}
	for {
		token := beginToken
		if l.capturing {
			token = endToken
		}
		if len(rest) <= len(token) {
			break // not enough to tell yet
		}
		before, after, found := bytes.Cut(rest, token)
		if !found {
			// Keep what may be the start of a token for the next read.
			keep := prefixAtEnd(rest, token)
			l.log(c, rest[:len(rest)-keep], pid)
			rest = rest[len(rest)-keep:]
			break
		}
		l.log(c, before, pid)
		rest = after
		l.capturing = !l.capturing
		if !l.capturing {
			l.emitCaptured(c, pid)
		}
		if len(rest) == 0 {
			break
		}
	}
	if len(rest) == 0 {
		l.pending = nil // let a large chunk go
		return
	}
	l.pending = append(l.pending[:0], rest...) // rest may be the tail of pending: append moves it down
}

var (
	beginToken = []byte("<!--XSUPERVISOR:BEGIN-->")
	endToken   = []byte("<!--XSUPERVISOR:END-->")
)

// prefixAtEnd is the length of the longest end of data that begins token.
func prefixAtEnd(data, token []byte) int {
	for n := min(len(token)-1, len(data)); n > 0; n-- {
		if bytes.HasSuffix(data, token[:n]) {
			return n
		}
	}
	return 0
}

// emitCaptured sends what was captured as PROCESS_COMMUNICATION_*.
func (l *logger) emitCaptured(c actor.Context, pid int) {
	c.Send(l.rt.bus, &publish{ev: events.ProcessCommunication{Channel: l.stream, Process: l.proc,
		Group: l.group, PID: pid, Data: l.captured}})
	if l.rt.log.Enabled(context.Background(), slog.LevelDebug) {
		l.rt.log.Debug(fmt.Sprintf("'%s' %s emitted a comm event", l.proc, l.stream))
	}
	l.captured = nil
}

// log sends output where it goes: the log file (or, while capturing, the
// capture buffer, which keeps the last capture_maxbytes), syslog, the main
// log at debug level, and PROCESS_LOG events.
func (l *logger) log(c actor.Context, data []byte, pid int) {
	if l.strip != nil {
		l.stripped = l.strip.Append(l.stripped[:0], data)
		data = l.stripped
	}
	if len(data) == 0 {
		return
	}
	switch {
	case l.capturing:
		l.captured = append(l.captured, data...)
		if over := int64(len(l.captured)) - l.cfg.CaptureMaxBytes; over > 0 {
			l.captured = l.captured[over:]
		}
	case l.frame == nil:
		l.output(data)
	default:
		l.lastRead = l.rt.now()
		l.framed = l.frame.Append(l.framed[:0], data, pid, l.lastRead)
		l.output(l.framed)
		l.armFlush(c, logfmt.Silence)
	}
	if l.echo {
		l.rt.log.Debug(fmt.Sprintf("'%s' %s output:\n%s", l.proc, l.stream, events.DataText(data)))
	}
	if l.cfg.EventsEnabled {
		c.Send(l.rt.bus, &publish{ev: events.ProcessLog{Channel: l.stream, Process: l.proc,
			Group: l.group, PID: pid, Data: bytes.Clone(data)}})
	}
}

// output writes what goes to the log file and syslog.
func (l *logger) output(data []byte) {
	if len(data) == 0 {
		return
	}
	if l.file != nil {
		if _, err := l.file.Write(data); err != nil {
			l.rt.log.Error(fmt.Sprintf("cannot write %s log of '%s': %v", l.stream, l.proc, err))
		}
	}
	if l.syslog != nil {
		l.syslog.Write(data)
	}
}

// armFlush has a *flushPartial come after d, unless one is on its way or
// no unfinished line waits.
func (l *logger) armFlush(c actor.Context, d time.Duration) {
	if l.flushArmed || !l.frame.Waiting() {
		return
	}
	if l.timers == nil {
		l.timers = scheduler.NewTimerScheduler(c.ActorSystem().Root)
	}
	l.flushArmed = true
	l.cancel = l.timers.SendOnce(d, c.Self(), &flushPartial{})
}

// flushPartial writes the unfinished line once the output has been silent
// for logfmt.Silence, or waits for the rest of that time.
func (l *logger) flushPartial(c actor.Context) {
	if l.frame == nil {
		return
	}
	if quiet := l.rt.now().Sub(l.lastRead); quiet < logfmt.Silence {
		l.armFlush(c, logfmt.Silence-quiet)
		return
	}
	l.framed = l.frame.Flush(l.framed[:0])
	l.output(l.framed)
}

// endLine writes what the framer holds when the stream ends or the logger
// stops.
func (l *logger) endLine() {
	if l.frame == nil {
		return
	}
	l.framed = l.frame.End(l.framed[:0])
	l.output(l.framed)
}
