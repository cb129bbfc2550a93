// Package httpserver runs the daemon's control surface: one HTTP server per
// [inet_http_server] and [unix_http_server] section, each serving the
// caller's handler behind the reference's basic authentication, with the
// limits a long-running daemon needs against hostile clients.
//
// Beyond the reference: an inet server with certfile/keyfile speaks TLS
// (HTTP/2 too), asking clients for a certificate when client_ca is set;
// [user:NAME] accounts log in beside the server's own user; peer_roles
// gives unix-socket peers a role by uid. Each request reaches the handler
// with its auth.Principal (access.go), and failed logins are slowed down
// per client address (throttle.go).
package httpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/user"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"supervisord/conf"
	"supervisord/internal/fsutil"
	"supervisord/internal/mainlog"
	"supervisord/internal/tlsfiles"
)

// inUseText is the reference's refusal when an address is taken, word for
// word; the caller prints it like any other startup error.
const inUseText = "Another program is already listening on a port that one of our HTTP servers is configured to use.  Shut this program down first before starting supervisord."

// settings are the knobs tests turn down; Start uses defaults.
type settings struct {
	// readHeaderTimeout drops clients that trickle a request's header.
	readHeaderTimeout time.Duration
	// readTimeout bounds reading a whole request, body included; streamed
	// responses are not affected (net/http lifts the deadline once the
	// body is read).
	readTimeout time.Duration
	// idleTimeout closes kept-alive connections. It is the reference's
	// zombie timeout: clients such as event listeners keep one
	// SupervisorTransport for good, and it does not retry a request on a
	// connection the server closed, so a shorter timeout would break them.
	idleTimeout time.Duration
	// maxBody caps request bodies. The largest legitimate requests are
	// sendProcessStdin payloads and system.multicall batches; 4 MiB is far
	// above those yet keeps a hostile client from filling memory.
	maxBody int64
	// grace is how long Close lets requests in flight finish. Streamed
	// responses (tail -f) never finish, so it is short.
	grace time.Duration
	// stderr receives the reference's "Unlinking stale socket" note, which
	// it writes to stderr rather than to the log.
	stderr io.Writer
	// inherited are listening sockets to serve on instead of binding new
	// ones, by server key (handoff.go).
	inherited map[string]*os.File
	// throttle slows down failed logins (throttle.go).
	throttle throttleParams
}

var defaults = settings{
	readHeaderTimeout: 10 * time.Second,
	readTimeout:       time.Minute,
	idleTimeout:       30 * time.Minute,
	maxBody:           4 << 20,
	grace:             time.Second,
	stderr:            os.Stderr,
	throttle:          loginThrottle,
}

// Servers are the running HTTP servers of one configuration.
type Servers struct {
	grace     time.Duration
	servers   []*http.Server
	addrs     []net.Addr
	keys      []string       // each server's key (handoff.go)
	listeners []net.Listener // each server's socket
	sockets   []string       // unix socket files to unlink on Close
	serving   sync.WaitGroup
	conns     connCount
	detached  atomic.Bool // the servers stop because Detach closed their listeners
	closeOnce sync.Once
	closeErr  error
}

// connCount counts the connections the servers hold, for Detach to wait
// until every request it let in is answered.
type connCount struct {
	mu   sync.Mutex
	n    int
	none chan struct{} // closed when n drops to 0, while Close waits
}

// state is the servers' ConnState hook.
func (c *connCount) state(_ net.Conn, st http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch st {
	case http.StateNew:
		c.n++
	case http.StateClosed, http.StateHijacked:
		c.n--
		if c.n == 0 && c.none != nil {
			close(c.none)
			c.none = nil
		}
	}
}

// wait returns once no connection is left, or when ctx is done.
func (c *connCount) wait(ctx context.Context) {
	c.mu.Lock()
	if c.n == 0 {
		c.mu.Unlock()
		return
	}
	if c.none == nil {
		c.none = make(chan struct{})
	}
	none := c.none
	c.mu.Unlock()
	select {
	case <-none:
	case <-ctx.Done():
	}
}

// bound is a listening socket not yet served.
type bound struct {
	section string // the config section, as the reference names it in logs
	key     string // serverKey
	ln      net.Listener
	addr    net.Addr
	local   bool // a unix socket: clients have no address
	access  *access
	tls     *tls.Config // nil: plain HTTP
}

// Start binds every configured server, inet sections first then unix ones
// as the reference does, and only then serves h on them, so a failure
// leaves nothing listening. Its errors read like the reference's startup
// errors (the caller prints them and exits). log must be the main log; the
// caller must Close the Servers of a previous configuration before starting
// the next one, since a live socket is refused.
func Start(cfg *conf.Config, h http.Handler, log *slog.Logger) (*Servers, error) {
	return start(cfg, h, log, defaults)
}

