// Package notify is the daemon's end of NOTIFY_SOCKET: a datagram socket,
// one per supervised process, on which the process (or a helper it runs)
// reports its readiness, status and watchdog keep-alives in the sd_notify
// format (see protocol/sdnotify).
//
// Each socket lives in Linux's abstract namespace, so it needs no file and
// no cleanup, and has SO_PASSCRED on, so that every datagram carries the
// sender's pid as the kernel saw it. Any process in the network namespace
// can send to an abstract socket; Message.FromOwner says whether the
// sender belongs to the supervised process, and only such messages
// should be believed.
package notify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"supervisord/protocol/sdnotify"
)

// Message is one well-formed datagram.
type Message struct {
	// PID is the sender's pid from the kernel's credentials, 0 when the
	// datagram came without them.
	PID int
	// FromOwner reports whether the sender is the owner (see
	// Socket.SetOwner), a member of the process group the owner leads, or
	// a descendant of the owner, judged when the datagram was read.
	FromOwner bool
	Fields    []sdnotify.Field
}

// Socket is a listening NOTIFY_SOCKET. Its methods may be called from any
// goroutine.
type Socket struct {
	conn  *net.UnixConn
	name  string
	owner atomic.Int64

	mu      sync.Mutex
	closed  bool
	err     error // Close's result
	serving sync.WaitGroup
}

// maxName is the longest abstract name: sun_path less its leading NUL.
const maxName = 107

// Listen opens an abstract-namespace datagram socket named "\x00"+name
// with SO_PASSCRED on. The name must be unique among the host's abstract
// sockets; a taken name fails with an error matching unix.EADDRINUSE.
func Listen(name string) (*Socket, error) {
	if name == "" || len(name) > maxName || strings.IndexByte(name, 0) >= 0 {
		return nil, fmt.Errorf("notify: bad socket name %q", name)
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "@" + name, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	rc, err := conn.SyscallConn()
	if err == nil {
		cerr := rc.Control(func(fd uintptr) {
			err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
		})
		if cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("notify: SO_PASSCRED on @%s: %w", name, err)
	}
	return &Socket{conn: conn, name: name}, nil
}

// Addr is the value of NOTIFY_SOCKET for the process: "@" and the name.
func (s *Socket) Addr() string { return "@" + s.name }

// SetOwner records the supervised process's pid, once it is spawned;
// datagrams read from then on are judged against it. Until it is set, and
// when set to 0, no datagram is FromOwner.
func (s *Socket) SetOwner(pid int) { s.owner.Store(int64(pid)) }

// Serve starts one goroutine that reads datagrams and calls handle, on
// that goroutine, for each well-formed one, until Close. Datagrams that
// sdnotify.Parse refuses, and ones cut short by the buffer, are dropped
// unseen; descriptors passed along with a datagram (systemd-notify's
// BARRIER=1 sends one and waits for it to be closed) are closed at once.
// handle must not call Close. Serve after Close does nothing.
func (s *Socket) Serve(handle func(Message)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		s.serve(handle)
	}()
}

// oobSize holds the credentials and the most descriptors one datagram can
// carry (the kernel's SCM_MAX_FD, 253), so that none is left in flight.
var oobSize = unix.CmsgSpace(unix.SizeofUcred) + unix.CmsgSpace(253*4)

func (s *Socket) serve(handle func(Message)) {
	buf := make([]byte, sdnotify.MaxDatagram+1)
	oob := make([]byte, oobSize)
	for {
		n, oobn, flags, _, err := s.conn.ReadMsgUnix(buf, oob)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		pid, hasCreds, fds := readControl(oob[:oobn])
		// The sender is judged before its descriptors are closed: a sender
		// such as systemd-notify waits for that close, then exits, and once
		// it has gone there is nothing left to judge it by.
		owned := hasCreds && s.fromOwner(pid)
		for _, fd := range fds {
			unix.Close(fd)
		}
		if flags&unix.MSG_TRUNC != 0 {
			continue // longer than MaxDatagram, which Parse refuses anyway
		}
		fields, err := sdnotify.Parse(buf[:n])
		if err != nil {
			continue
		}
		handle(Message{PID: pid, FromOwner: owned, Fields: fields})
	}
}

// readControl returns the sender's pid and any descriptors passed, which
// the caller must close.
func readControl(oob []byte) (pid int, ok bool, fds []int) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false, nil
	}
	for i := range msgs {
		m := &msgs[i]
		if m.Header.Level != unix.SOL_SOCKET {
			continue
		}
		switch m.Header.Type {
		case unix.SCM_RIGHTS:
			passed, _ := unix.ParseUnixRights(m)
			fds = append(fds, passed...)
		case unix.SCM_CREDENTIALS:
			if cred, err := unix.ParseUnixCredentials(m); err == nil && cred.Pid > 0 {
				pid, ok = int(cred.Pid), true
			}
		}
	}
	return pid, ok, fds
}

// maxDepth bounds the walk up a sender's ancestors.
const maxDepth = 64

// fromOwner reports whether pid is the owner, in the process group the
// owner leads, or descends from the owner.
func (s *Socket) fromOwner(pid int) bool {
	owner := int(s.owner.Load())
	if owner <= 0 {
		return false
	}
	if pid == owner {
		return true
	}
	ppid, pgrp, ok := procStat(pid)
	if !ok {
		return false // gone already: nothing left to judge by
	}
	if pgrp == owner {
		return true
	}
	for range maxDepth {
		if ppid == owner {
			return true
		}
		if ppid <= 1 {
			return false
		}
		if ppid, _, ok = procStat(ppid); !ok {
			return false
		}
	}
	return false
}

// procStat reads a process's parent and process group from
// /proc/PID/stat, whose second field (the command name in parentheses)
// may hold spaces and parentheses itself.
func procStat(pid int) (ppid, pgrp int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:])) // state ppid pgrp ...
	if len(f) < 3 {
		return 0, 0, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgrp, err2 := strconv.Atoi(f[2])
	return ppid, pgrp, err1 == nil && err2 == nil
}

// Close closes the socket, then waits until Serve's goroutine has
// returned (and so until any handle call in progress has). Later calls
// return the first one's result.
func (s *Socket) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		s.err = s.conn.Close()
	}
	err := s.err
	s.mu.Unlock()
	s.serving.Wait()
	return err
}
