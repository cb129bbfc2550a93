package logfile

import (
	"errors"
	"log/syslog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

type recorder struct {
	mu    sync.Mutex
	lines []string
	block chan struct{} // when non-nil, Info waits on it
}

func (r *recorder) Info(m string) error {
	if r.block != nil {
		<-r.block
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, m)
	return nil
}

func (r *recorder) Close() error { return nil }

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.lines)
}

func TestSyslogLines(t *testing.T) {
	rec := &recorder{}
	s := newSyslog("web ", func(string) (syslogWriter, error) { return rec, nil })
	for _, chunk := range []string{"one\ntwo\n", "a\n\nb\n\n", "\n", "partial ", "line\n", ""} {
		if n, err := s.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	s.Close()
	// Per chunk: trailing newlines trimmed, then one message per line, as
	// the reference's syslog handler does.
	want := []string{"web one", "web two", "web a", "web ", "web b", "web ", "web partial ", "web line"}
	if got := rec.got(); !slices.Equal(got, want) {
		t.Fatalf("sent %q, want %q", got, want)
	}
	if s.Dropped() != 0 {
		t.Errorf("dropped %d", s.Dropped())
	}
}

func TestSyslogUnreachableDoesNotBlock(t *testing.T) {
	dials := 0
	s := newSyslog("x ", func(string) (syslogWriter, error) {
		dials++
		return nil, errors.New("no syslog here")
	})
	start := time.Now()
	for range 1000 {
		s.Write([]byte("line\n"))
	}
	s.Close()
	if d := time.Since(start); d > time.Second {
		t.Fatalf("writes took %v", d)
	}
	if s.Dropped() != 1000 {
		t.Errorf("dropped %d, want 1000", s.Dropped())
	}
	if dials != 1 {
		t.Errorf("dialed %d times within the retry interval", dials)
	}
}

func TestSyslogStuckDoesNotBlock(t *testing.T) {
	rec := &recorder{block: make(chan struct{})}
	s := newSyslog("", func(string) (syslogWriter, error) { return rec, nil })
	done := make(chan struct{})
	go func() {
		for range 2 * syslogQueue {
			s.Write([]byte("x\n"))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Write blocked behind a stuck syslog")
	}
	if s.Dropped() == 0 {
		t.Error("nothing dropped though syslog accepted nothing")
	}
	close(rec.block)
	s.Close()
}

func TestSyslogWire(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "log")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Skip("unixgram:", err)
	}
	defer conn.Close()
	s := newSyslog("tester ", func(tag string) (syslogWriter, error) {
		return syslog.Dial("unixgram", sock, syslog.LOG_USER|syslog.LOG_INFO, tag)
	})
	defer s.Close()
	s.Write([]byte("hello\n"))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1024)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	msg := string(buf[:n])
	if !strings.HasPrefix(msg, "<14>") || !strings.Contains(msg, " logfile.test[") || !strings.HasSuffix(msg, ": tester hello\n") {
		t.Fatalf("syslog got %q", msg)
	}
}
