package output

import (
	"errors"
	"os"
	"syscall"

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
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
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
			return
		}
		if rerr != nil || n <= 0 {
			chunkPool.Put(buf)
			if errors.Is(rerr, syscall.EINTR) {
				continue
			}
			if sink != nil {
				sink(nil, nil) // EOF: the child and all who share its pipe are done
			}
			return
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
