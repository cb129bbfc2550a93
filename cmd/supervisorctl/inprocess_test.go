package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"supervisord/testkit"
)

// These run the CLI inside the test process, so the race detector sees
// the goroutines of fg and tail -f (the binaries the other tests run are
// built without it).

type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitFor(t *testing.T, what func() string, text string) {
	t.Helper()
	if !testkit.Poll(10*time.Second, func() bool { return strings.Contains(what(), text) }) {
		t.Fatalf("no %q in %q", text, what())
	}
}

// runCLI runs the CLI with args in a goroutine; the returned channel
// gives its exit status.
func runCLI(stdin io.Reader, stdout, stderr io.Writer, args ...string) <-chan int {
	done := make(chan int, 1)
	go func() { done <- NewCLI(stdin, stdout, stderr).Run(args) }()
	return done
}

func waitStatus(t *testing.T, done <-chan int) int {
	t.Helper()
	select {
	case code := <-done:
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("the command did not end")
		return -1
	}
}

// TestInProcess runs its parts one after the other: tail -f is stopped
// by a SIGINT to the whole test process.
func TestInProcess(t *testing.T) {
	d := shellDaemon(t, "")

	t.Run("fg", func(t *testing.T) {
		in, feed := io.Pipe()
		var out, errOut safeBuffer
		done := runCLI(in, &out, &errOut, "-c", d.Conf, "fg", "echo")
		waitFor(t, out.String, "==> Press Ctrl-C to exit <==\n")
		io.WriteString(feed, "ping\n")
		waitFor(t, out.String, "ping\n")
		io.WriteString(feed, "pong")
		feed.Close() // a last line without its newline still counts
		if code := waitStatus(t, done); code != 0 {
			t.Errorf("fg exited %d", code)
		}
		waitFor(t, out.String, "Exiting foreground\n")
		b, _ := os.ReadFile(d.Dir + "/echo.out")
		if !strings.Contains(string(b), "ping\npong\n") {
			t.Errorf("echo got %q", b)
		}
		if errOut.String() != "" {
			t.Errorf("stderr: %q", errOut.String())
		}
	})

	t.Run("tail -f", func(t *testing.T) {
		var out, errOut safeBuffer
		done := runCLI(strings.NewReader(""), &out, &errOut, "-c", d.Conf, "tail", "-f", "chatty")
		waitFor(t, out.String, "30\n")
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		if code := waitStatus(t, done); code != 0 {
			t.Errorf("tail -f exited %d", code)
		}
		if !strings.HasPrefix(out.String(), "==> Press Ctrl-C to exit <==\n1\n2\n") || !strings.HasSuffix(out.String(), "30\n\n") {
			t.Errorf("tail -f printed %q", out.String())
		}
	})

	t.Run("piped shell", func(t *testing.T) {
		var out, errOut safeBuffer
		code := NewCLI(strings.NewReader("version\nstatus nosuch\nbogus\n"), &out, &errOut).Run([]string{"-c", d.Conf})
		if code != 0 {
			t.Errorf("shell exited %d", code)
		}
		want := "supervisor> 4.2.5\nsupervisor> nosuch: ERROR (no such process)\n" +
			"supervisor> *** Unknown syntax: bogus\nsupervisor> \n"
		if got := out.String(); !strings.HasSuffix(got, want) || !strings.Contains(got, "sleeper                          RUNNING") {
			t.Errorf("shell printed %q, want it to end with %q", got, want)
		}
	})
}
