package rpcinterface

import (
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"supervisord/actors"
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
	f, ino, err := openIno(path)
	if path == "" || err != nil {
		http.NotFound(w, r) // no log yet is a passing condition
		return
	}
	defer func() { f.Close() }()
	st, _ := f.Stat()
	w.Header().Set("Last-Modified", st.ModTime().UTC().Format(http.TimeFormat))
	w.Header().Set("Content-Type", "text/plain;charset=utf-8")
	w.Header().Set("X-Accel-Buffering", "no") // no buffering in a reverse proxy
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	var sent int64
	if size := st.Size(); size >= 1024 {
		sent = size - 1024
	}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		// A new inode at the path means the log was rotated: follow it.
		if now, err := os.Stat(path); err == nil && inode(now) != ino {
			if nf, nino, err := openIno(path); err == nil {
				f.Close()
				f, ino, sent = nf, nino, 0
			}
		}
		if st, err := f.Stat(); err == nil {
			switch size := st.Size(); {
			case size < sent:
				sent = 0
				if _, err := io.WriteString(w, "==> File truncated <==\n"); err != nil {
					return
				}
			case size > sent:
				n, err := io.Copy(w, io.NewSectionReader(f, sent, size-sent))
				sent += n
				if err != nil {
					return
				}
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

func openIno(path string) (*os.File, uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, inode(st), nil
}

func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}
