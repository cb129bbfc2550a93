package mainlog

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supervisord/conf"
)

// logformat=json: every record is one line of JSON with time, level and
// msg, in the file and in an uncoloured echo alike, whatever the message
// holds.
func TestJSONLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "supervisord.log")
	var echo bytes.Buffer
	l, err := New(Options{Path: path, Level: conf.LevelBlather, Stderr: &echo, Format: conf.LogJSON})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	records := []struct {
		level slog.Level
		msg   string
		want  string
	}{
		{LevelCritical, "Supervisor is running as root.", "CRITICAL"},
		{slog.LevelError, "spawnerr: can't find command 'nope'", "ERROR"},
		{slog.LevelWarn, "received SIGTERM indicating exit request", "WARN"},
		{slog.LevelInfo, "spawned: 'web' with pid 42", "INFO"},
		{slog.LevelDebug, "'web' stdout output:\nline one\n\x1b[31mred\x1b[0m \xff\n", "DEBUG"},
		{LevelTrace, "trace", "TRACE"},
		{LevelBlather, "blather", "BLATHER"},
	}
	before := time.Now().Add(-time.Second)
	for _, r := range records {
		l.Log(ctx, r.level, r.msg, "pid", 42)
	}
	l.Close()
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if echo.String() != string(file) {
		t.Errorf("echo %q differs from the file %q", echo.String(), file)
	}
	lines := strings.Split(strings.TrimSuffix(string(file), "\n"), "\n")
	if len(lines) != len(records) {
		t.Fatalf("%d lines for %d records:\n%s", len(lines), len(records), file)
	}
	for i, line := range lines {
		var got struct {
			Time  time.Time `json:"time"`
			Level string    `json:"level"`
			Msg   string    `json:"msg"`
			PID   int       `json:"pid"`
		}
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Errorf("line %d is not JSON: %v\n%s", i, err, line)
			continue
		}
		r := records[i]
		if got.Level != r.want || got.PID != 42 || got.Time.Before(before) || got.Time.After(time.Now()) {
			t.Errorf("line %d = %+v, want level %s, pid 42, a time of now", i, got, r.want)
		}
		if want := strings.ToValidUTF8(r.msg, "\ufffd"); got.Msg != want {
			t.Errorf("line %d msg = %q, want %q", i, got.Msg, want)
		}
	}
}

// On a terminal the echo is coloured text (tint); the file stays JSON.
func TestJSONColorEcho(t *testing.T) {
	path := filepath.Join(t.TempDir(), "supervisord.log")
	var echo bytes.Buffer
	l, err := New(Options{Path: path, Level: conf.LevelInfo, Stderr: &echo, Color: true, Format: conf.LogJSON})
	if err != nil {
		t.Fatal(err)
	}
	l.Error("spawnerr: boom")
	l.Close()
	file, _ := os.ReadFile(path)
	var v map[string]any
	if err := json.Unmarshal(file, &v); err != nil || v["msg"] != "spawnerr: boom" {
		t.Errorf("file = %q, want one JSON line: %v", file, err)
	}
	if !strings.Contains(echo.String(), "\x1b[") || strings.HasPrefix(echo.String(), "{") {
		t.Errorf("echo = %q, want coloured text", echo.String())
	}
}

// Rotate moves what was logged to supervisord.log.1 at once.
func TestRotateNow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "supervisord.log")
	l, err := New(Options{Path: path, Backups: 3, Level: conf.LevelInfo})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Info("before")
	if err := l.Rotate(); err != nil {
		t.Fatal(err)
	}
	l.Info("after")
	old, _ := os.ReadFile(path + ".1")
	now, _ := os.ReadFile(path)
	if !strings.HasSuffix(string(old), " INFO before\n") || !strings.HasSuffix(string(now), " INFO after\n") ||
		strings.Contains(string(now), "before") {
		t.Errorf("after rotate: .1 %q, file %q", old, now)
	}
	none, _ := New(Options{Level: conf.LevelInfo})
	if err := none.Rotate(); err != nil {
		t.Errorf("Rotate without a file: %v", err)
	}
}