func start(cfg *conf.Config, h http.Handler, log *slog.Logger, set settings) (*Servers, error) {
	s := &Servers{grace: set.grace}
	var all []bound
	fail := func(err error) (*Servers, error) {
		for _, b := range all {
			b.ln.Close()
		}
		s.unlinkSockets()
		return nil, err
	}
	for _, c := range cfg.InetHTTPServers {
		addr := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
		sec := section("inet_http_server", c.Name)
		a, err := newAccess(c.Username, c.Password, cfg.Users, nil)
		if err != nil {
			return fail(err)
		}
		var tc *tls.Config
		if c.CertFile != "" {
			if tc, err = tlsfiles.Server(tlsfiles.Files{CertFile: c.CertFile, KeyFile: c.KeyFile, ClientCA: c.ClientCA}); err != nil {
				return fail(fmt.Errorf("supervisor: cannot serve [%s] over TLS: %w", sec, err))
			}
		}
		ln, err := set.take(sec, addr)
		if ln == nil && err == nil {
			// tcp4: the reference binds AF_INET only, "" meaning 0.0.0.0.
			ln, err = net.Listen("tcp4", addr)
		}
		if err != nil {
			return fail(openError(err, addr))
		}
		all = append(all, bound{section: sec, key: serverKey(sec, addr), ln: ln, addr: ln.Addr(), access: a, tls: tc})
	}
	for _, c := range cfg.UnixHTTPServers {
		sec := section("unix_http_server", c.Name)
		a, err := newAccess(c.Username, c.Password, cfg.Users, c.PeerRoles)
		if err != nil {
			return fail(err)
		}
		ln, err := set.take(sec, c.File)
		if ln == nil && err == nil {
			ln, err = listenUnix(c, set.stderr)
		}
		if err != nil {
			return fail(err)
		}
		s.sockets = append(s.sockets, c.File)
		all = append(all, bound{section: sec, key: serverKey(sec, c.File), ln: ln, addr: &net.UnixAddr{Name: c.File, Net: "unix"}, local: true, access: a})
	}
	set.closeUntaken()

	errorLog := slog.NewLogLogger(log.Handler(), slog.LevelError)
	th := newThrottle(set.throttle)
	for _, b := range all {
		// Each server announces the RPC interfaces it carries, as the
		// reference's does while it sets up.
		for _, r := range cfg.RPCInterfaces {
			log.Info(fmt.Sprintf("RPC interface %s initialized", conf.PyRepr(r.Name)))
		}
		if b.access.open() {
			log.Log(context.Background(), mainlog.LevelCritical,
				fmt.Sprintf("Server %s running without any HTTP authentication checking", conf.PyRepr(b.section)))
		}
		srv := &http.Server{
			Handler:           &guard{next: h, access: b.access, throttle: th, local: b.local, maxBody: set.maxBody, log: log},
			ReadHeaderTimeout: set.readHeaderTimeout,
			ReadTimeout:       set.readTimeout,
			IdleTimeout:       set.idleTimeout,
			// No WriteTimeout: /logtail responses stream for as long as
			// the client follows them.
			ErrorLog:  errorLog,
			ConnState: s.conns.state,
			// TLS offers HTTP/2 beside HTTP/1.1 (net/http's default for
			// ServeTLS); plain HTTP stays HTTP/1.x, as the reference.
			TLSConfig: b.tls,
		}
		if b.local {
			srv.ConnContext = withPeer
		}
		s.servers = append(s.servers, srv)
		s.addrs = append(s.addrs, b.addr)
		s.keys = append(s.keys, b.key)
		s.listeners = append(s.listeners, b.ln)
		s.serving.Go(func() {
			var err error
			if b.tls != nil {
				// Not through spareCRLFListener: net/http must see the
				// *tls.Conn (for HTTP/2 and the client's certificate), and
				// the reference's clients, which send the spare CRLF, do
				// not speak TLS.
				err = srv.ServeTLS(b.ln, "", "")
			} else {
				err = srv.Serve(spareCRLFListener{b.ln})
			}
			if !errors.Is(err, http.ErrServerClosed) && !s.detached.Load() {
				log.Log(context.Background(), slog.LevelError, fmt.Sprintf("Server %s stopped: %v", conf.PyRepr(b.section), err))
			}
		})
	}
	return s, nil
}

// Addrs lists the servers' addresses in the order they were started: for
// inet servers the bound address (so port 0 shows the real port), for unix
// servers the socket file.
func (s *Servers) Addrs() []net.Addr { return slices.Clone(s.addrs) }

