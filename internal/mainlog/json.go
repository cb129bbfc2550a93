package mainlog

import (
	"io"
	"log/slog"
)

// The main log as JSON lines ([supervisord] logformat=json): slog's own
// JSON handler, one object a record with time (RFC 3339, local), level
// and msg first, then the record's attributes; newlines and control
// characters in a message are escaped, so a record is always one line.

// newJSONHandler writes records at or above level to every sink.
func newJSONHandler(level slog.Leveler, sinks ...sink) slog.Handler {
	return slog.NewJSONHandler(fanWriter(sinks), &slog.HandlerOptions{Level: level, ReplaceAttr: jsonLevel})
}

// fanWriter writes each record to every sink; the first error is
// returned. slog hands it one whole line at a time, under its own lock.
type fanWriter []sink

func (f fanWriter) Write(p []byte) (int, error) {
	var first error
	for _, s := range f {
		if _, err := s.w.Write(p); err != nil && first == nil {
			first = err
		}
	}
	return len(p), first
}

var _ io.Writer = fanWriter(nil)

// jsonLevel names the reference's extra levels (slog would write
// "DEBUG-4"); the others keep slog's names, which log shippers know.
func jsonLevel(groups []string, a slog.Attr) slog.Attr {
	if a.Key != slog.LevelKey || len(groups) != 0 {
		return a
	}
	l, ok := a.Value.Any().(slog.Level)
	if !ok {
		return a
	}
	switch {
	case l >= LevelCritical:
		return slog.String(a.Key, "CRITICAL")
	case l >= slog.LevelError:
		return slog.String(a.Key, "ERROR")
	case l >= slog.LevelWarn:
		return slog.String(a.Key, "WARN")
	case l >= slog.LevelInfo:
		return slog.String(a.Key, "INFO")
	case l >= slog.LevelDebug:
		return slog.String(a.Key, "DEBUG")
	case l >= LevelTrace:
		return slog.String(a.Key, "TRACE")
	}
	return slog.String(a.Key, "BLATHER")
}
