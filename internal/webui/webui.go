// Package webui is the daemon's web page: the reference's status page and
// tail view at the reference's URLs, made live, and two pages of its own: a
// process page (its CPU and memory over the last hour, its starts and exits
// on a timeline, its log with search) and an events page (the event bus,
// live); on a node of a fleet, a fleet view too (every node's processes in
// a grid, live, with the same actions; see fleet.go). The process table follows the event bus over server-sent events,
// the tail view follows the log as it grows, and the page works without
// JavaScript (plain forms) and on a phone. Everything it serves is embedded
// in the binary; it makes no request to any other site.
//
// Reads and actions go to the tree's service API (actors.Daemon), the one
// the XML-RPC API encodes too; failures are worded with the API's fault
// codes and texts, as the reference's page, an XML-RPC client of its own
// daemon, shows them.
// Authentication is the server's (package httpserver), which puts the
// caller's auth.Principal in each request: an action the caller's role may
// not take (the role of the XML-RPC method that does the same) is refused
// with 403, and each one taken is written to the main log (auth.Audit); a
// principal below Operate sees no action buttons, one below Admin no
// "Clear log".
// This package also guards against cross-site requests: actions are refused when the browser says
// they come from another origin (Sec-Fetch-Site, Origin), which leaves
// scripts using the reference's GET URLs (curl, wget) working.
package webui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/fleet"
	"supervisord/internal/sse"
	"supervisord/protocol/events"
)

// Tree is the service the page reads and acts through (*actors.Daemon).
type Tree interface {
	Groups(ctx context.Context) ([]*conf.Group, error)
	Status(ctx context.Context) ([]actors.ProcessInfo, error)
	Info(ctx context.Context, group, name string) (actors.ProcessInfo, error)
	Resolve(ctx context.Context, spec string) (actors.Target, error)
	Start(ctx context.Context, group, name string, wait bool) error
	Stop(ctx context.Context, group, name string, wait bool) error
	StartGroup(ctx context.Context, name string, wait bool) ([]actors.Outcome, error)
	StopGroup(ctx context.Context, name string, wait bool) ([]actors.Outcome, error)
	RestartGroup(ctx context.Context, name string, wait bool) ([]actors.Outcome, error)
	StartAll(ctx context.Context, wait bool) ([]actors.Outcome, error)
	StopAll(ctx context.Context, wait bool) ([]actors.Outcome, error)
	RestartAll(ctx context.Context, wait bool) ([]actors.Outcome, error)
	ClearLogs(ctx context.Context, group, name string) error
	LogPath(ctx context.Context, group, name string, stream actors.Stream) (string, error)
	ReadLog(ctx context.Context, group, name string, stream actors.Stream, offset, length int64) ([]byte, error)
	TailLog(ctx context.Context, group, name string, stream actors.Stream, offset, length int64) ([]byte, int64, bool, error)
	Subscribe(ctx context.Context, types []events.Type, fn func(serial int64, ev events.Event)) (cancel func(), err error)
	Why(ctx context.Context, specs []string, disk *conf.Config) ([]actors.Explanation, error)
	RollingRestart(ctx context.Context, specs []string, maxUnavailable int, progress func(actors.Outcome)) ([]actors.Outcome, error)
	Scale(ctx context.Context, group string, n int) error
	Enable(ctx context.Context, group, name string, who actors.Operator) error
	Done() <-chan struct{}
}

// Options are what the page needs from the daemon.
type Options struct {
	Tree       Tree
	Log        *slog.Logger // the main log
	Identifier string       // [supervisord] identifier, shown in the header
	// Reread reads the config on disk again, for the process page's
	// explanation of how it differs; nil: not compared.
	Reread func() (*conf.Config, error)
	// History is a process's recent resource use and its starts and exits
	// (the metrics' per-process history), served as /history.json for the
	// process page's charts; false when it has none. Its value marshals to
	// the JSON the page's script draws (see history in process.go). Nil:
	// no history is kept, and the process page shows its log alone.
	History func(group, name string) (any, bool)
	// Fleet is the fleet this daemon is a node of, shown and acted on at
	// /fleet.html and linked from the other pages' headers. Nil: not in a
	// fleet, and /fleet.html is not found.
	Fleet fleet.Gateway
}

//go:embed assets
var assetFS embed.FS

var (
	assets    = mustSub(assetFS, "assets")
	templates = template.Must(template.New("").Funcs(template.FuncMap{
		"asset": assetURL,
		"inc":   func(n int) int { return n + 1 },
	}).ParseFS(assets, "*.html"))
	// etags are the static files' content hashes: they are revalidated on
	// every load, and a new binary never serves a stale script.
	etags = hashAssets()
)

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

