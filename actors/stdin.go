package actors

import (
	"bytes"
	"errors"
	"os"
	"sync"
	"syscall"
	"time"
)

// stdinWriter feeds a child's stdin without ever blocking its caller (a
// process or listener actor). A write goes straight into the pipe, without
// waiting, when nothing is queued; what the pipe cannot take yet queues,
// without bound as with the reference, for a goroutine that waits for room
// and ends once the queue is empty. A write the pipe refuses (the child
// closed its end: EPIPE) fails with ErrNoFile at once, as the reference's
// does, and so does every write after it: a caller is never told bytes
// went through that could not.
//
// f must be non-blocking and on Go's netpoller, as child.Reaper's stdin
// pipes are.
type stdinWriter struct {
	f  *os.File
	rc syscall.RawConn

	mu       sync.Mutex
	queue    [][]byte
	draining bool // a goroutine is writing the queue: no direct write
	failed   bool
	closed   bool
	// frozen holds every byte in the queue (a handover); drained is
	// closed when the draining goroutine has ended.
	frozen  bool
	drained chan struct{}
}

// newStdinWriter writes to f; a nil f is a child without stdin, to which
// every write fails.
func newStdinWriter(f *os.File) *stdinWriter {
	w := &stdinWriter{f: f, failed: f == nil}
	if f != nil {
		rc, err := f.SyscallConn()
		w.rc, w.failed = rc, err != nil
	}
	return w
}

func (w *stdinWriter) write(data []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed || w.closed {
		return ErrNoFile
	}
	if !w.draining && !w.frozen {
		n, err := w.tryWrite(data)
		if err != nil {
			w.failed = true
			return ErrNoFile
		}
		if data = data[n:]; len(data) == 0 {
			return nil
		}
		w.startDrain()
	}
	w.queue = append(w.queue, data)
	return nil
}

func (w *stdinWriter) startDrain() {
	w.draining, w.drained = true, make(chan struct{})
	go w.drain(w.drained)
}

// tryWrite writes what the pipe takes now, without waiting for room. An
// error means the pipe is broken.
func (w *stdinWriter) tryWrite(data []byte) (int, error) {
	if len(data) == 0 {
		return 0, nil
	}
	var n int
	var werr error
	err := w.rc.Write(func(fd uintptr) bool {
		n, werr = syscall.Write(int(fd), data)
		return true // never wait for the netpoller
	})
	switch {
	case err != nil:
		return 0, err
	case errors.Is(werr, syscall.EAGAIN), errors.Is(werr, syscall.EINTR):
		return 0, nil
	case werr != nil:
		return 0, werr
	}
	return n, nil
}

// drain writes the queue, waiting for room, until it is empty, writing
// fails, or the writer is closed.
func (w *stdinWriter) drain(done chan struct{}) {
	defer close(done)
	for {
		w.mu.Lock()
		if len(w.queue) == 0 || w.failed || w.closed || w.frozen {
			w.draining = false
			w.mu.Unlock()
			return
		}
		data := w.queue[0]
		w.queue[0] = nil
		w.queue = w.queue[1:]
		w.mu.Unlock()
		if n, err := w.f.Write(data); err != nil {
			w.mu.Lock()
			if w.frozen && errors.Is(err, os.ErrDeadlineExceeded) {
				// Stopped by freeze: the rest goes back in front.
				w.queue = append([][]byte{data[n:]}, w.queue...)
			} else {
				w.failed = true
				w.queue = nil
			}
			w.draining = false
			w.mu.Unlock()
			return
		}
	}
}

// freeze stops writing, for a handover: once it returns every byte not
// yet in the pipe is in the queue (and a write queues), in order, for
// pending to take. A write waiting for room is cut short.
func (w *stdinWriter) freeze() {
	w.mu.Lock()
	w.frozen = true
	done := w.drained
	if w.draining && w.f != nil {
		w.f.SetWriteDeadline(time.Unix(1, 0)) //nolint:errcheck // a pipe on the netpoller takes it
	}
	w.mu.Unlock()
	if done != nil {
		<-done // at once: the write in progress was cut short
	}
}

// pending is what a frozen writer holds, in order.
func (w *stdinWriter) pending() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed || w.closed {
		return nil
	}
	return bytes.Join(w.queue, nil)
}

// thaw undoes freeze: the queue is written on.
func (w *stdinWriter) thaw() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.frozen {
		return
	}
	w.frozen = false
	if w.f == nil || w.failed || w.closed {
		return
	}
	w.f.SetWriteDeadline(time.Time{}) //nolint:errcheck // as in freeze
	if len(w.queue) > 0 {
		w.startDrain()
	}
}

// close closes the pipe, dropping what is still queued, as the reference
// drops a process's input buffer when it closes its pipes; a write waiting
// for room ends.
func (w *stdinWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.closed = true
	w.queue = nil
	if w.f != nil {
		w.f.Close()
	}
}
