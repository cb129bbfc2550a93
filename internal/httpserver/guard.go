package httpserver

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"supervisord/conf"
	"supervisord/internal/auth"
	"supervisord/internal/mainlog"
)

// guard stands in front of the caller's handler on one server: it finds
// out who is asking (credentials, the uid of a unix-socket peer) and puts
// that principal in the request's context, slows down failed logins, caps
// the body, turns a panic into a 500 and writes the reference's
// trace-level access line.
type guard struct {
	next     http.Handler
	access   *access
	throttle *throttle // shared by the servers: one address, one count
	local    bool      // a unix socket
	maxBody  int64
	log      *slog.Logger
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w}
	defer g.finish(rec, r)
	p, ok := g.identify(rec, r)
	if !ok {
		return
	}
	r = r.WithContext(auth.With(r.Context(), p))
	if r.ContentLength > g.maxBody {
		writeError(rec, http.StatusRequestEntityTooLarge)
		return
	}
	// A chunked body has no length to check up front: reading past the cap
	// fails with *http.MaxBytesError, and the handler answers.
	r.Body = http.MaxBytesReader(w, r.Body, g.maxBody)
	g.next.ServeHTTP(rec, r)
}

// identify is the request's principal, or false once it has answered a
// request it refuses: 401 without valid credentials, 403 for a unix peer
// that peer_roles does not name when no account could log it in instead.
//
// Valid credentials make the principal their account, whatever else
// holds. Without credentials, a unix peer named by peer_roles gets its
// role. A server with no accounts ignores credentials, as the reference
// does when it has no password.
func (g *guard) identify(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	remote, key := r.RemoteAddr, r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		key = host
	}
	pr, isPeer := peerFrom(r.Context())
	if isPeer {
		remote, key = pr.String(), fmt.Sprintf("unix uid %d", pr.uid)
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		remote += " (certificate " + conf.PyRepr(r.TLS.PeerCertificates[0].Subject.CommonName) + ")"
	}
	if g.access.open() {
		return auth.Principal{Role: auth.Admin, Remote: remote}, true
	}
	user, pass, hasCreds := r.BasicAuth()
	if hasCreds && g.access.accounts != nil {
		if !g.throttle.wait(r.Context(), key) {
			return auth.Principal{}, false // gone while held back
		}
		if role, ok := g.access.login(user, pass); ok {
			g.throttle.succeeded(key)
			return auth.Principal{User: user, Role: role, Remote: remote}, true
		}
		g.log.Warn(fmt.Sprintf("login refused for %s from %s", conf.PyRepr(user), remote))
		if !g.throttle.failed(r.Context(), key) {
			return auth.Principal{}, false
		}
		challenge(w)
		return auth.Principal{}, false
	}
	if role, ok := g.access.peers[pr.uid]; ok && isPeer {
		return auth.Principal{User: fmt.Sprintf("uid:%d", pr.uid), Role: role, Remote: remote}, true
	}
	if g.access.accounts == nil { // peer_roles alone: no way in for others
		writeError(w, http.StatusForbidden)
		return auth.Principal{}, false
	}
	challenge(w)
	return auth.Principal{}, false
}

// challenge asks for basic credentials, as the reference does.
func challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="default"`)
	writeError(w, http.StatusUnauthorized)
}

// finish answers a panicking handler with a 500, as the reference does for
// a handler that raises, rather than let net/http drop the connection, and
// logs the request.
func (g *guard) finish(rec *recorder, r *http.Request) {
	if v := recover(); v != nil {
		if v == http.ErrAbortHandler { // the handler's own way to hang up
			panic(v)
		}
		g.log.Log(r.Context(), slog.LevelError, fmt.Sprintf("Server Error: %v\n%s", v, debug.Stack()))
		if rec.code != 0 { // too late for an error page
			panic(http.ErrAbortHandler)
		}
		writeError(rec, http.StatusInternalServerError)
	}
	if !g.log.Enabled(r.Context(), mainlog.LevelTrace) {
		return
	}
	client := r.RemoteAddr
	if g.local {
		client = "localhost:0" // what the reference shows for unix clients
	}
	code := rec.code
	if code == 0 {
		code = http.StatusOK
	}
	// The reference counts header bytes too; the body is what we know.
	g.log.Log(r.Context(), mainlog.LevelTrace, fmt.Sprintf(`%s - - [%s] "%s %s %s" %d %d`,
		client, time.Now().UTC().Format("02/Jan/2006:15:04:05 +0000"), r.Method, r.RequestURI, r.Proto, code, rec.written))
}

// writeError sends the reference's error page and closes the connection,
// since a request refused this way may still have an unread body.
func writeError(w http.ResponseWriter, code int) {
	body := fmt.Sprintf("<head>\r\n<title>Error response</title>\r\n</head>\r\n<body>\r\n<h1>Error response</h1>\r\n<p>Error code %d.\r\n<p>Message: %s.\r\n</body>\r\n",
		code, http.StatusText(code))
	h := w.Header()
	h.Set("Connection", "close")
	h.Set("Content-Type", "text/html")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	fmt.Fprint(w, body)
	lingerClose(w)
}

// linger bounds how long a closing connection is read for the rest of its
// request.
const linger = 2 * time.Second

// lingerClose closes the connection after the response, but first reads
// what the client still sends for a moment: supervisor's own http_client
// writes a spare CRLF after its request, and a socket closed under it would
// cost it a broken pipe instead of the error page (RFC 9112 section 9.6).
func lingerClose(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		return
	}
	conn, buf, err := rc.Hijack()
	if err != nil {
		return // HTTP/2 or a test recorder: the server closes as it does
	}
	defer conn.Close()
	if buf.Writer.Flush() != nil {
		return
	}
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	conn.SetReadDeadline(time.Now().Add(linger))
	io.Copy(io.Discard, conn)
}

// recorder notes the status and body size for the access line.
type recorder struct {
	http.ResponseWriter
	code    int
	written int64
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.written += int64(n)
	return n, err
}

// Flush lets streamed responses (tail -f) through the recorder.
func (r *recorder) Flush() {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	http.NewResponseController(r.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the connection's own writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
