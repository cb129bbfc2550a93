// Package output reads the stdout and stderr pipes of child processes and
// hands what it reads to a sink, with bounded memory: a buffer is taken
// from a pool only for a read that has data, and a sink that does not give
// buffers back stops the reading of its stream, so a child writing faster
// than its output is consumed blocks on its pipe instead of growing the
// daemon.
//
// A Hub reads every pipe handed to it from one goroutine (most children are
// quiet most of the time, and cost it nothing); ReadDirect reads one pipe
// from the caller's goroutine, for a stream whose reads must not wait.
package output

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"supervisord/internal/fsutil"
)

// Sink takes one read of a stream. data is valid until release is called;
// the sink must call release exactly once per read, also when it drops the
// data, or the stream stops being read once maxInFlight bytes are out.
// Sinks run on the reading goroutine and must not block.
//
// At EOF the sink is called once more with nil data and a nil release, so
// whoever it feeds knows it has had every byte.
type Sink func(data []byte, release func())

const (
	// chunkSize bounds one read from a child's pipe: large enough that a
	// chatty child costs few syscalls and sink calls.
	chunkSize = 64 << 10
	// hotChunkSize is the read size of a stream that filled a whole chunk:
	// a child writing that fast gets fewer, larger reads and writes.
	hotChunkSize = 256 << 10
	// defaultPipeSize is a pipe's capacity until it is resized.
	defaultPipeSize = 64 << 10
	// hotPipeSize is the pipe capacity such a stream gets (F_SETPIPE_SZ),
	// so the child is not stopped every 64 KiB to wait for the daemon.
	hotPipeSize = 1 << 20
	// maxInFlight bounds the buffer bytes a stream may have at its sink
	// and not yet released (16 chunks, or 4 hot ones).
	// When the disk cannot keep up the stream is not read, so the child
	// blocks on its pipe and the daemon's memory stays flat.
	maxInFlight = 1 << 20
	// batchAfter and batchDelay: a stream read again within batchAfter of
	// its last read, and drained by it, is left alone for a while so that
	// a child writing many small lines is read in large pieces (fewer
	// wakeups for it and for us) rather than line by line: until its pipe
	// is about half full at the rate it was written since it was last
	// drained, between minBatchDelay and batchDelay. A child writing
	// faster than a pipe's worth per batchDelay so is not stopped on a
	// full pipe for the rest of the pause. Output reaches its sink at
	// most batchDelay later. ReadDirect never delays.
	batchAfter    = time.Millisecond
	batchDelay    = 2 * time.Millisecond
	minBatchDelay = 100 * time.Microsecond
)

// noDeadline clears a deadline; setting it fails on a descriptor the
// netpoller cannot wait on.
var noDeadline time.Time

var (
	chunkPool    = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}
	hotChunkPool = sync.Pool{New: func() any { b := make([]byte, hotChunkSize); return &b }}
)

// ErrClosed is Add's error once the hub is closed.
var ErrClosed = errors.New("supervisor: output hub closed")

// Hub reads many pipes from one goroutine, so that a quiet child costs no
// goroutine, no stack and no buffer: the pipes sit in an epoll set of the
// hub's own, whose descriptor is in turn parked on Go's netpoller.
//
// A stream leaves the epoll set while it has maxInFlight bytes at its sink
// (a sink that cannot keep up slows its child down rather than growing the
// daemon), and for batchDelay after a read that drained a stream being
// read in quick succession.
type Hub struct {
	epfd int
	ef   *os.File      // epfd, registered with Go's netpoller
	done chan struct{} // closed when run has returned

	mu      sync.Mutex
	closed  bool
	streams map[int32]*stream // by descriptor
	batched []*stream         // streams out of the set until flush
	// flusher is a timerfd in the epoll set, armed while batched is not
	// empty: the hub goroutine runs flush when it fires. (Go's timers
	// wake no sooner than a millisecond when the daemon is otherwise
	// idle; a fast child fills a pipe in less.)
	flusher int
	flushAt time.Time // when flusher fires
}

// stream is one pipe the hub reads.
type stream struct {
	fd      int32
	closeFd func() // closes fd, once
	sink    Sink   // nil: output is read and dropped
	gone    <-chan struct{}

	// Only the hub goroutine touches these.
	hot      bool      // reads hotChunkSize from a hotPipeSize pipe
	lastRead time.Time // of the last read that got data
	pipeSize int       // the pipe's capacity, as far as the hub knows
	drained  time.Time // when a read last emptied the pipe
	since    int       // bytes read since then

	// Under Hub.mu.
	inFlight  int           // buffer bytes sent and not yet released
	credit    bool          // out of the set until bytes are released
	resumed   chan struct{} // closed when credit ends (made when it starts)
	batching  bool          // out of the set until the next flush
	listening bool          // in the epoll set for input
	closed    bool
}

