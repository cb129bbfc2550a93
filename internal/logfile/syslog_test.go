package logfile

import (
	"errors"
	"log/syslog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"supervisord/testkit"
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
	s := newSyslog("web ", "", func(string) (syslogWriter, error) { return rec, nil })
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
	s := newSyslog("x ", "", func(string) (syslogWriter, error) {
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
	s := newSyslog("", "", func(string) (syslogWriter, error) { return rec, nil })
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

// With a tag, lines go under it at the facility asked for, over a real
// datagram socket; each line is a message of its own.
func TestSyslogTagAndFacility(t *testing.T) {
	sock := testkit.ListenDatagrams(t)
	for _, tc := range []struct {
		c    SyslogConfig
		want []string // priority, tag and message of each datagram
	}{
		{SyslogConfig{Prefix: "web ", Facility: syslog.LOG_USER}, []string{"<14> logfile.test web one", "<14> logfile.test web two"}},
		{SyslogConfig{Tag: "web-app", Facility: syslog.LOG_LOCAL3}, []string{"<158> web-app one", "<158> web-app two"}},
		{SyslogConfig{Tag: "db", Facility: syslog.LOG_DAEMON}, []string{"<30> db one", "<30> db two"}},
	} {
		tc.c.Network, tc.c.Addr = "unixgram", sock.Addr
		s := OpenSyslog(tc.c)
		s.Write([]byte("one\ntwo\n"))
		var got []string
		for range tc.want {
			got = append(got, wireParts(t, sock.Next()))
		}
		s.Close()
		if !slices.Equal(got, tc.want) {
			t.Errorf("%+v sent %q, want %q", tc.c, got, tc.want)
		}
	}
}

// wireParts reduces a datagram of log/syslog ("<PRI>TIME HOST TAG[PID]:
// MSG\n") to "<PRI> TAG MSG".
func wireParts(t *testing.T, msg string) string {
	t.Helper()
	pri, rest, ok := strings.Cut(msg, ">")
	head, text, ok2 := strings.Cut(rest, ": ")
	fields := strings.Fields(head)
	if !ok || !ok2 || len(fields) < 2 || !strings.HasSuffix(text, "\n") {
		t.Fatalf("syslog got %q", msg)
	}
	tag, _, _ := strings.Cut(fields[len(fields)-1], "[")
	return pri + "> " + tag + " " + strings.TrimSuffix(text, "\n")
}
