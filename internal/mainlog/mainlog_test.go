package mainlog

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"supervisord/conf"
)

var update = flag.Bool("update", false, "rewrite golden files")

// clock hands out fixed, increasing times: the injected clock of the golden
// test.
type clock struct{ t time.Time }

func (c *clock) next() time.Time {
	c.t = c.t.Add(1234567 * time.Microsecond)
	return c.t
}

func TestFormatGolden(t *testing.T) {
	var buf bytes.Buffer
	h := NewHandler(&buf, LevelBlather)
	c := &clock{t: time.Date(2021, 1, 12, 17, 57, 20, 470_999_999, time.FixedZone("X", 3600))}
	ctx := context.Background()
	emit := func(h slog.Handler, level slog.Level, msg string, attrs ...slog.Attr) {
		r := slog.NewRecord(c.next(), level, msg, 0)
		r.AddAttrs(attrs...)
		if err := h.Handle(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	emit(h, slog.LevelInfo, "spawned: 'tester' with pid 1260")
	emit(h, LevelCritical, "Supervisor is running as root.  Privileges were not dropped because no user is specified in the config file.  If you intend to run as root, you can set user=root in the config file to avoid this message.")
	emit(h, slog.LevelError, "spawnerr: can't find command 'nope'")
	emit(h, slog.LevelWarn, "received SIGTERM indicating exit request")
	emit(h, slog.LevelDebug, "'tester' stdout output:\nhello\n")
	emit(h, LevelTrace, "trace message")
	emit(h, LevelBlather, "read event caused by <POutputDispatcher>")
	emit(h, slog.LevelDebug-2, "between debug and trace rounds down to trace")
	emit(h, slog.LevelInfo, "with attrs", slog.String("name", "web"), slog.Int("pid", 42),
		slog.String("msg", "two words"), slog.String("empty", ""), slog.Any("err", errors.New("boom")),
		slog.Group("g", slog.Bool("ok", true)), slog.Group("", slog.Int("inlined", 1)), slog.Attr{})
	hg := h.WithAttrs([]slog.Attr{slog.String("group", "g1")}).WithGroup("proc")
	emit(hg, slog.LevelInfo, "grouped", slog.String("state", "RUNNING"))

	golden := filepath.Join("testdata", "format.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != string(want) {
		t.Errorf("format differs from %s:\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

func TestLevelMapping(t *testing.T) {
	tests := []struct {
		conf conf.LogLevel
		want slog.Level
		name string
	}{
		{conf.LevelBlather, LevelBlather, "BLAT"},
		{conf.LevelTrace, LevelTrace, "TRAC"},
		{conf.LevelDebug, slog.LevelDebug, "DEBG"},
		{conf.LevelInfo, slog.LevelInfo, "INFO"},
		{conf.LevelWarn, slog.LevelWarn, "WARN"},
		{conf.LevelError, slog.LevelError, "ERRO"},
		{conf.LevelCritical, LevelCritical, "CRIT"},
		{0, LevelBlather, "BLAT"},
		{25, slog.LevelInfo, "INFO"},
		{99, LevelCritical, "CRIT"},
	}
	for _, tt := range tests {
		if got := Level(tt.conf); got != tt.want || levelName(got) != tt.name {
			t.Errorf("Level(%d) = %v (%s), want %v (%s)", tt.conf, got, levelName(got), tt.want, tt.name)
		}
	}
}

// TestLevelFiltering: a message is written iff its level is at or above the
// configured one, for every pair of the reference's levels.
func TestLevelFiltering(t *testing.T) {
	levels := []conf.LogLevel{conf.LevelBlather, conf.LevelTrace, conf.LevelDebug, conf.LevelInfo, conf.LevelWarn, conf.LevelError, conf.LevelCritical}
	for _, configured := range levels {
		var buf bytes.Buffer
		l, err := New(Options{Level: configured, Stderr: &buf})
		if err != nil {
			t.Fatal(err)
		}
		for _, msg := range levels {
			l.Log(context.Background(), Level(msg), "m")
		}
		var names []string
		for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
			if f := strings.Fields(line); len(f) == 4 {
				names = append(names, f[2])
			}
		}
		var want []string
		for _, msg := range levels {
			if msg >= configured {
				want = append(want, levelName(Level(msg)))
			}
		}
		if strings.Join(names, " ") != strings.Join(want, " ") {
			t.Errorf("loglevel %d wrote %v, want %v", configured, names, want)
		}
	}
}

var lineRE = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (CRIT|ERRO|WARN|INFO|DEBG|TRAC|BLAT) `)

func TestFileAndEcho(t *testing.T) {
	path := filepath.Join(t.TempDir(), "supervisord.log")
	var echo bytes.Buffer
	l, err := New(Options{Path: path, MaxBytes: 0, Level: conf.LevelInfo, Stderr: &echo})
	if err != nil {
		t.Fatal(err)
	}
	l.Info("supervisord started with pid 1")
	l.Debug("hidden")
	l.Warn("received SIGTERM indicating exit request")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(file) != echo.String() {
		t.Errorf("file %q and echo %q differ; the reference writes the same lines to both", file, echo.String())
	}
	lines := strings.Split(strings.TrimSuffix(string(file), "\n"), "\n")
	if len(lines) != 2 || !lineRE.MatchString(lines[0]) || !strings.HasSuffix(lines[1], " WARN received SIGTERM indicating exit request") {
		t.Errorf("file = %q", file)
	}
}

func TestColorEchoOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "supervisord.log")
	var echo bytes.Buffer
	l, err := New(Options{Path: path, Level: conf.LevelInfo, Stderr: &echo, Color: true})
	if err != nil {
		t.Fatal(err)
	}
	l.Error("spawnerr: boom", "pid", 7)
	l.Debug("hidden")
	l.Close()
	file, _ := os.ReadFile(path)
	if bytes.Contains(file, []byte("\x1b[")) || !lineRE.Match(file) || !strings.HasSuffix(string(file), " ERRO spawnerr: boom pid=7\n") {
		t.Errorf("file = %q, want the plain format", file)
	}
	if !strings.Contains(echo.String(), "\x1b[") || !strings.Contains(echo.String(), "ERRO") || strings.Contains(echo.String(), "hidden") {
		t.Errorf("echo = %q, want a coloured ERRO line only", echo.String())
	}
}

func TestRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "supervisord.log")
	l, err := New(Options{Path: path, MaxBytes: 500, Backups: 2, Level: conf.LevelInfo})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		l.Info("exited: web (exit status 0; expected)", "n", i)
	}
	l.Close()
	if _, err := os.Stat(path + ".3"); err == nil {
		t.Error("more backups than configured")
	}
	var last []string
	for _, p := range []string{path + ".2", path + ".1", path} {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		if p != path && st.Size() < 500 {
			t.Errorf("%s rolled at %d bytes", p, st.Size())
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if !lineRE.MatchString(sc.Text()) {
				t.Errorf("%s: broken line %q", p, sc.Text())
			}
			last = append(last, sc.Text())
		}
		f.Close()
	}
	if !strings.HasSuffix(last[len(last)-1], " n=99") {
		t.Errorf("newest line %q", last[len(last)-1])
	}
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "supervisord.log")
	l, err := New(Options{Path: path, Level: conf.LevelInfo})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Info("before")
	os.Rename(path, path+".old")
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Info("after")
	b, _ := os.ReadFile(path)
	if !strings.HasSuffix(string(b), " INFO after\n") || strings.Contains(string(b), "before") {
		t.Errorf("reopened file = %q", b)
	}
}

func TestSetLevel(t *testing.T) {
	var buf bytes.Buffer
	l, _ := New(Options{Level: conf.LevelInfo, Stderr: &buf})
	l.Debug("one")
	l.SetLevel(conf.LevelDebug)
	l.Debug("two")
	if strings.Contains(buf.String(), "one") || !strings.Contains(buf.String(), "DEBG two") {
		t.Errorf("got %q", buf.String())
	}
}

// TestSyslogLines: a syslog sink gets the time and level on every line, as
// the reference formats each line of a message for syslog separately.
func TestSyslogLines(t *testing.T) {
	var buf bytes.Buffer
	h := newHandler(slog.LevelInfo, sink{w: &buf, perLine: true})
	tm := time.Date(2021, 1, 12, 17, 57, 21, 705e6, time.UTC)
	h.Handle(context.Background(), slog.NewRecord(tm, slog.LevelInfo, "a\n\nb\n", 0))
	want := "2021-01-12 17:57:21,705 INFO a\n2021-01-12 17:57:21,705 INFO \n2021-01-12 17:57:21,705 INFO b\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func TestOpenFailure(t *testing.T) {
	if _, err := New(Options{Path: filepath.Join(t.TempDir(), "missing", "x.log")}); err == nil {
		t.Fatal("New with an unusable path succeeded")
	}
}

func BenchmarkLog(b *testing.B) {
	l, err := New(Options{Path: filepath.Join(b.TempDir(), "supervisord.log"), MaxBytes: 50 << 20, Backups: 2, Level: conf.LevelInfo})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	for b.Loop() {
		l.Info("spawned: 'tester' with pid 1260")
	}
}
