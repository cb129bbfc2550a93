package webui

// The process page: one process's row (live, with the buttons its viewer
// may use), its CPU and memory over the last hour and its starts and exits
// (drawn by process.js from /history.json), and its log, followed and
// searchable.

import (
	"net/http"

	"supervisord/conf"
	"supervisord/internal/rpcinterface"
)

// processPage is what process.html renders.
type processPage struct {
	Identifier, Version string
	Namespec            string // as the table writes it; "" for no such process
	Message             string // why there is nothing to show
	Groups              []group
	History             bool // the daemon keeps a history to draw
	Log                 tailPage
	Fleet               bool // the daemon is a node of a fleet: link its view
	// Why is why the process is in its state (supervisorctl why), as the
	// page was made; WhyOK whether that is where its config wants it.
	Why   string
	WhyOK bool
}

// process serves process.html?processname=x[&channel=stderr][&limit=n].
// Without script it shows the row and the log as they were.
func (h *Handler) process(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p := processPage{Identifier: h.opts.Identifier, Version: rpcinterface.Version, Log: logParams(r.Form),
		Fleet: h.opts.Fleet != nil}
	spec := p.Log.Processname
	t, err := h.opts.Tree.Resolve(r.Context(), spec)
	switch {
	case spec == "":
		p.Message = "No process name found"
	case err != nil || t.Process == nil:
		p.Message = "No such process named " + spec
	}
	if p.Message != "" {
		h.writePage(w, http.StatusNotFound, "process.html", p)
		return
	}
	p.Namespec = conf.Namespec(t.Process.Group, t.Process.Name)
	p.Log.Processname, p.Log.Page = p.Namespec, "process.html"
	p.Groups = only(h.table(r.Context()), p.Namespec)
	p.History = h.opts.History != nil
	var disk *conf.Config
	if h.opts.Reread != nil {
		disk, _ = h.opts.Reread() // a config that does not load is not compared
	}
	if ex, err := h.opts.Tree.Why(r.Context(), []string{p.Namespec}, disk); err == nil && len(ex) == 1 {
		p.Why, p.WhyOK = ex[0].Text, ex[0].OK
	}
	p.Log.Text, p.Log.Offset, p.Log.Follow, p.Log.Placeholder = h.readTail(r, p.Namespec, p.Log.Channel, p.Log.Limit)
	h.writePage(w, http.StatusOK, "process.html", p)
}

// apiError is a JSON answer's failure.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// history serves /history.json?processname=x: Options.History's value for
// the process, as JSON. The process page's script reads it as
//
//	{"group": "g", "name": "n", "interval_seconds": 10,
//	 "samples": [{"time": RFC 3339, "pid": 123, "cpu_seconds": 1.5,
//	              "cpu_percent": 12.5, "rss_bytes": 1048576}, ...],
//	 "marks": [{"time": RFC 3339, "kind": "start"|"exit"|"fatal",
//	            "state": "STARTING"|"EXITED"|..., "pid": 123,
//	            "exit_code": 0, "signal": "SIGKILL", "expected": true}, ...]}
//
// (a mark's pid, exit_code, signal and expected may be absent). A process
// that does not exist is 404 {"code": "BAD_NAME"}, one with no history (or
// a daemon that keeps none) 404 {"code": "NO_HISTORY"}.
func (h *Handler) history(w http.ResponseWriter, r *http.Request) {
	spec := r.URL.Query().Get("processname")
	t, err := h.opts.Tree.Resolve(r.Context(), spec)
	if err != nil || t.Process == nil {
		writeJSON(w, http.StatusNotFound, apiError{"BAD_NAME", "No such process named " + spec})
		return
	}
	namespec := conf.Namespec(t.Process.Group, t.Process.Name)
	if h.opts.History == nil {
		writeJSON(w, http.StatusNotFound, apiError{"NO_HISTORY", "no history is kept"})
		return
	}
	v, ok := h.opts.History(t.Process.Group, t.Process.Name)
	if !ok {
		writeJSON(w, http.StatusNotFound, apiError{"NO_HISTORY", "no history of " + namespec})
		return
	}
	writeJSON(w, http.StatusOK, v)
}
