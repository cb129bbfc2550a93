package rpcinterface

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/fleet"
	"supervisord/internal/mainlog"
	"supervisord/protocol/xmlrpc"
)

// Daemon states as getState reports them.
const (
	StateFatal      = 2
	StateRunning    = 1
	StateRestarting = 0
	StateShutdown   = -1
)

var stateNames = map[int]string{StateFatal: "FATAL", StateRunning: "RUNNING", StateRestarting: "RESTARTING", StateShutdown: "SHUTDOWN"}

// Options are what the API needs from the daemon around the tree.
type Options struct {
	Tree   *actors.Daemon
	Config *conf.Config // the config the daemon started with ([supervisord] settings)
	PID    int          // the daemon's pid
	Log    *slog.Logger // the main log
	// ReopenMainLog reopens the main log after clearLog removed its file.
	ReopenMainLog func() error
	// RotateMainLog rotates the main log now (rotateLog); nil when there
	// is no main log file.
	RotateMainLog func() error
	// Shutdown and Restart ask the daemon to exit or to restart (as SIGTERM
	// and SIGHUP do); they return at once.
	Shutdown, Restart func()
	// Reread loads the config file again for reloadConfig.
	Reread func() (*conf.Config, error)
	// Upgrade asks the daemon to re-execute itself as path (an absolute
	// path to an executable file, checked already) and returns the
	// attempt's number at once; UpgradeStatus tells how attempts went
	// (upgrade.go). Nil when the daemon cannot upgrade.
	Upgrade       func(path string) (attempt int, err error)
	UpgradeStatus func() UpgradeStatus
	// Observe, when set, is told of every request once it is answered:
	// the method ("unknown" for a name the API does not have), the
	// result ("ok", the fault code's name, or "error" for an HTTP 500),
	// and how long reading, running and answering it took.
	Observe func(method, result string, took time.Duration)
	// Fleet is the fleet this daemon is in ([fleet]), which the fleet.*
	// methods answer for (fleet.go); nil when it is in none, and they
	// fail.
	Fleet fleet.Gateway
}

// Handler serves XML-RPC calls at /RPC2.
type Handler struct {
	opts    Options
	state   atomic.Int32
	methods map[string]method
}

// New returns the API for one tree. It reports RUNNING until SetState says
// otherwise.
func New(opts Options) *Handler {
	h := &Handler{opts: opts}
	h.state.Store(StateRunning)
	h.methods = h.table()
	return h
}

// SetState records that the daemon is shutting down or restarting: from then
// on most methods fail with SHUTDOWN_STATE, as in the reference.
func (h *Handler) SetState(s int) { h.state.Store(int32(s)) }

// State is the daemon's state as getState reports it: its code and name
// (RUNNING, RESTARTING, SHUTDOWN).
func (h *Handler) State() (code int, name string) {
	code = int(h.state.Load())
	return code, stateNames[code]
}

// Shutdown marks the daemon as shutting down and asks it to exit
// (Options.Shutdown), as supervisor.shutdown does; it returns at once.
// The JSON API's shutdown is this call too.
func (h *Handler) Shutdown() {
	h.SetState(StateShutdown)
	h.opts.Shutdown()
}

// Restart is Shutdown for a restart (Options.Restart).
func (h *Handler) Restart() {
	h.SetState(StateRestarting)
	h.opts.Restart()
}

// maxBody bounds a request; the largest real calls (a multicall, stdin data)
// are far smaller.
const maxBody = 4 << 20

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodPost {
		http.Error(w, "XML-RPC takes POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	name, params, err := xmlrpc.ParseCall(body)
	if err != nil {
		h.opts.Log.Error("XML-RPC request data is invalid: " + err.Error())
		http.Error(w, "bad XML-RPC request", http.StatusBadRequest)
		return
	}
	h.opts.Log.Log(r.Context(), mainlog.LevelTrace, "XML-RPC method called: "+name+"()")
	v, err := h.Call(r.Context(), name, params)
	defer h.observe(name, err, start)
	var out []byte
	var ie *internalError
	if errors.As(err, &ie) {
		h.opts.Log.Log(r.Context(), mainlog.LevelCritical, "Handling XML-RPC request "+name+" raised an unexpected exception: "+ie.msg)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	if err != nil {
		f := asFault(err, "")
		out = xmlrpc.EncodeFault(f.Code, f.Text)
	} else {
		out = xmlrpc.EncodeResponse(v)
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Write(out)
}

// Call runs one method, as system.multicall does for each of its calls:
// FORBIDDEN when the request's principal lacks the method's role
// (roles.go), and an audit line in the main log for each call allowed that
// changes something.
func (h *Handler) Call(ctx context.Context, name string, params []any) (any, error) {
	m, ok := h.methods[name]
	if !ok {
		return nil, fault(xmlrpc.FaultUnknownMethod)
	}
	if err := authorize(ctx, name); err != nil {
		return nil, err
	}
	if len(params) < m.required || len(params) > len(m.sig)-1 {
		return nil, fault(xmlrpc.FaultIncorrectParameters)
	}
	if m.guarded && h.state.Load() != StateRunning {
		return nil, fault(xmlrpc.FaultShutdownState)
	}
	h.audit(ctx, name, params)
	return m.fn(ctx, params)
}

// observe tells Options.Observe of an answered request.
func (h *Handler) observe(name string, err error, start time.Time) {
	if h.opts.Observe == nil {
		return
	}
	if _, ok := h.methods[name]; !ok {
		name = "unknown" // any name can be sent: the label set stays bounded
	}
	result := "ok"
	var ie *internalError
	switch {
	case errors.As(err, &ie):
		result = "error"
	case err != nil:
		result = xmlrpc.FaultName(asFault(err, "").Code)
	}
	h.opts.Observe(name, result, time.Since(start))
}
