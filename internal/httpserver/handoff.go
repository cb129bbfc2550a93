package httpserver

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"syscall"

	"supervisord/conf"
	"supervisord/internal/fsutil"
)

// A daemon that re-executes itself (supervisorctl upgrade) keeps its
// listening sockets open across the exec: connections that arrive meanwhile
// wait in the socket's backlog, and the new program serves them. Detach
// hands the sockets out; StartInherited serves on them again.

// Socket is a listening socket handed over, named by its server's key.
type Socket struct {
	Key  string
	File *os.File
}

// serverKey names a server by its config section and address, so a
// socket goes back to the server it was bound for.
func serverKey(section, addr string) string { return section + " " + addr }

// Detach stops serving, answering every request already on its way within
// the grace period, but keeps the listening sockets: it returns a duplicate
// of each (close-on-exec, in server order) and unlinks no socket file. The
// Servers are closed afterwards; connections that arrive from now on wait
// in the sockets' backlogs.
//
// It does not use http.Server.Shutdown, which drops a request read after
// it began with no answer (net/http's choice for a server going away):
// here the request would be lost to a daemon that is only changing
// programs. Instead keep-alives end, the listeners close, and each
// connection accepted so far is served once more and then closed.
func (s *Servers) Detach() ([]Socket, error) {
	var out []Socket
	for i, ln := range s.listeners {
		sc, ok := ln.(syscall.Conn)
		if !ok {
			closeSockets(out)
			return nil, fmt.Errorf("supervisor: cannot hand over %s", s.addrs[i])
		}
		f, err := dupConn(sc)
		if err != nil {
			closeSockets(out)
			return nil, fmt.Errorf("supervisor: cannot hand over %s: %w", s.addrs[i], err)
		}
		out = append(out, Socket{Key: s.keys[i], File: f})
	}
	s.sockets = nil // they stay: the next program serves them
	s.closeOnce.Do(s.drain)
	return out, nil
}

// drain is Detach's way to close the servers.
func (s *Servers) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), s.grace)
	defer cancel()
	s.detached.Store(true)
	for _, srv := range s.servers {
		srv.SetKeepAlivesEnabled(false) // answers say "Connection: close"; idle ones close now
	}
	for _, ln := range s.listeners {
		ln.Close()
	}
	s.serving.Wait() // every accepted connection is counted now
	s.conns.wait(ctx)
	for _, srv := range s.servers {
		srv.Close() // what is left past the grace: followers of a log (tail -f)
	}
}

func dupConn(sc syscall.Conn) (*os.File, error) {
	fd, err := fsutil.Dup(sc)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), "listener"), nil
}

func closeSockets(ss []Socket) {
	for _, s := range ss {
		s.File.Close()
	}
}

// StartInherited is Start serving on handed-over sockets where their key
// matches a configured server, binding the others as Start does. It takes
// every socket over: one no server wants any more is closed.
func StartInherited(cfg *conf.Config, h http.Handler, log *slog.Logger, sockets []Socket) (*Servers, error) {
	set := defaults
	set.inherited = make(map[string]*os.File, len(sockets))
	for _, s := range sockets {
		set.inherited[s.Key] = s.File
	}
	s, err := start(cfg, h, log, set)
	if err != nil {
		set.closeUntaken()
	}
	return s, err
}

// take returns the inherited listener of a server, nil when there is none.
func (set *settings) take(section, addr string) (net.Listener, error) {
	key := serverKey(section, addr)
	f := set.inherited[key]
	if f == nil {
		return nil, nil
	}
	delete(set.inherited, key)
	defer f.Close() // FileListener made its own duplicate
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("supervisor: cannot serve the inherited socket of %s: %w", addr, err)
	}
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false) // Close unlinks the file as for a bound one
	}
	return ln, nil
}

// closeUntaken closes the inherited sockets no server took.
func (set *settings) closeUntaken() {
	for _, f := range set.inherited {
		f.Close()
	}
	clear(set.inherited)
}
