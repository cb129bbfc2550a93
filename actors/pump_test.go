package actors

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
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
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
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

func waitPump(t *testing.T, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
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
	waitPump(t, 10*time.Second, func() bool { got, _ := c.snapshot(); return len(got) >= want.Len() })
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
	gone := make(chan struct{})
	go pump(sys.Root, r, to, 42, gone)

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
	// The hub reads maxInFlight bytes at most (plus one read), the pipe
	// takes a little more, and then the writer must block.
	time.Sleep(300 * time.Millisecond)
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
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
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
	waitPump(t, 5*time.Second, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, s := range h.streams {
			if s.pid == pid {
				return false
			}
		}
		return true
	})
}
