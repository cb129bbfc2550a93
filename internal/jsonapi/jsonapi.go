// Package jsonapi is the daemon's JSON API at /api/v1/, beside the XML-RPC
// API on the same servers: processes and groups, actions on them (start,
// stop, restart, signal, stdin; waiting or not), their logs (read, tail,
// follow), the config (reread, update, reload status), the daemon (state,
// shutdown, restart), the event stream with replay (/api/v1/events), the
// fleet this daemon is in, if any (/api/v1/fleet/), and the OpenAPI
// document that describes all of it (/api/v1/openapi.json).
//
// Like the XML-RPC API it is an encoding of the tree's typed service API
// (actors.Daemon) and nothing more, so the two cannot drift apart; a
// failure is the same fault on both (internal/faults), answered here as
// {"code": "BAD_NAME", "message": "BAD_NAME: web:x"} with an HTTP status
// from one table (errors.go).
//
// Every route is one row of the route table (routes.go): its method and
// path, the least role it needs (read, operate or admin, internal/auth),
// its query parameters and body, and its handler. The table is what the
// router serves and what the OpenAPI test checks against the document.
// Queries and bodies are read strictly (decode.go); a request whose
// principal lacks the route's role gets 403; every allowed mutating
// request leaves an audit line in the main log.
package jsonapi

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/auth"
	"supervisord/internal/fleet"
	"supervisord/internal/sse"
)

// Prefix is where the API is served.
const Prefix = "/api/v1"

// Control is the daemon around the tree (the XML-RPC handler holds it):
// its state as getState reports it, and its shutdown and restart, which
// set that state too, so both APIs see one daemon.
type Control interface {
	State() (code int, name string)
	Shutdown()
	Restart()
}

// Options are what the API needs from the daemon.
type Options struct {
	Tree    *actors.Daemon
	Control Control
	Config  *conf.Config // the config the daemon started with ([supervisord] settings)
	PID     int          // the daemon's pid
	Log     *slog.Logger // the main log, for audit lines
	// Reread loads the config file again (reread and update).
	Reread func() (*conf.Config, error)
	// Observe, when set, is told of every request once answered: the
	// route ("POST /processes/{name}/start"), its result ("ok" or the
	// error's code) and how long it took (the metrics' API series).
	Observe func(route, result string, took time.Duration)
	// Fleet is the fleet this daemon is in ([fleet]), which the
	// /fleet/ routes answer for (fleet.go); nil when it is in none, and
	// they answer NOT_IN_FLEET.
	Fleet fleet.Gateway
}

// Handler serves the API under Prefix.
type Handler struct {
	opts   Options
	mux    *http.ServeMux
	routes []route // as registered on mux
	cop    *http.CrossOriginProtection

	closeOnce sync.Once
	closed    chan struct{} // ends the streams
}

// New returns the API of one tree.
func New(opts Options) *Handler {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{opts: opts, mux: http.NewServeMux(), cop: http.NewCrossOriginProtection(),
		closed: make(chan struct{})}
	for _, rt := range table() {
		h.mux.HandleFunc(rt.method+" "+Prefix+rt.path, h.handle(rt))
		h.routes = append(h.routes, rt)
	}
	return h
}

// Close ends the open streams (events, log follows).
func (h *Handler) Close() { h.closeOnce.Do(func() { close(h.closed) }) }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := h.mux.Handler(r); pattern != "" {
		h.mux.ServeHTTP(w, r) // which sets the path's wildcards
		return
	}
	// Not a route: the answer says so in JSON, and which methods the path
	// takes if it is one.
	if allow := h.allowed(r); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, &Error{Code: codeMethodNotAllowed, Message: r.Method + " " + r.URL.Path + " is not served; it takes " + strings.Join(allow, ", ")})
		return
	}
	writeError(w, &Error{Code: codeNotFound, Message: "no route " + r.URL.Path + " (see " + Prefix + "/openapi.json)"})
}

// allowed is the methods the router serves at r's path.
func (h *Handler) allowed(r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, pattern := h.mux.Handler(r2); pattern != "" {
			allow = append(allow, m)
		}
	}
	return allow
}

