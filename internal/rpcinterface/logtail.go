package rpcinterface

import (
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"supervisord/actors"
	"supervisord/internal/logfile"
)

// LogTail serves GET /logtail/<name>[/<stdout|stderr>], the stream behind
// `supervisorctl tail -f`: the last KiB of the log, then whatever is
// appended, across rotations, until the client goes away.
func (h *Handler) LogTail(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "GET only", http.StatusBadRequest)
		return
	}
	rest := strings.TrimLeft(strings.TrimPrefix(strings.TrimLeft(r.URL.Path, "/"), "logtail"), "/")
	name, channel, ok := strings.Cut(rest, "/")
	if !ok {
		channel = "stdout"
	}
	if channel != "stdout" && channel != "stderr" {
		http.NotFound(w, r)
		return
	}
	p, _, err := h.lookupProcess(r.Context(), []any{name})
	if err != nil {
		http.NotFound(w, r)
		return
	}
	path, err := h.opts.Tree.LogPath(r.Context(), p.Group, p.Name, actors.Stream(channel))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	follow(w, r, path)
}

// MainLogTail serves GET /mainlogtail, the stream behind `maintail -f`.
func (h *Handler) MainLogTail(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "GET only", http.StatusBadRequest)
		return
	}
	follow(w, r, h.mainLogPath())
}

// pollEvery is how often a followed log is checked for growth, as often
// as the reference does.
const pollEvery = 100 * time.Millisecond

func follow(w http.ResponseWriter, r *http.Request, path string) {
	st, err := os.Stat(path)
	if path == "" || err != nil {
		http.NotFound(w, r) // no log yet is a passing condition
		return
	}
	fl := logfile.Follow(path, -1024) // the last KiB first, then what is appended, across rotations
	defer fl.Close()
	w.Header().Set("Last-Modified", st.ModTime().UTC().Format(http.TimeFormat))
	w.Header().Set("Content-Type", "text/plain;charset=utf-8")
	w.Header().Set("X-Accel-Buffering", "no") // no buffering in a reverse proxy
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	buf := make([]byte, 32<<10)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		for {
			n, change, err := fl.Next(buf)
			if change == logfile.Truncated {
				if _, err := io.WriteString(w, "==> File truncated <==\n"); err != nil {
					return
				}
			}
			if err != nil || n == 0 && change == logfile.NoChange {
				break // nothing new; a read error is tried again at the next tick
			}
			if _, err := w.Write(buf[:n]); err != nil {
				return
			}
		}
		if flusher != nil {
			flusher.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}
