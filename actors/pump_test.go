package actors

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"golang.org/x/sys/unix"

	"supervisord/testkit"
	"supervisord/testkit/actortest"
)

// collector stands in for a logger: it keeps what it is sent and, unless
// told to hold, releases each chunk as a logger does once it wrote it.
type collector struct {
	mu       sync.Mutex
	data     []byte
	chunks   int
	hold     bool
	released []func()
}

func (c *collector) receive(ctx actor.Context) {
	m, ok := ctx.Message().(*logChunk)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data = append(c.data, m.data...)
	c.chunks++
	if c.hold {
		c.released = append(c.released, m.release)
		return
	}
	m.release()
}

func (c *collector) snapshot() ([]byte, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.data), c.chunks
}

// spawnCollector spawns a collector under a parent, named as a process's
// stdout logger is, which is what lets the hub batch its reads.
func spawnCollector(t *testing.T, c *collector) (*actor.ActorSystem, *actor.PID) {
	t.Helper()
	sys := actortest.QuietSystem()
	got := make(chan *actor.PID, 1)
	parent := sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		if _, ok := ctx.Message().(*actor.Started); ok {
			pid, err := ctx.SpawnNamed(actor.PropsFromFunc(c.receive), "stdout")
			if err != nil {
				panic(err)
			}
			got <- pid
		}
	}))
	t.Cleanup(func() { sys.Root.StopFuture(parent).Wait() })
	return sys, <-got
}

// heldForCredit reports whether the hub holds pid's stream out of its
// epoll set until its logger releases some bytes.
func heldForCredit(h *outputHub, pid int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.streams {
		if s.pid == pid && s.credit {
			return true
		}
	}
	return false
}

// pipeFull reports whether the pipe w writes to holds all it can, so a
// write to it blocks.
func pipeFull(t *testing.T, w *os.File) bool {
	t.Helper()
	rc, err := w.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var queued, size int
	var qErr, sErr error
	if err := rc.Control(func(fd uintptr) {
		queued, qErr = unix.IoctlGetInt(int(fd), unix.TIOCINQ)
		size, sErr = unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0)
	}); err != nil {
		t.Fatal(err)
	}
	if qErr != nil || sErr != nil {
		t.Fatalf("pipe fill: %v, pipe size: %v", qErr, sErr)
	}
	return queued >= size
}

// Many small writes arrive whole and in order, in far fewer chunks than
// writes (the hub batches a stream that keeps it busy), and the pipe is
// closed at EOF.
func TestPumpBatchesSmallWritesInOrder(t *testing.T) {
	c := &collector{}
	sys, to := spawnCollector(t, c)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go pump(sys.Root, r, to, 42, make(chan struct{}))
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
	testkit.Eventually(t, 10*time.Second, func() bool { got, _ := c.snapshot(); return len(got) >= want.Len() },
		"the logger did not get every byte written")
	got, chunks := c.snapshot()
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("got %d bytes, want %d; they differ", len(got), want.Len())
	}
	if chunks > lines/10 {
		t.Errorf("%d writes came in %d chunks: not batched", lines, chunks)
	}
	t.Logf("%d writes in %d chunks", lines, chunks)
}

// A logger that does not keep up stops the reading, so the child blocks
// rather than the daemon growing; once the process actor is gone the rest is
// read and dropped, so the child can finish.
func TestPumpBackpressureThenDrop(t *testing.T) {
	c := &collector{hold: true}
	sys, to := spawnCollector(t, c)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	h, err := outputs()
	if err != nil {
		t.Skip("no output hub:", err)
	}
	const pid = 43 // no real process: tells this stream from others in the hub
	gone := make(chan struct{})
	go pump(sys.Root, r, to, pid, gone)

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
	// The hub reads maxInFlight bytes at most (plus one read) and stops
	// reading; the pipe fills, and then the writer must block.
	testkit.Eventually(t, 10*time.Second, func() bool { return heldForCredit(h, pid) && pipeFull(t, w) },
		"the hub did not stop reading with nothing released")
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
		t.Fatal("the writer is still blocked after the process actor went")
	}
}

// Output nobody takes is read and dropped, and the pipe closed at EOF.
func TestPumpDropsUnwantedOutput(t *testing.T) {
	sys := actortest.QuietSystem()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	const pid = -7 // no real process: tells this stream from others in the hub
	go pump(sys.Root, r, nil, pid, make(chan struct{}))
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
	h, err := outputs()
	if err != nil {
		t.Skip("no output hub:", err)
	}
	testkit.Eventually(t, 5*time.Second, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, s := range h.streams {
			if s.pid == pid {
				return false
			}
		}
		return true
	}, "the hub still has the stream after EOF")
}