// Close stops accepting, gives requests in flight a short grace period,
// then drops the connections left and unlinks the socket files Start
// created. Later calls return the first call's result.
func (s *Servers) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.grace)
		defer cancel()
		var wg sync.WaitGroup
		for _, srv := range s.servers {
			wg.Go(func() {
				if srv.Shutdown(ctx) != nil {
					srv.Close()
				}
			})
		}
		wg.Wait()
		s.serving.Wait()
		s.closeErr = s.unlinkSockets()
	})
	return s.closeErr
}

func (s *Servers) unlinkSockets() error {
	var errs []error
	for _, p := range s.sockets {
		if err := fsutil.Unlink(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// listenUnix binds the socket under a temporary name, sets its mode and
// hard-links it into place, as the reference does: the socket is never
// reachable with the umask's mode, and the link fails rather than replace
// a file, which is how a live or stale socket is noticed.
func listenUnix(c *conf.UnixHTTPServer, stderr io.Writer) (net.Listener, error) {
	tmp := fmt.Sprintf("%s.%d", c.File, os.Getpid())
	fsutil.Unlink(tmp) // a leftover of a crashed daemon that had our pid
	var ln *net.UnixListener
	for tries := 0; ; tries++ {
		var err error
		ln, err = bindLinked(tmp, c.File, c.Chmod)
		if err == nil {
			break
		}
		// Retried a few times only: another daemon starting at the same
		// moment may put its socket back in between.
		if !errors.Is(err, fs.ErrExist) || tries == 3 {
			return nil, openError(err, c.File)
		}
		if err := removeStale(c.File, stderr); err != nil {
			return nil, err
		}
	}
	if c.ChownUID != -1 || c.ChownGID != -1 {
		if err := os.Chown(c.File, c.ChownUID, c.ChownGID); err != nil {
			ln.Close()
			fsutil.Unlink(c.File)
			if errors.Is(err, fs.ErrPermission) {
				return nil, &bindError{fmt.Sprintf(`Not permitted to chown %s to uid/gid (%d, %d); adjust "sockchown" value in config file or on command line to values that the current user (%s) can successfully chown`,
					c.File, c.ChownUID, c.ChownGID, currentUser()), err}
			}
			return nil, openError(err, c.File)
		}
	}
	return ln, nil
}

func bindLinked(tmp, path string, mode os.FileMode) (*net.UnixListener, error) {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, err
	}
	// The listener would unlink tmp, which is gone by then; Close unlinks
	// path instead.
	ln.SetUnlinkOnClose(false)
	defer fsutil.Unlink(tmp)
	if err = os.Chmod(tmp, mode); err == nil {
		if err = os.Link(tmp, path); err == nil {
			return ln, nil
		}
	}
	ln.Close()
	return nil, err
}

// removeStale unlinks the socket at path unless something accepts
// connections on it. Unlike the reference, which unlinks whatever is
// there, it refuses to delete anything but a socket: a misspelt file=
// should not cost the user a file.
func removeStale(path string, stderr io.Writer) error {
	conn, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		conn.Close()
		return &bindError{inUseText, syscall.EADDRINUSE}
	}
	if errors.Is(err, syscall.EAGAIN) { // a full backlog: busy, not stale
		return &bindError{inUseText, syscall.EADDRINUSE}
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // gone meanwhile; the caller retries the link
	}
	if err != nil {
		return openError(err, path)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return &bindError{fmt.Sprintf("Cannot open an HTTP server: %s exists and is not a socket", path), syscall.EEXIST}
	}
	fmt.Fprintf(stderr, "Unlinking stale socket %s\n", path)
	if err := fsutil.Unlink(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return openError(err, path)
	}
	return nil
}

// bindError is a failure to open a server, worded like the reference's
// startup errors yet still matching errors.Is on its cause.
type bindError struct {
	msg string
	err error
}

func (e *bindError) Error() string { return e.msg }
func (e *bindError) Unwrap() error { return e.err }

// openError words a bind failure as the reference does ("socket.error
// reported errno.ENOENT (2)"), naming the address, which the reference
// leaves out.
func openError(err error, addr string) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return &bindError{inUseText, err}
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return &bindError{fmt.Sprintf("Cannot open an HTTP server: socket.error reported errno.%s (%d) for %s", unix.ErrnoName(errno), int(errno), addr), err}
	}
	// Name resolution and the like: Go's message names the address.
	return &bindError{fmt.Sprintf("Cannot open an HTTP server: %v", err), err}
}

func currentUser() string {
	uid := strconv.Itoa(os.Geteuid())
	if u, err := user.LookupId(uid); err == nil {
		return u.Username
	}
	return uid
}

// section rebuilds the section name the reference's messages quote.
func section(kind, name string) string {
	if name == "" {
		return kind
	}
	return kind + ":" + name
}
