package actors

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

const (
	// chunkSize bounds one read from a child's pipe: large enough that a
	// chatty child costs few syscalls and messages.
	chunkSize = 64 << 10
	// hotChunkSize is the read size of a stream that filled a whole chunk:
	// a child writing that fast gets fewer, larger reads and writes.
	hotChunkSize = 256 << 10
	// hotPipeSize is the pipe capacity such a stream gets (F_SETPIPE_SZ),
	// so the child is not stopped every 64 KiB to wait for the daemon.
	hotPipeSize = 1 << 20
	// maxInFlight bounds the buffer bytes a stream may have queued at its
	// logger (16 chunks, or 4 hot ones).
	// When the disk cannot keep up the stream is not read, so the child
	// blocks on its pipe and the daemon's memory stays flat.
	maxInFlight = 1 << 20
	// batchAfter and batchDelay: a logged stream read again within
	// batchAfter of its last read, and drained by it, is left alone for
	// batchDelay so that a child writing many small lines is read in large
	// pieces (fewer wakeups for it and for us) rather than line by line.
	// Output reaches its log at most batchDelay later. Listener protocol
	// streams are never delayed.
	batchAfter = time.Millisecond
	batchDelay = 2 * time.Millisecond
)

// noDeadline clears a deadline; setting it fails on a descriptor the
// netpoller cannot wait on.
var noDeadline time.Time

var (
	chunkPool    = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}
	hotChunkPool = sync.Pool{New: func() any { b := make([]byte, hotChunkSize); return &b }}
)

// pump copies one child output pipe to a logger (or listener) actor until
// EOF and then closes it. With no logger (to is nil), or once the process
// actor is gone (gone is closed), output is read and dropped so the child
// never blocks on a full pipe. It goes through the output hub and returns at
// once; should the hub not start, it reads the pipe itself, so its caller
// runs it in a goroutine of its own. A listener's protocol stream, which
// must never wait, is read by pumpDirect.
func pump(root *actor.RootContext, f *os.File, to *actor.PID, pid int, gone <-chan struct{}) {
	if h, err := outputs(); err == nil && h.add(root, f, to, pid, gone) == nil {
		return
	}
	pumpDirect(root, f, to, pid, gone)
}

// outputHub reads every child's stdout and stderr pipes from one goroutine,
// so that a quiet child costs no goroutine, no stack and no buffer: the
// pipes sit in an epoll set of the hub's own, whose descriptor is in turn
// parked on Go's netpoller. A buffer is taken from a pool only for a read
// that has data, and goes back once its logger wrote it.
//
// A stream leaves the epoll set while it has maxInFlight bytes at its
// logger (a logger that cannot keep up slows its child down rather than
// growing the daemon), and for batchDelay after a read that drained a
// stream being read in quick succession.
type outputHub struct {
	epfd int
	ef   *os.File // epfd, registered with Go's netpoller

	mu      sync.Mutex
	streams map[int32]*stream // by descriptor
	batched []*stream         // streams out of the set until flush
	flusher *time.Timer       // runs flush; armed while batched is not empty
}

// stream is one pipe the hub reads.
type stream struct {
	fd      int32
	closeFd func() // closes fd, once
	root    *actor.RootContext
	to      *actor.PID // nil: output is read and dropped
	pid     int
	gone    <-chan struct{}
	logged  bool // to is a logger: reads may be delayed and batched

	// Only the hub goroutine touches these.
	hot      bool      // reads hotChunkSize from a hotPipeSize pipe
	lastRead time.Time // of the last read that got data

	// Under outputHub.mu.
	inFlight  int           // buffer bytes sent and not yet released
	credit    bool          // out of the set until bytes are released
	resumed   chan struct{} // closed when credit ends (made when it starts)
	batching  bool          // out of the set until the next flush
	listening bool          // in the epoll set for input
	closed    bool
}

var hubOnce struct {
	sync.Once
	h   *outputHub
	err error
}

// outputs starts the hub on first use; it lives as long as the daemon.
func outputs() (*outputHub, error) {
	hubOnce.Do(func() { hubOnce.h, hubOnce.err = startHub() })
	return hubOnce.h, hubOnce.err
}

func startHub() (*outputHub, error) {
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
	// hub could only spin, so readers fall back to a goroutine each.
	if err := ef.SetReadDeadline(noDeadline); err != nil {
		ef.Close()
		return nil, fmt.Errorf("supervisor: output hub: %w", err)
	}
	rc, err := ef.SyscallConn()
	if err != nil {
		ef.Close()
		return nil, fmt.Errorf("supervisor: output hub: %w", err)
	}
	h := &outputHub{epfd: epfd, ef: ef, streams: make(map[int32]*stream)}
	h.flusher = time.AfterFunc(time.Hour, h.flush)
	h.flusher.Stop()
	go h.run(rc)
	return h, nil
}

