package webui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"supervisord/actors"
	"supervisord/internal/logfile"
)

// Tail view limits.
const (
	// defaultLimit is how much of the log the page starts with; the
	// reference's limit= may raise it, never lower it.
	defaultLimit = 1024
	// maxLimit caps limit= so one request cannot read a whole huge log.
	maxLimit = 4 << 20
	// pollEvery is how often a followed log is checked for growth.
	pollEvery = 100 * time.Millisecond
	// maxChunk is the most one event carries; maxBacklog the most a
	// stream catches up on before it skips ahead to the end.
	maxChunk   = 64 << 10
	maxBacklog = 1 << 20
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
// after a reconnect; else its last KiB) as it grows. Each event's data is
// {"t": text} and its id the offset after it; a "reset" event
// {"reason": "truncated"|"rotated"|"skipped", "skipped": n} says the stream
// goes on elsewhere in the log. Text is cut only between characters.
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
	out := startSSE(w)
	defer out.end()
	if out.retry(retryMillis) != nil {
		return
	}
	fl := &follower{log: logfile.Follow(path, off), out: out}
	defer fl.log.Close()
	done := h.streamDone(r.Context())
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	idle := 0
	for {
		sent, err := fl.poll()
		if err != nil {
			return
		}
		if sent {
			idle = 0
		} else if idle++; idle*int(pollEvery) >= int(keepAlive) {
			idle = 0
			if out.comment("ping") != nil {
				return
			}
		}
		select {
		case <-done:
			return
		case <-tick.C:
		}
	}
}

// follower sends what is appended to a log file, across truncation and
// rotation (a new file at the path).
type follower struct {
	log  *logfile.Follower
	out  *sse
	buf  []byte
	held int // buf's first bytes: a character still being written, sent when whole
}

// poll sends what is new; sent reports whether anything was. It fails only
// when the client is gone.
func (fl *follower) poll() (sent bool, err error) {
	if fl.buf == nil {
		fl.buf = make([]byte, maxChunk)
	}
	for {
		if backlog := fl.log.Pending(); backlog > maxBacklog {
			skip := backlog - maxChunk
			fl.log.SetOffset(fl.log.Offset() + skip)
			skip, fl.held = skip+int64(fl.held), 0
			if err := fl.reset("skipped", skip); err != nil {
				return sent, err
			}
			sent = true
		}
		n, change, err := fl.log.Next(fl.buf[fl.held:])
		switch {
		case err != nil:
			return sent, nil // tried again at the next poll
		case change != logfile.NoChange:
			fl.held = 0
			if err := fl.reset(change.String(), 0); err != nil {
				return sent, err
			}
			sent = true
			continue
		case n == 0:
			return sent, nil
		}
		n += fl.held
		whole := wholeRunes(fl.buf[:n])
		if whole > 0 {
			id := strconv.FormatInt(fl.log.Offset()-int64(n-whole), 10)
			if err := fl.out.send("", id, map[string]string{"t": string(fl.buf[:whole])}); err != nil {
				return sent, err
			}
			sent = true
		}
		fl.held = copy(fl.buf, fl.buf[whole:n])
	}
}

func (fl *follower) reset(reason string, skipped int64) error {
	return fl.out.send("reset", strconv.FormatInt(fl.log.Offset(), 10), map[string]any{"reason": reason, "skipped": skipped})
}

// wholeRunes is how much of b ends on a character boundary: it leaves out
// an incomplete UTF-8 sequence at the end (invalid bytes are not held).
func wholeRunes(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return len(b)
			}
			return i
		}
	}
	return len(b)
}
