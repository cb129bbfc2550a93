// Package fcgisock makes the listening socket an [fcgi-program:x] group's
// instances share as their standard input.
//
// Like the reference, a group's socket is reference-counted by the
// instances that run: the first spawn creates and binds it, every running
// instance holds it, and the exit of the last one closes it; the next spawn
// binds it afresh. A unix socket's file is replaced when it is bound and
// left in place when the socket is closed.
package fcgisock

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"supervisord/conf"
	"supervisord/internal/fsutil"
)

// Socket is one group's socket. Its methods are safe for concurrent use:
// every instance of the group calls them.
type Socket struct {
	url      string // "tcp://host:port" or "unix:///path", as conf wrote it
	backlog  int    // 0: the reference's socket.SOMAXCONN
	uid, gid int    // a unix socket's owner, -1 to leave alone
	mode     uint32 // a unix socket's permission bits
	log      *slog.Logger

	mu   sync.Mutex
	refs int      // instances holding the socket
	file *os.File // the listening socket while refs > 0, or adopted (Adopt)
}

// New describes the socket of g, an fcgi-program group, without creating
// it. log receives the reference's "Creating socket" and "Closing socket"
// lines.
func New(g *conf.Group, log *slog.Logger) *Socket {
	return &Socket{url: g.Socket, backlog: g.SocketBacklog, uid: g.SocketOwnerUID,
		gid: g.SocketOwnerGID, mode: uint32(g.SocketMode), log: log}
}

// String is the socket's URL.
func (s *Socket) String() string { return s.url }

// Acquire takes a reference to the socket for one instance, creating,
// binding and listening on it if no instance holds it. The file is the
// listening socket, to become the instance's stdin; it stays open until the
// matching Release.
func (s *Socket) Acquire() (*os.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs == 0 && s.file == nil {
		s.log.Info("Creating socket " + s.url)
		f, err := s.create()
		if err != nil {
			return nil, fmt.Errorf("Could not create FastCGI socket %s: %w", s.url, err)
		}
		s.file = f
	}
	s.refs++
	return s.file, nil
}

// Release drops one reference taken by Acquire, closing the socket with the
// last one.
func (s *Socket) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs == 0 {
		panic("fcgisock: Release without Acquire")
	}
	if s.refs--; s.refs == 0 {
		s.log.Info("Closing socket " + s.url)
		s.file.Close()
		s.file = nil
	}
}

// Dup is a duplicate descriptor of the listening socket while an instance
// holds it (close-on-exec, the caller's to close), for an upgrade to hand
// over; -1 when none does.
func (s *Socket) Dup() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs == 0 || s.file == nil {
		return -1, nil
	}
	return fsutil.Dup(s.file)
}

// Adopt takes over f, the socket a previous program of this daemon made
// (an upgrade): instances still running hold it, so the next Acquire uses
// it instead of binding anew, which their holding it would make fail.
// Until one does, it stays open.
func (s *Socket) Adopt(f *os.File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file != nil {
		f.Close()
		return
	}
	s.file = f
}

// Check creates the socket and closes it again, as the reference does when
// it creates a group, so a socket that cannot be bound is reported before
// any instance is spawned.
func Check(g *conf.Group, log *slog.Logger) error {
	s := New(g, log)
	if _, err := s.Acquire(); err != nil {
		return err
	}
	s.Release()
	return nil
}

// create makes the socket as the reference does: SO_REUSEADDR for TCP; a
// unix socket replaces whatever file is at its path (a directory is an
// error), is chowned then chmodded, and its file is removed again if any of
// that fails.
func (s *Socket) create() (*os.File, error) {
	var (
		fd  int
		err error
	)
	if path, ok := strings.CutPrefix(s.url, "unix://"); ok {
		fd, err = s.bindUnix(path)
	} else {
		fd, err = bindTCP(strings.TrimPrefix(s.url, "tcp://"))
	}
	if err != nil {
		return nil, err
	}
	backlog := s.backlog
	if backlog == 0 {
		backlog = unix.SOMAXCONN
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		syscall.Close(fd)
		return nil, pyError(err, "")
	}
	// The socket stays blocking, as the program expects of its stdin, and
	// close-on-exec: only the group's instances get it, as their fd 0.
	return os.NewFile(uintptr(fd), s.url), nil
}

func (s *Socket) bindUnix(path string) (int, error) {
	if _, err := os.Stat(path); err == nil {
		if err := fsutil.Unlink(path); err != nil {
			return -1, pyError(err, path)
		}
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, pyError(err, "")
	}
	err = syscall.Bind(fd, &syscall.SockaddrUnix{Name: path})
	if err != nil {
		err = pyError(err, "")
	} else if s.uid >= 0 || s.gid >= 0 {
		if cerr := os.Chown(path, s.uid, s.gid); cerr != nil {
			err = errors.New("Could not change ownership of socket file: " + pyError(cerr, path).Error())
		}
	}
	if err == nil {
		if cerr := syscall.Chmod(path, s.mode); cerr != nil {
			err = errors.New("Could not change permissions of socket file: " + pyError(cerr, path).Error())
		}
	}
	if err != nil {
		syscall.Close(fd)
		if _, serr := os.Stat(path); serr == nil {
			fsutil.Unlink(path)
		}
		return -1, err
	}
	return fd, nil
}

// bindTCP binds hostport ("host:port", host a name or an IPv4 address) with
// SO_REUSEADDR.
func bindTCP(hostport string) (int, error) {
	host, portText, _ := strings.Cut(hostport, ":")
	port, _ := strconv.Atoi(portText) // conf checked it
	ips, err := net.DefaultResolver.LookupIP(context.Background(), "ip4", host)
	if err != nil {
		return -1, pyError(err, "")
	}
	addr := &syscall.SockaddrInet4{Port: port}
	copy(addr.Addr[:], ips[0].To4())
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, pyError(err, "")
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		syscall.Close(fd)
		return -1, pyError(err, "")
	}
	if err := syscall.Bind(fd, addr); err != nil {
		syscall.Close(fd)
		return -1, pyError(err, "")
	}
	return fd, nil
}

// pyError words err as Python prints the OSError it would raise:
// "[Errno 98] Address already in use", with ": 'path'" for a call on a
// path.
func pyError(err error, path string) error {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return errors.New("[Errno -2] Name or service not known")
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err
	}
	text := errno.Error()
	text = strings.ToUpper(text[:1]) + text[1:]
	msg := fmt.Sprintf("[Errno %d] %s", int(errno), text)
	if path != "" {
		msg += ": " + conf.PyRepr(path)
	}
	return &osError{msg: msg, errno: errno}
}

// osError keeps the errno under the reference's wording, for errors.Is.
type osError struct {
	msg   string
	errno syscall.Errno
}

func (e *osError) Error() string { return e.msg }
func (e *osError) Unwrap() error { return e.errno }