// route is one row of the route table.
type route struct {
	method  string // GET or POST
	path    string // below Prefix, as a ServeMux pattern: /processes/{name}
	role    auth.Role
	summary string
	query   params
	body    func() body // nil: the route takes no body
	status  int         // of a success; 0 is 200
	serve   func(h *Handler, c *call) (any, error)
}

// call is one request to a route, its query and body read.
type call struct {
	w    http.ResponseWriter
	r    *http.Request
	ctx  context.Context
	q    values
	body body
}

// handle serves one route: the role check, strict input, the shutdown
// guard and the audit line, then the route's own handler.
func (h *Handler) handle(rt route) http.HandlerFunc {
	mutating := rt.method == http.MethodPost
	name := rt.method + " " + rt.path
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		result := "ok"
		if h.opts.Observe != nil {
			start := time.Now()
			defer func() { h.opts.Observe(name, result, time.Since(start)) }()
		}
		writeError := func(w http.ResponseWriter, e *Error) {
			result = e.Code
			writeError(w, e)
		}
		what := r.Method + " " + r.URL.Path
		if !auth.Allowed(ctx, rt.role) {
			p := auth.From(ctx)
			h.opts.Log.WarnContext(ctx, fmt.Sprintf("%s refused: it needs the %s role, %s has %s", what, rt.role, who(p), p.Role))
			writeError(w, &Error{Code: codeForbidden, Message: fmt.Sprintf("%s needs the %s role; %s has %s", what, rt.role, who(p), p.Role)})
			return
		}
		if mutating {
			if err := h.cop.Check(r); err != nil {
				writeError(w, &Error{Code: codeForbidden, Message: "a cross-origin request cannot change anything: " + err.Error()})
				return
			}
		}
		q, err := parseQuery(r.URL.RawQuery, rt.query)
		if err != nil {
			writeError(w, badRequest(err.Error()))
			return
		}
		c := &call{w: w, r: r, ctx: ctx, q: q}
		if e := readBody(w, r, rt, c); e != nil {
			writeError(w, e)
			return
		}
		if mutating {
			if code, name := h.opts.Control.State(); name != "RUNNING" {
				writeError(w, &Error{Code: "SHUTDOWN_STATE", Message: fmt.Sprintf("SHUTDOWN_STATE: the daemon is %s (%d)", name, code)})
				return
			}
			auth.Audit(h.opts.Log, ctx, what, auditArgs(q, c.body)...)
		}
		v, err := rt.serve(h, c)
		switch {
		case err != nil:
			writeError(w, apiError(err, ""))
		case v != nil: // nil: a stream, written already
			writeJSON(w, cmp.Or(rt.status, http.StatusOK), v)
		}
	}
}

func who(p auth.Principal) string {
	if p.User == "" {
		return "(anonymous)"
	}
	return p.User
}

// readBody reads the route's body into c, or makes sure there is none.
func readBody(w http.ResponseWriter, r *http.Request, rt route, c *call) *Error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if rt.body == nil {
		var one [1]byte
		if n, _ := r.Body.Read(one[:]); n > 0 {
			return badRequest("this route takes no body")
		}
		return nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return &Error{Code: codeMediaType, Message: "the body must be application/json, not " + ct}
		}
	}
	b := rt.body()
	if err := decodeBody(r.Body, b); err != nil {
		return apiError(err, "")
	}
	c.body = b
	return nil
}

// auditArgs is what the audit line says of a request's query and body.
func auditArgs(q values, b body) []string {
	var args []string
	for name, v := range q {
		args = append(args, name+"="+v)
	}
	sort.Strings(args)
	if b != nil {
		args = append(args, b.auditArgs()...)
	}
	return args
}

// streamDone is closed when a stream must end (sse.Until).
func (h *Handler) streamDone(ctx context.Context) <-chan struct{} {
	var down <-chan struct{}
	if h.opts.Tree != nil { // the fleet's streams need no tree
		down = h.opts.Tree.Done()
	}
	return sse.Until(ctx, h.closed, down)
}

// Routes lists the routes served, as "METHOD /api/v1/path", sorted.
func (h *Handler) Routes() []string {
	out := make([]string, len(h.routes))
	for i, rt := range h.routes {
		out[i] = rt.method + " " + Prefix + rt.path
	}
	slices.Sort(out)
	return out
}
