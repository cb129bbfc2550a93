package httpserver

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"supervisord/internal/mainlog"
)

// guard stands in front of the caller's handler on one server: it checks
// credentials, caps the body, turns a panic into a 500 and writes the
// reference's trace-level access line.
type guard struct {
	next       http.Handler
	user, pass string // no authentication when user is ""
	local      bool   // a unix socket
	maxBody    int64
	log        *slog.Logger
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w}
	defer g.finish(rec, r)
	if g.user != "" && !g.authorized(r) {
		rec.Header().Set("WWW-Authenticate", `Basic realm="default"`)
		writeError(rec, http.StatusUnauthorized)
		return
	}
	if r.ContentLength > g.maxBody {
		writeError(rec, http.StatusRequestEntityTooLarge)
		return
	}
	// A chunked body has no length to check up front: reading past the cap
	// fails with *http.MaxBytesError, and the handler answers.
	r.Body = http.MaxBytesReader(w, r.Body, g.maxBody)
	g.next.ServeHTTP(rec, r)
}

// authorized checks basic credentials against the configured ones, the
// password either plain or "{SHA}" and the hex SHA-1 of it, in constant
// time.
func (g *guard) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	want := g.pass
	if digest, ok := strings.CutPrefix(want, "{SHA}"); ok {
		sum := sha1.Sum([]byte(pass))
		pass, want = hex.EncodeToString(sum[:]), digest
	}
	userOK := subtle.ConstantTimeCompare([]byte(user), []byte(g.user))
	passOK := subtle.ConstantTimeCompare([]byte(pass), []byte(want))
	return userOK&passOK == 1
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
