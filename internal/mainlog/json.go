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
var jsonLevel = replaceLevel(func(key string, i int) slog.Attr { return slog.String(key, levels[i].json) })
