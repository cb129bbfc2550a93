package output

import (
	"errors"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"supervisord/internal/fsutil"
)

// ReadDirect copies a pipe to sink from the calling goroutine until EOF,
// waiting on Go's netpoller, then closes it: one hop less than a Hub, for
// a stream whose rate is bound by round trips (the eventlistener
// protocol), and what callers fall back to when there is no Hub. It takes
// a buffer only once data is there (the raw read callback runs when the
// pipe is readable). A nil sink, or a closed gone, drops the output. At
// most maxInFlight bytes are out at the sink: past that the pipe is not
// read until the sink releases some, or gone is closed.
func ReadDirect(f *os.File, sink Sink, gone <-chan struct{}) {
	f = pollable(f)
	readDirect(f, sink, gone, nil)
	f.Close()
}

// Direct is a ReadDirect in a goroutine of its own that can be stopped
// and taken over, for a handover (supervisorctl upgrade).
type Direct struct {
	f        *os.File
	stopping atomic.Bool
	done     chan struct{}
	kept     bool // the pipe is left open for Stop's caller
}

// StartDirect reads f as ReadDirect does, in a goroutine, and returns at
// once.
func StartDirect(f *os.File, sink Sink, gone <-chan struct{}) *Direct {
	d := &Direct{f: pollable(f), done: make(chan struct{})}
	go func() {
		defer close(d.done)
		if d.kept = readDirect(d.f, sink, gone, &d.stopping); !d.kept {
			d.f.Close()
		}
	}()
	return d
}

// Stop ends the reading without losing a byte: once it returns, every
// chunk read has gone to the sink, and what was not read is still in the
// pipe, which it returns, open and still waited on by the netpoller, for
// the caller to read on or hand over. It returns nil when the reading had
// already ended (end of file) or cannot be interrupted.
func (d *Direct) Stop() *os.File {
	d.stopping.Store(true)
	if d.f.SetReadDeadline(time.Unix(1, 0)) != nil {
		return nil // a blocking pipe: not waited on, so not interruptible
	}
	<-d.done
	if !d.kept {
		return nil
	}
	d.f.SetReadDeadline(noDeadline) //nolint:errcheck // it took one just now
	return d.f
}

// readDirect is ReadDirect's loop; it reports true when it ended because
// stop was set and the read's deadline passed, leaving f open.
func readDirect(f *os.File, sink Sink, gone <-chan struct{}, stop *atomic.Bool) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	credits := make(chan struct{}, maxInFlight/chunkSize)
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
		if err != nil { // the file was closed under us, or cannot be waited on
			return stop != nil && stop.Load() && errors.Is(err, os.ErrDeadlineExceeded)
		}
		if rerr != nil || n <= 0 {
			chunkPool.Put(buf)
			if errors.Is(rerr, syscall.EINTR) {
				continue
			}
			if sink != nil {
				sink(nil, nil) // EOF: the child and all who share its pipe are done
			}
			return false
		}
		if sink == nil {
			chunkPool.Put(buf)
			continue
		}
		select {
		case credits <- struct{}{}:
			b := buf
			sink((*b)[:n], func() {
				chunkPool.Put(b)
				<-credits
			})
		case <-gone:
			chunkPool.Put(buf)
			sink = nil
		}
	}
}

// pollable returns f, or when the netpoller does not wait on it (a
// blocking pipe from child.Reaper) a non-blocking duplicate it does, f
// being closed.
func pollable(f *os.File) *os.File {
	if p, err := Pollable(f); err == nil {
		return p
	}
	return f
}

// Pollable returns f when Go's netpoller waits on it, else a non-blocking
// duplicate it does wait on, closing f; either way a Close interrupts a
// read in progress. On an error f is left as it was.
func Pollable(f *os.File) (*os.File, error) {
	if f.SetReadDeadline(noDeadline) == nil {
		return f, nil
	}
	fd, err := fsutil.Dup(f)
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	f.Close()
	return os.NewFile(uintptr(fd), f.Name()), nil
}
