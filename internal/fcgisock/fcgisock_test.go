package fcgisock

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"supervisord/conf"
	"supervisord/testkit"
)

// logBuf collects what a Socket logs.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), `msg="`+msg)
}

func newLog() (*slog.Logger, *logBuf) {
	buf := &logBuf{}
	return slog.New(slog.NewTextHandler(buf, nil)), buf
}

func group(socket string) *conf.Group {
	return &conf.Group{Name: "web", Kind: conf.KindFCGIProgram, Socket: socket,
		SocketOwnerUID: -1, SocketOwnerGID: -1, SocketMode: 0o700}
}

// serveOnce accepts one connection on the listening socket f, as an
// instance would on its fd 0, and answers it.
func serveOnce(t *testing.T, f *os.File) {
	t.Helper()
	ln, err := net.FileListener(f)
	if err != nil {
		t.Fatalf("fd is no listening socket: %v", err)
	}
	go func() {
		defer ln.Close()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.WriteString(c, "hello\n")
		c.Close()
	}()
}

func dial(network, addr string) (string, error) {
	c, err := net.Dial(network, addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	b, err := io.ReadAll(c)
	return string(b), err
}

// The socket exists while at least one reference is held: the first
// Acquire binds it, the last Release closes it, the next Acquire binds it
// again. A unix socket's file stays after closing.
func TestReferenceCounted(t *testing.T) {
	dir := t.TempDir()
	port := testkit.FreePort(t)
	for _, tc := range []struct {
		url, network, addr string
	}{
		{fmt.Sprintf("tcp://127.0.0.1:%d", port), "tcp", fmt.Sprintf("127.0.0.1:%d", port)},
		{"unix://" + dir + "/web.sock", "unix", dir + "/web.sock"},
	} {
		t.Run(tc.network, func(t *testing.T) {
			log, lines := newLog()
			s := New(group(tc.url), log)
			f1, err := s.Acquire()
			if err != nil {
				t.Fatal(err)
			}
			f2, err := s.Acquire()
			if err != nil {
				t.Fatal(err)
			}
			if f1 != f2 {
				t.Error("a second reference made a second socket")
			}
			serveOnce(t, f1)
			if got, err := dial(tc.network, tc.addr); got != "hello\n" {
				t.Fatalf("served %q, %v", got, err)
			}
			s.Release()
			serveOnce(t, f1)
			if got, err := dial(tc.network, tc.addr); got != "hello\n" {
				t.Fatalf("with one reference left: served %q, %v", got, err)
			}
			if lines.count("Closing socket") != 0 {
				t.Error("closed with a reference left")
			}
			s.Release()
			// Refused, or reset when the dial raced the close into the
			// backlog of the socket being closed: either way not served.
			if _, err := dial(tc.network, tc.addr); !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("after the last release: %v, want connection refused", err)
			}
			if tc.network == "unix" {
				if st, err := os.Lstat(tc.addr); err != nil || st.Mode().Type() != os.ModeSocket {
					t.Errorf("socket file after closing: %v %v, want it left in place", st, err)
				}
			}
			f3, err := s.Acquire()
			if err != nil {
				t.Fatal(err)
			}
			serveOnce(t, f3)
			if got, err := dial(tc.network, tc.addr); got != "hello\n" {
				t.Fatalf("bound again: served %q, %v", got, err)
			}
			s.Release()
			want := "Creating socket " + tc.url
			if n := lines.count(want); n != 2 {
				t.Errorf("%d %q lines, want 2", n, want)
			}
			if n := lines.count("Closing socket " + tc.url); n != 2 {
				t.Errorf("%d closing lines, want 2", n)
			}
		})
	}
}