// New starts a hub. It fails where the netpoller cannot wait on an epoll
// descriptor; callers then read each pipe with ReadDirect.
func New() (*Hub, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("supervisor: output hub: %w", err)
	}
	if err := syscall.SetNonblock(epfd, true); err != nil {
		syscall.Close(epfd)
		return nil, fmt.Errorf("supervisor: output hub: %w", err)
	}
	ef := os.NewFile(uintptr(epfd), "output-hub")
	// A descriptor the netpoller cannot wait on has no deadlines; then the
	// hub could only spin.
	if err := ef.SetReadDeadline(noDeadline); err != nil {
		ef.Close()
		return nil, fmt.Errorf("supervisor: output hub: %w", err)
	}
	rc, err := ef.SyscallConn()
	if err != nil {
		ef.Close()
		return nil, fmt.Errorf("supervisor: output hub: %w", err)
	}
	tfd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err == nil {
		err = syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, tfd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(tfd)})
		if err != nil {
			syscall.Close(tfd)
		}
	}
	if err != nil {
		ef.Close()
		return nil, fmt.Errorf("supervisor: output hub: %w", err)
	}
	h := &Hub{epfd: epfd, ef: ef, done: make(chan struct{}), streams: make(map[int32]*stream), flusher: tfd}
	go h.run(rc)
	return h, nil
}

// Close stops the hub and closes the pipes it still reads (a grandchild
// may hold one open after its child is gone). Sinks are not called after
// Close returns.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	h.mu.Unlock()
	h.ef.Close() // wakes run, which returns
	<-h.done
	syscall.Close(h.flusher)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.streams {
		h.forget(s)
	}
}

// Add takes f over: from now on the hub reads its descriptor, hands what
// it reads to sink, and closes it at EOF (or Close). With a nil sink, or
// once gone is closed, output is read and dropped so the child never
// blocks on a full pipe. A pipe on Go's netpoller (os.Pipe) is taken off
// it, where it would wake the scheduler for nothing: the hub reads a
// duplicate and f is closed at once. A pipe that is not (child.Reaper's)
// is read as it is. When Add fails, f is left as it was.
func (h *Hub) Add(f *os.File, sink Sink, gone <-chan struct{}) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	polled := f.SetReadDeadline(noDeadline) == nil
	fd := -1
	var fdErr error
	if err := rc.Control(func(raw uintptr) {
		fd = int(raw)
		if polled {
			fd, fdErr = fsutil.DupCloexec(fd)
		}
	}); err != nil {
		return err
	}
	if fdErr != nil {
		return fdErr
	}
	closeFd := func() { syscall.Close(fd) }
	if !polled {
		closeFd = func() { f.Close() } // f is kept: its cleanup would close fd
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		if polled {
			closeFd()
		}
		return err
	}
	s := &stream{fd: int32(fd), closeFd: closeFd, sink: sink, gone: gone, listening: true, pipeSize: defaultPipeSize}
	h.mu.Lock()
	err = ErrClosed
	if !h.closed {
		h.streams[s.fd] = s
		err = syscall.EpollCtl(h.epfd, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: s.fd})
		if err != nil {
			delete(h.streams, s.fd)
		}
	}
	h.mu.Unlock()
	if err != nil {
		if polled {
			closeFd()
		} else {
			syscall.SetNonblock(fd, false) // back as it was, for the caller
		}
		return err
	}
	if polled {
		f.Close()
	}
	return nil
}

// run is the hub's goroutine: it waits on the netpoller until the epoll set
// has ready pipes, then reads each once, round and round until none is
// ready, and returns once Close closed the epoll descriptor.
func (h *Hub) run(rc syscall.RawConn) {
	defer close(h.done)
	events := make([]syscall.EpollEvent, 256)
	scratch := make([]byte, chunkSize) // for output nobody takes
	for {
		var n int
		err := rc.Read(func(fd uintptr) bool {
			for {
				var err error
				n, err = syscall.EpollWait(int(fd), events, 0)
				if err == syscall.EINTR {
					continue
				}
				return n > 0 || err != nil
			}
		})
		if err != nil {
			return // closed
		}
		for _, ev := range events[:max(n, 0)] {
			if int(ev.Fd) == h.flusher {
				var expirations [8]byte
				syscall.Read(h.flusher, expirations[:])
				h.flush()
				continue
			}
			h.service(ev.Fd, scratch)
		}
	}
}

