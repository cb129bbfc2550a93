// Package mainlog is the daemon's main log: a log/slog handler writing the
// reference's line format ("2021-01-12 17:57:21,705 INFO spawned: ..."), the
// reference's extra levels, and the Logger that sends it to the rotating
// log file, syslog and, in the foreground, the terminal.
package mainlog

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"supervisord/conf"
)

// The reference's levels that slog lacks: blather and trace below debug,
// critical above error.
const (
	LevelBlather  = slog.Level(-12)
	LevelTrace    = slog.Level(-8)
	LevelCritical = slog.Level(12)
)

// Level maps a configured loglevel onto slog. Values between the reference's
// numbers round down to the level below, so nothing the config asks for is
// hidden.
func Level(l conf.LogLevel) slog.Level {
	switch {
	case l >= conf.LevelCritical:
		return LevelCritical
	case l >= conf.LevelError:
		return slog.LevelError
	case l >= conf.LevelWarn:
		return slog.LevelWarn
	case l >= conf.LevelInfo:
		return slog.LevelInfo
	case l >= conf.LevelDebug:
		return slog.LevelDebug
	case l >= conf.LevelTrace:
		return LevelTrace
	default:
		return LevelBlather
	}
}

// levels are the reference's levels, highest first: the least slog level
// each stands for, its name in the text format (the reference's four
// letters) and in JSON, and its colour on a terminal.
var levels = []struct {
	min        slog.Level
	text, json string
	color      uint8 // tint's ANSI colour number
}{
	{LevelCritical, "CRIT", "CRITICAL", 9}, // bright red
	{slog.LevelError, "ERRO", "ERROR", 9},
	{slog.LevelWarn, "WARN", "WARN", 11},  // bright yellow
	{slog.LevelInfo, "INFO", "INFO", 10},  // bright green
	{slog.LevelDebug, "DEBG", "DEBUG", 8}, // grey
	{LevelTrace, "TRAC", "TRACE", 8},
	{LevelBlather, "BLAT", "BLATHER", 8},
}

// levelIndex is the place in levels of the highest level at or below l
// (the lowest for anything below it).
func levelIndex(l slog.Level) int {
	for i, lv := range levels {
		if l >= lv.min {
			return i
		}
	}
	return len(levels) - 1
}

// replaceLevel is a slog ReplaceAttr that hands the record's level (its
// place in levels) to as and leaves every other attribute alone.
func replaceLevel(as func(key string, i int) slog.Attr) func([]string, slog.Attr) slog.Attr {
	return func(groups []string, a slog.Attr) slog.Attr {
		if a.Key != slog.LevelKey || len(groups) != 0 {
			return a
		}
		l, ok := a.Value.Any().(slog.Level)
		if !ok {
			return a
		}
		return as(a.Key, levelIndex(l))
	}
}

// levelName is the reference's four-letter name for the highest of its
// levels at or below l.
func levelName(l slog.Level) string { return levels[levelIndex(l)].text }

// timeLayout is the reference's asctime: local time, comma, milliseconds
// (truncated, as the reference's %03d of the fraction does).
const timeLayout = "2006-01-02 15:04:05,000"

// sink is one destination of formatted records. perLine sinks (syslog) get
// the time and level in front of every line of a multi-line message, as the
// reference's syslog handler formats each line on its own.
type sink struct {
	w       io.Writer
	perLine bool
}

// output is shared by a handler and all handlers derived from it, so records
// from WithAttrs children are written whole and in order.
type output struct {
	mu    sync.Mutex
	sinks []sink
}

// Handler is a slog.Handler producing the reference's main log lines. The
// message is written as-is; attributes follow as " key=value".
type Handler struct {
	out    *output
	level  slog.Leveler
	attrs  []byte // preformatted attributes from WithAttrs
	prefix string // group prefix ("a.b.") for attributes added later
}

// NewHandler returns a Handler writing records at or above level to w.
func NewHandler(w io.Writer, level slog.Leveler) *Handler {
	return newHandler(level, sink{w: w})
}

func newHandler(level slog.Leveler, sinks ...sink) *Handler {
	return &Handler{out: &output{sinks: sinks}, level: level}
}

// Enabled reports whether level is at or above the handler's level.
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// Handle writes one record. Every sink is tried; the first write error is
// returned.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	bp := bufPool.Get().(*[]byte)
	buf := (*bp)[:0]
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	buf = t.AppendFormat(buf, timeLayout)
	buf = append(buf, ' ')
	buf = append(buf, levelName(r.Level)...)
	buf = append(buf, ' ')
	head := len(buf)
	buf = append(buf, r.Message...)
	buf = append(buf, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		buf = appendAttr(buf, h.prefix, a)
		return true
	})
	buf = append(buf, '\n')

	var first error
	h.out.mu.Lock()
	for _, s := range h.out.sinks {
		var err error
		if s.perLine {
			_, err = s.w.Write(perLine(buf[:head], buf[head:]))
		} else {
			_, err = s.w.Write(buf)
		}
		if first == nil {
			first = err
		}
	}
	h.out.mu.Unlock()

	*bp = buf
	bufPool.Put(bp)
	return first
}

// perLine repeats head before each line of body (trailing newlines dropped).
func perLine(head, body []byte) []byte {
	body = bytes.TrimRight(body, "\n")
	var out []byte
	for {
		line, rest, more := bytes.Cut(body, []byte{'\n'})
		out = append(append(append(out, head...), line...), '\n')
		if !more {
			return out
		}
		body = rest
	}
}

// WithAttrs returns a handler that adds attrs to every record.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := *h
	h2.attrs = bytes.Clone(h.attrs)
	for _, a := range attrs {
		h2.attrs = appendAttr(h2.attrs, h.prefix, a)
	}
	return &h2
}

// WithGroup returns a handler that qualifies later attributes with name.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	return &h2
}

// appendAttr appends " prefix.key=value", flattening groups.
func appendAttr(buf []byte, prefix string, a slog.Attr) []byte {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, ga := range v.Group() {
			buf = appendAttr(buf, p, ga)
		}
		return buf
	}
	if a.Key == "" && v.Any() == nil {
		return buf // slog's "ignore this attribute"
	}
	buf = append(buf, ' ')
	buf = append(buf, prefix...)
	buf = append(buf, a.Key...)
	buf = append(buf, '=')
	var s string
	switch v.Kind() {
	case slog.KindString:
		s = v.String()
	case slog.KindTime:
		s = v.Time().Format(time.RFC3339Nano)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			s = err.Error()
		} else {
			s = v.String()
		}
	default:
		return append(buf, v.String()...)
	}
	if needsQuoting(s) {
		return strconv.AppendQuote(buf, s)
	}
	return append(buf, s...)
}

// needsQuoting reports values that would not read back as one token.
func needsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for _, r := range s {
		if r == ' ' || r == '=' || r == '"' || r == utf8.RuneError || !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}
