package actors

import (
	"os"
	"sync"
)

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
