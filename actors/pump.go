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
func pump(root *actor.RootContext, f *os.File, to *actor.PID, gone <-chan struct{}) {
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
			root.Send(to, &logChunk{data: (*b)[:n], release: func() {
				chunkPool.Put(b)
				<-credits
			}})
		case <-gone:
			chunkPool.Put(buf)
			to = nil
		}
	}
}
