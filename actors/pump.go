package actors

import (
	"errors"
	"os"
	"sync"
	"syscall"

	"github.com/asynkron/protoactor-go/actor"
)

const (
	// chunkSize bounds one read from a child's pipe: large enough that a
	// chatty child costs few syscalls and messages.
	chunkSize = 64 << 10
	// chunksInFlight bounds the chunks a stream may have queued at its logger.
	// When the disk cannot keep up the reader stops reading, so the child
	// blocks on its pipe and the daemon's memory stays flat.
	chunksInFlight = 16
)

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// pump copies one child output pipe to a logger actor until EOF. It takes a
// buffer only once data is there (the raw read callback runs when the pipe is
// readable), so thousands of quiet children pin no buffers. With no logger, or
// once the process actor is gone, output is read and dropped so the child
// never blocks on a full pipe.
func pump(root *actor.RootContext, f *os.File, to *actor.PID, pid int, gone <-chan struct{}) {
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	credits := make(chan struct{}, chunksInFlight)
	for {
		var (
			buf  *[]byte
			n    int
			rerr error
		)
		err := rc.Read(func(fd uintptr) bool {
			buf = chunkPool.Get().(*[]byte)
			n, rerr = syscall.Read(int(fd), *buf)
			if errors.Is(rerr, syscall.EAGAIN) {
				chunkPool.Put(buf)
				return false
			}
			return true
		})
		if err != nil { // the file was closed under us
			return
		}
		if rerr != nil || n <= 0 {
			chunkPool.Put(buf)
			if errors.Is(rerr, syscall.EINTR) {
				continue
			}
			return // EOF: the child and all who share its pipe are done
		}
		if to == nil {
			chunkPool.Put(buf)
			continue
		}
		select {
		case credits <- struct{}{}:
			b := buf
			root.Send(to, &logChunk{data: (*b)[:n], pid: pid, release: func() {
				chunkPool.Put(b)
				<-credits
			}})
		case <-gone:
			chunkPool.Put(buf)
			to = nil
		}
	}
}

// stdinWriter feeds a child's stdin from a goroutine, so a child that does
// not read never blocks its process actor. Data queues without bound, as
// with the reference; once a write fails (the child closed its end) later
// writes report ErrNoFile.
type stdinWriter struct {
	mu     sync.Mutex
	queue  [][]byte
	wake   chan struct{}
	f      *os.File
	failed bool
	closed bool
}

func newStdinWriter(f *os.File) *stdinWriter {
	w := &stdinWriter{f: f, wake: make(chan struct{}, 1)}
	go w.run()
	return w
}

func (w *stdinWriter) write(data []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed {
		return ErrNoFile
	}
	w.queue = append(w.queue, data)
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return nil
}

// close stops the writer and closes the pipe once the queue is written or
// writing fails.
func (w *stdinWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *stdinWriter) run() {
	defer w.f.Close()
	for range w.wake {
		for {
			w.mu.Lock()
			if len(w.queue) == 0 || w.failed {
				closed := w.closed
				w.mu.Unlock()
				if closed {
					return
				}
				break
			}
			data := w.queue[0]
			w.queue = w.queue[1:]
			w.mu.Unlock()
			if _, err := w.f.Write(data); err != nil {
				w.mu.Lock()
				w.failed = true
				w.queue = nil
				w.mu.Unlock()
			}
		}
	}
}
