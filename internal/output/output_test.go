package output

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// collector stands in for a logger: it keeps what it is handed and, unless
// told to hold, releases each read as a logger does once it wrote it.
type collector struct {
	mu       sync.Mutex
	data     []byte
	chunks   int
	hold     bool
	released []func()
	eofs     int // EOF calls (nil data) seen
}

func (c *collector) sink(data []byte, release func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if data == nil {
		c.eofs++
		return
	}
	c.data = append(c.data, data...)
	c.chunks++
	if c.hold {
		c.released = append(c.released, release)
		return
	}
	release()
}

func (c *collector) snapshot() ([]byte, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.data), c.chunks
}

func newHub(t *testing.T) *Hub {
	t.Helper()
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func pipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

func waitFor(t *testing.T, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readers are the two ways a pipe is read: through a hub, and by a
// goroutine of its own.
var readers = []struct {
	name string
	read func(t *testing.T, f *os.File, sink Sink, gone <-chan struct{})
}{
	{"hub", func(t *testing.T, f *os.File, sink Sink, gone <-chan struct{}) {
		if err := newHub(t).Add(f, sink, gone); err != nil {
			t.Fatal(err)
		}
	}},
	{"direct", func(t *testing.T, f *os.File, sink Sink, gone <-chan struct{}) {
		go ReadDirect(f, sink, gone)
	}},
}

// Many small writes arrive whole and in order, and the pipe is closed at
// EOF; the hub hands them over in far fewer reads than writes (it batches
// a stream that keeps it busy).
func TestSmallWritesInOrder(t *testing.T) {
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			c := &collector{}
			r, w := pipe(t)
			rd.read(t, r, c.sink, make(chan struct{}))
			var want bytes.Buffer
			const lines = 50000
			for i := range lines {
				line := fmt.Appendf(nil, "%08d %s\n", i, bytes.Repeat([]byte{'a' + byte(i%26)}, 70))
				want.Write(line)
				if _, err := w.Write(line); err != nil {
					t.Fatal(err)
				}
			}
			w.Close()
			// EOF comes once, after every byte.
			waitFor(t, 10*time.Second, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.eofs > 0 })
			got, chunks := c.snapshot()
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("got %d bytes, want %d; they differ", len(got), want.Len())
			}
			if c.eofs != 1 {
				t.Errorf("%d EOF calls, want 1", c.eofs)
			}
			if rd.name == "hub" && chunks > lines/10 {
				t.Errorf("%d writes came in %d chunks: not batched", lines, chunks)
			}
			t.Logf("%d writes in %d chunks", lines, chunks)
		})
	}
}

// A sink that does not keep up stops the reading, so the child blocks
// rather than the daemon growing; once the sink is gone the rest is read
// and dropped, so the child can finish.
func TestBackpressureThenDrop(t *testing.T) {
	c := &collector{hold: true}
	h := newHub(t)
	r, w := pipe(t)
	gone := make(chan struct{})
	if err := h.Add(r, c.sink, gone); err != nil {
		t.Fatal(err)
	}

	chunk := bytes.Repeat([]byte("z"), 64<<10)
	written := make(chan int, 1)
	go func() {
		n := 0
		for n < 8*maxInFlight {
			k, err := w.Write(chunk)
			n += k
			if err != nil {
				break
			}
		}
		w.Close()
		written <- n
	}()
	// Once the stream is held for credit it is out of the epoll set: what
	// the sink got is all it gets until it releases something.
	waitFor(t, 10*time.Second, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, s := range h.streams {
			if s.credit {
				return true
			}
		}
		return false
	})
	got, _ := c.snapshot()
	if len(got) > maxInFlight+hotChunkSize {
		t.Errorf("%d bytes taken with none released; the bound is %d", len(got), maxInFlight)
	}
	select {
	case n := <-written:
		t.Fatalf("the writer finished (%d bytes) although nothing was released", n)
	default:
	}
	close(gone)
	select {
	case n := <-written:
		if n != 8*maxInFlight {
			t.Errorf("wrote %d", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the writer is still blocked after the sink went")
	}
}

// Releasing lets a held stream go on: everything arrives.
func TestReleaseResumes(t *testing.T) {
	c := &collector{hold: true}
	h := newHub(t)
	r, w := pipe(t)
	if err := h.Add(r, c.sink, make(chan struct{})); err != nil {
		t.Fatal(err)
	}
	const total = 4 * maxInFlight
	go func() {
		w.Write(bytes.Repeat([]byte("y"), total))
		w.Close()
	}()
	waitFor(t, 10*time.Second, func() bool {
		c.mu.Lock()
		rel := c.released
		c.released = nil
		c.mu.Unlock()
		for _, f := range rel {
			f()
		}
		got, _ := c.snapshot()
		return len(got) == total
	})
}

// Output nobody takes is read and dropped, and the pipe closed at EOF.
func TestDropsUnwantedOutput(t *testing.T) {
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			r, w := pipe(t)
			rd.read(t, r, nil, make(chan struct{}))
			done := make(chan error, 1)
			go func() {
				chunk := bytes.Repeat([]byte("q"), 64<<10)
				for range 64 { // 4 MiB: far more than a pipe holds
					if _, err := w.Write(chunk); err != nil {
						done <- err
						return
					}
				}
				done <- w.Close()
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the writer blocked: unwanted output is not drained")
			}
		})
	}
	h := newHub(t)
	r, w := pipe(t)
	if err := h.Add(r, nil, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	waitFor(t, 5*time.Second, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.streams) == 0
	})
}