// A unix socket replaces a file at its path but never a directory, is
// chmodded and chowned, and its file is removed again when that fails.
func TestUnixSocketFile(t *testing.T) {
	type result struct {
		err  string // "" for success; {path} stands for the socket's path
		mode os.FileMode
		uid  int // checked when >= 0
		left string
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, path string)
		group func(g *conf.Group)
		want  result
	}{
		{"stale file replaced", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, nil, result{mode: 0o700, uid: -1, left: "socket"}},
		{"directory refused", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}, nil, result{err: "[Errno 21] Is a directory: '{path}'", left: "dir"}},
		{"missing parent", func(t *testing.T, path string) {}, func(g *conf.Group) {
			g.Socket = strings.Replace(g.Socket, "/web.sock", "/nowhere/web.sock", 1)
		}, result{err: "[Errno 2] No such file or directory", left: "none"}},
		{"socket_mode", nil, func(g *conf.Group) { g.SocketMode = 0o660 }, result{mode: 0o660, uid: -1, left: "socket"}},
	}
	if os.Getuid() == 0 {
		cases = append(cases, struct {
			name  string
			setup func(t *testing.T, path string)
			group func(g *conf.Group)
			want  result
		}{"socket_owner", nil, func(g *conf.Group) { g.SocketOwnerUID, g.SocketOwnerGID = 65534, 65534 },
			result{mode: 0o700, uid: 65534, left: "socket"}})
	} else {
		cases = append(cases, struct {
			name  string
			setup func(t *testing.T, path string)
			group func(g *conf.Group)
			want  result
		}{"socket_owner refused", nil, func(g *conf.Group) { g.SocketOwnerUID = os.Getuid() + 1 },
			result{err: "Could not change ownership of socket file: [Errno 1] Operation not permitted: '{path}'", left: "none"}})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "web.sock")
			if tc.setup != nil {
				tc.setup(t, path)
			}
			g := group("unix://" + path)
			if tc.group != nil {
				tc.group(g)
			}
			log, _ := newLog()
			s := New(g, log)
			_, err := s.Acquire()
			if tc.want.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				defer s.Release()
			} else {
				want := "Could not create FastCGI socket " + g.Socket + ": " + strings.ReplaceAll(tc.want.err, "{path}", path)
				if err == nil || err.Error() != want {
					t.Errorf("error %v,\nwant %s", err, want)
				}
			}
			st, statErr := os.Lstat(path)
			switch tc.want.left {
			case "none":
				if statErr == nil {
					t.Errorf("%s left behind (%v)", path, st.Mode())
				}
				return
			case "dir":
				if statErr != nil || !st.IsDir() {
					t.Errorf("the directory is gone: %v", statErr)
				}
				return
			}
			if statErr != nil || st.Mode().Type() != os.ModeSocket {
				t.Fatalf("%s: %v %v, want a socket", path, st, statErr)
			}
			if st.Mode().Perm() != tc.want.mode {
				t.Errorf("mode %v, want %v", st.Mode().Perm(), tc.want.mode)
			}
			if sys := st.Sys().(*syscall.Stat_t); tc.want.uid >= 0 && (int(sys.Uid) != tc.want.uid || int(sys.Gid) != tc.want.uid) {
				t.Errorf("owner %d:%d, want %d:%d", sys.Uid, sys.Gid, tc.want.uid, tc.want.uid)
			}
		})
	}
}

// Check binds and closes, reporting a socket that cannot be bound in the
// reference's words.
func TestCheck(t *testing.T) {
	log, lines := newLog()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	url := "tcp://" + busy.Addr().String()
	want := "Could not create FastCGI socket " + url + ": [Errno 98] Address already in use"
	if err := Check(group(url), log); err == nil || err.Error() != want || !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("port in use: %v, want %s", err, want)
	}
	if n := lines.count("Closing socket"); n != 0 {
		t.Errorf("a socket never made was closed %d times", n)
	}

	port := testkit.FreePort(t)
	url = fmt.Sprintf("tcp://127.0.0.1:%d", port)
	if err := Check(group(url), log); err != nil {
		t.Fatal(err)
	}
	if lines.count("Creating socket "+url) != 1 || lines.count("Closing socket "+url) != 1 {
		t.Errorf("log:\n%s", lines.b.String())
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("the port is still taken after Check: %v", err)
	}
	ln.Close()

	want = "Could not create FastCGI socket tcp://no-such-host.invalid:9000: [Errno -2] Name or service not known"
	if err := Check(group("tcp://no-such-host.invalid:9000"), log); err == nil || err.Error() != want {
		t.Errorf("unknown host: %v, want %s", err, want)
	}
}