// service reads once from a ready pipe.
func (h *Hub) service(fd int32, scratch []byte) {
	h.mu.Lock()
	s := h.streams[fd]
	if h.closed {
		s = nil
	}
	h.mu.Unlock()
	if s == nil {
		return // removed while the event waited
	}
	if s.sink != nil {
		select {
		case <-s.gone: // the sink takes nothing more
			s.sink = nil
		default:
		}
	}
	pool, buf, b := (*sync.Pool)(nil), (*[]byte)(nil), scratch
	if s.sink != nil {
		pool = &chunkPool
		if s.hot && time.Since(s.lastRead) < 4*batchDelay { // still writing fast
			pool = &hotChunkPool
		}
		buf = pool.Get().(*[]byte)
		b = *buf
	}
	n, err := syscall.Read(int(fd), b)
	if n <= 0 {
		if buf != nil {
			pool.Put(buf)
		}
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
			return
		}
		h.remove(s) // EOF: the child and all who share its pipe are done
		if s.sink != nil {
			s.sink(nil, nil)
		}
		return
	}
	if s.sink == nil {
		return
	}
	now := time.Now()
	drained := n < len(b)
	if n >= chunkSize/2 && !s.hot {
		// A child that keeps (nearly) a whole pipe's worth waiting gets a
		// larger pipe and larger reads. (A full 64 KiB pipe of small
		// writes holds a little less than 64 KiB.) A refused resize (the
		// user's pipe quota) only keeps the pipe as it was.
		s.hot = true
		if size, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETPIPE_SZ, hotPipeSize); errno == 0 {
			s.pipeSize = int(size)
		}
	}
	batch := drained && now.Sub(s.lastRead) < batchAfter
	s.lastRead = now
	var delay time.Duration
	s.since += n
	if drained {
		if batch {
			delay = s.pause(now)
		}
		s.drained, s.since = now, 0
	}
	// Credit counts whole buffers, not what they hold: a slow sink handed
	// many small reads must not pin a buffer each without bound.
	size := len(b)
	h.mu.Lock()
	s.inFlight += size
	if s.inFlight >= maxInFlight && !s.credit {
		h.holdForCredit(s)
	}
	if batch && !s.batching {
		s.batching = true
		if due := now.Add(delay); len(h.batched) == 0 || due.Before(h.flushAt) {
			h.flushAt = due
			unix.TimerfdSettime(h.flusher, 0, &unix.ItimerSpec{Value: unix.NsecToTimespec(int64(delay))}, nil)
		}
		h.batched = append(h.batched, s)
		h.listen(s)
	}
	h.mu.Unlock()
	s.sink(b[:n], func() {
		pool.Put(buf)
		h.release(s, size)
	})
}

// pause is how long a stream that a read just drained, at now, is left
// out of the epoll set: until its pipe is about half full at the rate it
// was written since it was last drained, within [minBatchDelay,
// batchDelay].
func (s *stream) pause(now time.Time) time.Duration {
	span := now.Sub(s.drained)
	if s.since <= 0 || span <= 0 || span > batchDelay*8 {
		return batchDelay
	}
	fill := time.Duration(float64(span) * float64(s.pipeSize/2) / float64(s.since))
	return min(batchDelay, max(fill, minBatchDelay))
}

// listen puts s in the epoll set or takes it out, as its state says.
// Called with mu held.
func (h *Hub) listen(s *stream) {
	want := !s.credit && !s.batching && !s.closed
	if want == s.listening || s.closed || h.closed {
		return
	}
	s.listening = want
	var events uint32
	if want {
		events = syscall.EPOLLIN
	}
	syscall.EpollCtl(h.epfd, syscall.EPOLL_CTL_MOD, int(s.fd), &syscall.EpollEvent{Events: events, Fd: s.fd})
}

// flush ends the batching pause of every stream in it.
func (h *Hub) flush() {
	h.mu.Lock()
	for _, s := range h.batched {
		s.batching = false
		h.listen(s)
	}
	clear(h.batched)
	h.batched = h.batched[:0]
	h.mu.Unlock()
}

// holdForCredit takes a stream out of the epoll set until some of its
// bytes are released, or its sink is gone (a stopped logger drops its
// queued chunks without releasing them). Called with mu held.
func (h *Hub) holdForCredit(s *stream) {
	s.credit = true
	h.listen(s)
	s.resumed = make(chan struct{})
	go func(resumed <-chan struct{}) {
		select {
		case <-resumed:
		case <-s.gone:
			h.mu.Lock()
			h.endCredit(s)
			h.mu.Unlock()
		}
	}(s.resumed)
}

// endCredit puts a stream held for credit back. Called with mu held.
func (h *Hub) endCredit(s *stream) {
	if !s.credit {
		return
	}
	s.credit = false
	close(s.resumed)
	h.listen(s)
}

// release is a buffer of n bytes of s written (or dropped) by its sink.
func (h *Hub) release(s *stream, n int) {
	h.mu.Lock()
	s.inFlight -= n
	if s.inFlight < maxInFlight {
		h.endCredit(s)
	}
	h.mu.Unlock()
}

// remove forgets a stream at EOF and closes its descriptor.
func (h *Hub) remove(s *stream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		syscall.EpollCtl(h.epfd, syscall.EPOLL_CTL_DEL, int(s.fd), nil)
	}
	h.forget(s)
}

// forget drops a stream and closes its descriptor. Called with mu held.
func (h *Hub) forget(s *stream) {
	delete(h.streams, s.fd)
	s.closed = true
	if s.credit {
		s.credit = false
		close(s.resumed)
	}
	s.closeFd()
}