// Close closes the pipes the hub still reads (so their writers see EPIPE),
// no sink is called after it, and nothing more can be added.
func TestClose(t *testing.T) {
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	r, w := pipe(t)
	if err := h.Add(r, c.sink, make(chan struct{})); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("before\n"))
	waitFor(t, 5*time.Second, func() bool { got, _ := c.snapshot(); return len(got) == 7 })
	h.Close()
	h.Close() // a second Close is harmless
	if _, err := w.Write([]byte("after\n")); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("write after Close: %v, want EPIPE", err)
	}
	if got, _ := c.snapshot(); string(got) != "before\n" {
		t.Errorf("sink got %q", got)
	}
	r2, _ := pipe(t)
	if err := h.Add(r2, c.sink, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Close: %v, want ErrClosed", err)
	}
	if _, err := r2.SyscallConn(); err != nil {
		t.Errorf("a refused pipe was closed: %v", err)
	}
}

// A Direct reader stopped again and again while a writer goes on loses no
// byte: what it read is at the sink, the rest is read from the pipe Stop
// hands back, which a new reader takes over; after EOF Stop returns nil.
func TestDirectStopHandsThePipeOver(t *testing.T) {
	c := &collector{}
	r, w := pipe(t)
	var want bytes.Buffer
	const lines = 20000
	for i := range lines {
		want.Write(fmt.Appendf(nil, "%08d\n", i))
	}
	go func() {
		data := want.Bytes()
		for len(data) > 0 {
			n := min(len(data), 333)
			if _, err := w.Write(data[:n]); err != nil {
				return
			}
			data = data[n:]
			time.Sleep(20 * time.Microsecond) // paced, so the reader is stopped midway
		}
		w.Close()
	}()
	f := r
	stops := 0
	for {
		d := StartDirect(f, c.sink, make(chan struct{}))
		time.Sleep(time.Millisecond)
		if f = d.Stop(); f == nil {
			break
		}
		stops++
	}
	got, _ := c.snapshot()
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("got %d bytes, want %d; they differ", len(got), want.Len())
	}
	if c.eofs != 1 {
		t.Errorf("%d EOF calls, want 1", c.eofs)
	}
	if stops == 0 {
		t.Error("the reader never stopped before EOF")
	}
	t.Logf("%d stops", stops)
}

// TestPause: a stream drained in quick succession is left alone until its
// pipe is about half full at the rate it was last written, within
// [minBatchDelay, batchDelay].
func TestPause(t *testing.T) {
	now := time.Unix(1000, 0)
	tests := []struct {
		name  string
		pipe  int
		since int           // bytes read since the last drain
		span  time.Duration // since the last drain; 0: never drained
		want  time.Duration
	}{
		{"never drained before", 64 << 10, 4096, 0, batchDelay},
		{"slow writer", 64 << 10, 1 << 10, time.Millisecond, batchDelay},
		{"fills half the pipe in 2 ms", 1 << 20, 512 << 10, 2 * time.Millisecond, batchDelay},
		{"fills the pipe in 1 ms", 1 << 20, 1 << 20, time.Millisecond, 500 * time.Microsecond},
		{"fills half a small pipe in 1 ms", 64 << 10, 32 << 10, time.Millisecond, time.Millisecond},
		{"faster than the timer", 1 << 20, 1 << 20, 100 * time.Microsecond, minBatchDelay},
		{"drained long ago", 1 << 20, 1 << 20, time.Second, batchDelay},
		{"nothing read", 1 << 20, 0, time.Millisecond, batchDelay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &stream{pipeSize: tt.pipe, since: tt.since}
			if tt.span > 0 {
				s.drained = now.Add(-tt.span)
			}
			if got := s.pause(now); got != tt.want {
				t.Errorf("pause = %v, want %v", got, tt.want)
			}
		})
	}
}
