package webui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"supervisord/actors"
	"supervisord/internal/sse"
)

// Tail view limits.
const (
	// defaultLimit is how much of the log the page starts with; the
	// reference's limit= may raise it, never lower it.
	defaultLimit = 1024
	// maxLimit caps limit= so one request cannot read a whole huge log.
	maxLimit = 4 << 20
)

// tailPage is what tail.html renders.
type tailPage struct {
	Page        string // the page showing the log: tail.html or process.html
	Title       string
	Processname string
	Channel     string // stdout or stderr
	Limit       int
	Text        string
	Offset      int64 // the log's size when Text was read: the stream goes on from there
	Follow      bool  // the process has a log file to follow
	Placeholder bool  // Text is a message, not the log's
}

// logParams reads processname=, channel= and limit=, as the tail view and
// the process page take them.
func logParams(form url.Values) tailPage {
	p := tailPage{Processname: form.Get("processname"), Channel: "stdout", Limit: defaultLimit}
	if form.Get("channel") == "stderr" {
		p.Channel = "stderr"
	}
	if n, err := strconv.Atoi(form.Get("limit")); err == nil && n > 0 {
		p.Limit = min(max(n, defaultLimit), maxLimit)
	}
	return p
}

// tail serves tail.html?processname=x[&limit=n][&channel=stderr]: the end
// of the log, as the reference shows it, which the page's script then
// follows as it grows.
func (h *Handler) tail(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p := logParams(r.Form)
	p.Page = "tail.html"
	switch {
	case p.Processname == "":
		p.Title = "Supervisor tail of process None"
		p.Text, p.Placeholder = "No process name found", true
	default:
		p.Title = "Supervisor tail of process " + p.Processname
		if p.Channel == "stderr" {
			p.Title += " (stderr)"
		}
		p.Text, p.Offset, p.Follow, p.Placeholder = h.readTail(r, p.Processname, p.Channel, p.Limit)
	}
	h.writePage(w, http.StatusOK, "tail.html", p)
}

// readTail is the last limit bytes of the log, the log's size, and whether
// there is a file to follow; a fault is worded as the reference words it
// (placeholder is then true).
func (h *Handler) readTail(r *http.Request, spec, channel string, limit int) (text string, size int64, follow, placeholder bool) {
	ctx := r.Context()
	t, err := h.opts.Tree.Resolve(ctx, spec)
	if err == nil && t.Process == nil {
		err = actors.ErrBadName
	}
	if err != nil {
		return "ERROR: " + unexpected(err, spec), 0, false, true
	}
	p, stream := t.Process, actors.Stream(channel)
	data, next, _, err := h.opts.Tree.TailLog(ctx, p.Group, p.Name, stream, 0, int64(limit))
	if err != nil {
		return "ERROR: " + unexpected(err, spec), 0, false, true
	}
	text, size = string(data), next
	path, _ := h.opts.Tree.LogPath(ctx, p.Group, p.Name, stream)
	follow = path != ""
	if text == "" && size == 0 {
		// A tail says nothing of a missing file; a read does, as the
		// reference's page shows.
		if _, err := h.opts.Tree.ReadLog(ctx, p.Group, p.Name, stream, -int64(limit), 0); errors.Is(err, actors.ErrNoFile) {
			return "No file for " + spec, 0, follow, true
		}
	}
	return text, size, follow, false
}

// logPath is the log file of a process, "" when it has none.
func (h *Handler) logPath(r *http.Request, spec, channel string) string {
	t, err := h.opts.Tree.Resolve(r.Context(), spec)
	if err != nil || t.Process == nil {
		return ""
	}
	path, _ := h.opts.Tree.LogPath(r.Context(), t.Process.Group, t.Process.Name, actors.Stream(channel))
	return path
}

// tailEvents streams a log from offset= (or the browser's Last-Event-ID
// after a reconnect; else its last KiB) as it grows: see sse.FollowLog.
func (h *Handler) tailEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	channel := "stdout"
	if q.Get("channel") == "stderr" {
		channel = "stderr"
	}
	path := h.logPath(r, q.Get("processname"), channel)
	if path == "" {
		http.NotFound(w, r)
		return
	}
	off := int64(-defaultLimit) // the last KiB of the first file, unless the page says where it is
	if v, err := strconv.ParseInt(q.Get("offset"), 10, 64); err == nil && v >= 0 {
		off = v
	}
	if v, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil && v >= 0 {
		off = v
	}
	out := sse.Start(w)
	defer out.End()
	sse.FollowLog(out, path, off, h.streamDone(r.Context()))
}