func hashAssets() map[string]string {
	m := map[string]string{}
	entries, _ := fs.ReadDir(assets, ".")
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".html") {
			continue // templates, not served as they are
		}
		b, _ := fs.ReadFile(assets, e.Name())
		sum := sha256.Sum256(b)
		m[e.Name()] = hex.EncodeToString(sum[:8])
	}
	return m
}

// assetURL is a static file's URL, relative so that the page also works
// behind a proxy that serves it under a path prefix; the hash busts
// caches across upgrades.
func assetURL(name string) string { return "ui/" + name + "?v=" + etags[name] }

// Handler serves the page at /, /index.html, /tail.html, /ok.html,
// /process.html, /history.json, /events.html, /fleet.html (on a node of a
// fleet) and its own resources under /ui/. Anything else is not found.
type Handler struct {
	opts Options
	mux  *http.ServeMux
	cop  *http.CrossOriginProtection
	hub  *hub

	kicks kicks // the open fleet streams

	closeOnce sync.Once
	closed    chan struct{} // ends the streams
}

// New returns the page of one tree. It subscribes to the tree's events for
// the live view and fails only when the tree is already down; Close
// cancels the subscription and ends open streams.
func New(ctx context.Context, opts Options) (*Handler, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{opts: opts, mux: http.NewServeMux(), cop: http.NewCrossOriginProtection(),
		closed: make(chan struct{})}
	hub, err := newHub(ctx, opts.Tree)
	if err != nil {
		return nil, err
	}
	h.hub = hub
	h.mux.HandleFunc("GET /{$}", h.status)
	h.mux.HandleFunc("POST /{$}", h.status)
	h.mux.HandleFunc("GET /index.html", h.status)
	h.mux.HandleFunc("POST /index.html", h.status)
	h.mux.HandleFunc("GET /tail.html", h.tail)
	h.mux.HandleFunc("POST /tail.html", h.tail)
	h.mux.HandleFunc("GET /ok.html", ok)
	h.mux.HandleFunc("POST /ok.html", ok)
	h.mux.HandleFunc("GET /process.html", h.process)
	h.mux.HandleFunc("GET /history.json", h.history)
	h.mux.HandleFunc("GET /events.html", h.eventsPage)
	h.mux.HandleFunc("GET /ui/events", h.statusEvents)
	h.mux.HandleFunc("GET /ui/tail", h.tailEvents)
	h.mux.HandleFunc("GET /ui/bus", h.busEvents)
	h.mux.HandleFunc("GET /fleet.html", h.fleetView)
	h.mux.HandleFunc("POST /fleet.html", h.fleetAct)
	h.mux.HandleFunc("GET /ui/fleet", h.fleetEvents)
	h.mux.HandleFunc("GET /ui/{file}", serveAsset)
	return h, nil
}

// Close ends the live streams and the event subscription.
func (h *Handler) Close() {
	h.closeOnce.Do(func() {
		close(h.closed)
		h.hub.close()
	})
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// Scripts and styles come from files only, and no other site may frame
	// the page to trick a click on its buttons.
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	h.mux.ServeHTTP(w, r)
}

// streamDone is closed when a stream must end (sse.Until).
func (h *Handler) streamDone(ctx context.Context) <-chan struct{} {
	return sse.Until(ctx, h.closed, h.opts.Tree.Done())
}

func ok(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte("OK"))
}

func serveAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	tag, found := etags[name]
	if !found {
		http.NotFound(w, r)
		return
	}
	f, err := assets.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	w.Header().Set("ETag", `"`+tag+`"`)
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, path.Base(name), time.Time{}, f.(io.ReadSeeker)) // embed's files seek
}

// noCache marks a generated page as the reference does.
func noCache(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Pragma", "no-cache")
	h.Set("Cache-Control", "no-cache")
	h.Set("Expires", "Thu, 01 Jan 1970 00:00:00 GMT")
}

// writePage writes a generated page: template name with data.
func (h *Handler) writePage(w http.ResponseWriter, code int, name string, data any) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		h.opts.Log.Error("web interface error: " + err.Error())
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	noCache(w)
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

// crossSite reports why a request that changes something must be refused:
// a browser says it comes from another origin. Requests without those
// headers (scripts, old browsers) pass, as with http.CrossOriginProtection,
// which it applies to GET as well.
func (h *Handler) crossSite(r *http.Request) error {
	if r.Method == http.MethodPost {
		return h.cop.Check(r)
	}
	r2 := r.Clone(r.Context())
	r2.Method = http.MethodPost
	return h.cop.Check(r2)
}
