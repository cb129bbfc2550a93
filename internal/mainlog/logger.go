package mainlog

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/lmittmann/tint"

	"supervisord/conf"
	"supervisord/internal/logfile"
)

// SyslogPath is the logfile value that sends the main log to syslog instead
// of a file, as the reference allows.
const SyslogPath = "syslog"

// FilePath is the file of a main log configured as logfile (the
// [supervisord] option), "" when it goes to syslog or nowhere: the file the
// APIs read, clear and follow.
func FilePath(logfile string) string {
	if logfile == SyslogPath {
		return ""
	}
	return logfile
}

// Options says where the main log goes.
type Options struct {
	Path     string // log file; "" for none, SyslogPath for syslog
	MaxBytes int64  // rotate at this size; 0 never
	Backups  int
	Level    conf.LogLevel
	// Stderr, when set, gets a copy of every line: the daemon passes
	// os.Stdout when nodaemon and not silent, as the reference echoes there.
	Stderr io.Writer
	// Color makes the Stderr copy colourful (for a terminal); the file always
	// gets the plain reference format.
	Color bool
	// Format is how lines look in the file, syslog and an uncoloured
	// Stderr copy: the reference's text (the default) or JSON (json.go).
	Format conf.LogFormat
}

// Logger is the daemon's main log.
type Logger struct {
	*slog.Logger
	level  *slog.LevelVar
	file   *logfile.File
	syslog *logfile.Syslog
}

// New opens the main log described by opts.
func New(opts Options) (*Logger, error) {
	l := &Logger{level: new(slog.LevelVar)}
	l.level.Set(Level(opts.Level))
	var sinks []sink
	switch opts.Path {
	case "":
	case SyslogPath:
		l.syslog = logfile.NewSyslog("")
		sinks = append(sinks, sink{w: l.syslog, perLine: true})
	default:
		f, err := logfile.Open(opts.Path, opts.MaxBytes, opts.Backups)
		if err != nil {
			return nil, err
		}
		l.file = f
		sinks = append(sinks, sink{w: f})
	}
	if opts.Stderr != nil && !opts.Color {
		// The echo must not fail the record when the terminal or pipe is
		// gone (the reference ignores EPIPE on its stdout copy).
		sinks = append(sinks, sink{w: quietWriter{opts.Stderr}})
	}
	var h slog.Handler = newHandler(l.level, sinks...)
	if opts.Format == conf.LogJSON {
		h = newJSONHandler(l.level, sinks...)
	}
	if opts.Stderr != nil && opts.Color {
		h = fanout{h, tint.NewTextHandler(opts.Stderr, &tint.Options{
			Level:       l.level,
			TimeFormat:  timeLayout,
			ReplaceAttr: tintLevel,
		})}
	}
	l.Logger = slog.New(h)
	return l, nil
}

// SetLevel changes the level from now on (a reload with a new loglevel).
func (l *Logger) SetLevel(level conf.LogLevel) { l.level.Set(Level(level)) }

// Reopen reopens the log file (SIGUSR2, after an external rotation).
func (l *Logger) Reopen() error {
	if l.file == nil {
		return nil
	}
	return l.file.Reopen()
}

// Rotate rotates the log file now, as reaching its maxbytes would
// (rotateLog, `supervisorctl rotate supervisord`).
func (l *Logger) Rotate() error {
	if l.file == nil {
		return nil
	}
	return l.file.Rotate()
}

// Close closes the log file and the syslog connection.
func (l *Logger) Close() error {
	var errs []error
	if l.file != nil {
		errs = append(errs, l.file.Close())
	}
	if l.syslog != nil {
		errs = append(errs, l.syslog.Close())
	}
	return errors.Join(errs...)
}

type quietWriter struct{ w io.Writer }

func (q quietWriter) Write(p []byte) (int, error) {
	q.w.Write(p) //nolint:errcheck // see New
	return len(p), nil
}

// tintLevel gives tint the reference's level names, coloured by severity.
var tintLevel = replaceLevel(func(key string, i int) slog.Attr {
	return tint.Attr(levels[i].color, slog.String(key, levels[i].text))
})

// fanout sends records to the plain handler and the coloured echo.
type fanout [2]slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	return f[0].Enabled(ctx, l) || f[1].Enabled(ctx, l)
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	err := f[0].Handle(ctx, r)
	f[1].Handle(ctx, r.Clone()) //nolint:errcheck // the echo may fail freely
	return err
}

func (f fanout) WithAttrs(attrs []slog.Attr) slog.Handler {
	return fanout{f[0].WithAttrs(attrs), f[1].WithAttrs(attrs)}
}

func (f fanout) WithGroup(name string) slog.Handler {
	return fanout{f[0].WithGroup(name), f[1].WithGroup(name)}
}
