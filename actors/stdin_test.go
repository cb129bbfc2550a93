package actors

import (
	"bytes"
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"supervisord/internal/fsutil"
)

func stdinPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// What the pipe takes goes in at once; the rest waits, in order, for the
// child to read, while the caller goes on.
func TestStdinWriterQueuesWhatThePipeCannotTake(t *testing.T) {
	r, w := stdinPipe(t)
	sw := newStdinWriter(w)
	defer sw.close()
	small := []byte("hello\n")
	if err := sw.write(small); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(small))
	if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, small) {
		t.Fatalf("read %q, %v", got, err)
	}
	// Far more than a pipe holds, in pieces: write never waits.
	var want bytes.Buffer
	for i := range 64 {
		chunk := bytes.Repeat([]byte{'a' + byte(i%26)}, 64<<10)
		want.Write(chunk)
		if err := sw.write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	got = make([]byte, want.Len())
	if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("read %d bytes (%v); they differ from what was written", len(got), err)
	}
}

// A closed read end fails the very first write, and every later one.
func TestStdinWriterClosedPipe(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first []byte
	}{
		{"a byte", []byte("x")},
		{"more than a pipe holds", bytes.Repeat([]byte("x"), 1<<20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w := stdinPipe(t)
			r.Close()
			sw := newStdinWriter(w)
			defer sw.close()
			if err := sw.write(tc.first); !errors.Is(err, ErrNoFile) {
				t.Fatalf("first write: %v, want ErrNoFile", err)
			}
			for _, data := range [][]byte{[]byte("y"), nil} {
				if err := sw.write(data); !errors.Is(err, ErrNoFile) {
					t.Errorf("write %q after EPIPE: %v, want ErrNoFile", data, err)
				}
			}
		})
	}
	if err := newStdinWriter(nil).write([]byte("x")); !errors.Is(err, ErrNoFile) {
		t.Errorf("no stdin: %v, want ErrNoFile", err)
	}
}

// A child that stops reading: the queue waits; once it is gone (its end
// closed) queued bytes that could not go fail the next write.
func TestStdinWriterReaderGoesAway(t *testing.T) {
	r, w := stdinPipe(t)
	sw := newStdinWriter(w)
	defer sw.close()
	if err := sw.write(bytes.Repeat([]byte("x"), 1<<20)); err != nil {
		t.Fatal(err)
	}
	r.Close()
	deadline := time.Now().Add(10 * time.Second)
	for sw.write([]byte("y")) == nil {
		if time.Now().After(deadline) {
			t.Fatal("writes still succeed after the reader went")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// close ends a write that waits for room, drops the queue, closes the
// pipe, and fails later writes.
func TestStdinWriterClose(t *testing.T) {
	r, w := stdinPipe(t)
	sw := newStdinWriter(w)
	if err := sw.write(bytes.Repeat([]byte("x"), 1<<20)); err != nil {
		t.Fatal(err)
	}
	sw.close()
	if err := sw.write([]byte("y")); !errors.Is(err, ErrNoFile) {
		t.Errorf("write after close: %v, want ErrNoFile", err)
	}
	if _, err := w.Write([]byte("z")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("the pipe is still open: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		sw.mu.Lock()
		draining := sw.draining
		sw.mu.Unlock()
		if !draining {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writing goroutine did not end")
		}
		time.Sleep(5 * time.Millisecond)
	}
	n, _ := io.Copy(io.Discard, r)
	if n >= 1<<20 {
		t.Errorf("all %d bytes went through; the queue was not dropped", n)
	}
}

// A freeze cuts a waiting write short without losing or repeating a byte:
// the pipe holds a prefix, pending the rest, in order. Either the writer
// thaws and writes the rest, or (a handover) a new writer on the same pipe
// is given pending first.
func TestStdinWriterFreeze(t *testing.T) {
	for _, handover := range []bool{false, true} {
		r, w := stdinPipe(t)
		sw := newStdinWriter(w)
		var want bytes.Buffer
		write := func(sw *stdinWriter, i int) {
			chunk := bytes.Repeat([]byte{'a' + byte(i%26)}, 40<<10+i)
			want.Write(chunk)
			if err := sw.write(chunk); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 20 { // more than the pipe holds: a write waits
			write(sw, i)
		}
		got := make(chan []byte)
		go func() { b, _ := io.ReadAll(r); got <- b }()
		sw.freeze()
		write(sw, 20) // frozen: it queues
		pending := sw.pending()
		if len(pending) == 0 {
			t.Fatal("nothing pending after a freeze with a full pipe")
		}
		last := sw
		if handover {
			// The next image has the descriptor, not the file.
			fd, err := fsutil.Dup(w)
			if err != nil {
				t.Fatal(err)
			}
			syscall.SetNonblock(fd, true)
			nw := os.NewFile(uintptr(fd), "|1")
			defer nw.Close()
			next := newStdinWriter(nw)
			last = next
			if err := next.write(pending); err != nil {
				t.Fatal(err)
			}
			write(next, 21)
			next.drainedForTest(t)
		} else {
			sw.thaw()
			write(sw, 21)
			sw.drainedForTest(t)
		}
		sw.close()
		last.close()
		w.Close()
		if b := <-got; !bytes.Equal(b, want.Bytes()) {
			t.Fatalf("handover %v: read %d bytes, want %d; they differ", handover, len(b), want.Len())
		}
	}
}

// drainedForTest waits until the queue is written.
func (w *stdinWriter) drainedForTest(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		w.mu.Lock()
		busy := w.draining
		w.mu.Unlock()
		if !busy {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the queue was never written")
		}
		time.Sleep(time.Millisecond)
	}
}