// add takes f over: from now on the hub reads its descriptor and closes it
// at EOF. A pipe on Go's netpoller (os.Pipe) is taken off it, where it
// would wake the scheduler for nothing: the hub reads a duplicate and f is
// closed at once. A pipe that is not (child.Reaper's) is read as it is.
func (h *outputHub) add(root *actor.RootContext, f *os.File, to *actor.PID, pid int, gone <-chan struct{}) error {
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
			fd, fdErr = dupCloexec(fd)
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
	s := &stream{fd: int32(fd), closeFd: closeFd, root: root, to: to, pid: pid, gone: gone, logged: to != nil, listening: true}
	h.mu.Lock()
	h.streams[s.fd] = s
	err = syscall.EpollCtl(h.epfd, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: s.fd})
	if err != nil {
		delete(h.streams, s.fd)
	}
	h.mu.Unlock()
	if err != nil {
		if polled {
			closeFd()
		} else {
			syscall.SetNonblock(fd, false) // back as it was, for the fallback
		}
		return err
	}
	if polled {
		f.Close()
	}
	return nil
}

func dupCloexec(fd int) (int, error) {
	for {
		r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return -1, errno
		}
		return int(r), nil
	}
}

// run is the hub's goroutine: it waits on the netpoller until the epoll set
// has ready pipes, then reads each once, round and round until none is
// ready.
func (h *outputHub) run(rc syscall.RawConn) {
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
			return // the hub is never closed; nothing else can end this
		}
		for _, ev := range events[:max(n, 0)] {
			h.service(ev.Fd, scratch)
		}
	}
}

// service reads once from a ready pipe.
func (h *outputHub) service(fd int32, scratch []byte) {
	h.mu.Lock()
	s := h.streams[fd]
	h.mu.Unlock()
	if s == nil {
		return // removed while the event waited
	}
	if s.to != nil {
		select {
		case <-s.gone: // the process actor stopped: its loggers take nothing more
			s.to = nil
		default:
		}
	}
	pool, buf, b := (*sync.Pool)(nil), (*[]byte)(nil), scratch
	if s.to != nil {
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
		return
	}
	if s.to == nil {
		return
	}
	now := time.Now()
	drained := n < len(b)
	if n >= chunkSize/2 && !s.hot && s.logged {
		// A child that keeps (nearly) a whole pipe's worth waiting gets a
		// larger pipe and larger reads. (A full 64 KiB pipe of small
		// writes holds a little less than 64 KiB.) A refused resize (the
		// user's pipe quota) only keeps the pipe as it was.
		s.hot = true
		syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETPIPE_SZ, hotPipeSize)
	}
	batch := drained && s.logged && now.Sub(s.lastRead) < batchAfter
	s.lastRead = now
	// Credit counts whole buffers, not what they hold: a slow logger sent
	// many small reads must not pin a buffer each without bound.
	size := len(b)
	h.mu.Lock()
	s.inFlight += size
	if s.inFlight >= maxInFlight && !s.credit {
		h.holdForCredit(s)
	}
	if batch && !s.batching {
		s.batching = true
		if len(h.batched) == 0 {
			h.flusher.Reset(batchDelay)
		}
		h.batched = append(h.batched, s)
		h.listen(s)
	}
	h.mu.Unlock()
	s.root.Send(s.to, &logChunk{data: b[:n], pid: s.pid, release: func() {
		pool.Put(buf)
		h.release(s, size)
	}})
}

// listen puts s in the epoll set or takes it out, as its state says.
// Called with mu held.
func (h *outputHub) listen(s *stream) {
	want := !s.credit && !s.batching && !s.closed
	if want == s.listening || s.closed {
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
func (h *outputHub) flush() {
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
// bytes are released, or its process actor is gone (a stopped logger drops
// its queued chunks without releasing them). Called with mu held.
func (h *outputHub) holdForCredit(s *stream) {
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
func (h *outputHub) endCredit(s *stream) {
	if !s.credit {
		return
	}
	s.credit = false
	close(s.resumed)
	h.listen(s)
}

// release is a buffer of n bytes of s written (or dropped) by its logger.
func (h *outputHub) release(s *stream, n int) {
	h.mu.Lock()
	s.inFlight -= n
	if s.inFlight < maxInFlight {
		h.endCredit(s)
	}
	h.mu.Unlock()
}

// remove forgets a stream at EOF and closes its descriptor.
func (h *outputHub) remove(s *stream) {
	h.mu.Lock()
	delete(h.streams, s.fd)
	s.closed = true
	if s.credit {
		s.credit = false
		close(s.resumed)
	}
	syscall.EpollCtl(h.epfd, syscall.EPOLL_CTL_DEL, int(s.fd), nil)
	s.closeFd()
	h.mu.Unlock()
}

// pumpDirect copies a pipe from a goroutine of its own, waiting on Go's
// netpoller: one hop less than the hub, for the listener protocol, whose
// event rate is bound by round trips. It takes a buffer only once data is
// there (the raw read callback runs when the pipe is readable).
func pumpDirect(root *actor.RootContext, f *os.File, to *actor.PID, pid int, gone <-chan struct{}) {
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

// pollable returns f, or when the netpoller does not wait on it (a
// blocking pipe from child.Reaper) a non-blocking duplicate it does, f
// being closed.
func pollable(f *os.File) *os.File {
	if f.SetReadDeadline(noDeadline) == nil {
		return f
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return f
	}
	fd := -1
	rc.Control(func(raw uintptr) {
		if d, err := dupCloexec(int(raw)); err == nil {
			fd = d
		}
	})
	if fd < 0 {
		return f
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return f
	}
	f.Close()
	return os.NewFile(uintptr(fd), f.Name())
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
