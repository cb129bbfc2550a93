package httpserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"supervisord/conf"
	"supervisord/internal/mainlog"
	"supervisord/testkit"
)

// captured is a slog handler keeping every record's level and message.
type captured struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (c *captured) Enabled(context.Context, slog.Level) bool { return true }
func (c *captured) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, r)
	return nil
}
func (c *captured) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *captured) WithGroup(string) slog.Handler      { return c }

// at lists the messages logged at level.
func (c *captured) at(level slog.Level) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var msgs []string
	for _, r := range c.recs {
		if r.Level == level {
			msgs = append(msgs, r.Message)
		}
	}
	return msgs
}

type fixture struct {
	srv    *Servers
	logs   *captured
	stderr *testkit.SyncBuffer
}

func testSettings() settings {
	set := defaults
	set.grace = 200 * time.Millisecond
	return set
}

func startWith(t *testing.T, cfg *conf.Config, h http.Handler, set settings) (*fixture, error) {
	t.Helper()
	f := &fixture{logs: &captured{}, stderr: &testkit.SyncBuffer{}}
	set.stderr = f.stderr
	srv, err := start(cfg, h, slog.New(f.logs), set)
	if err != nil {
		return f, err
	}
	f.srv = srv
	t.Cleanup(func() { srv.Close() })
	return f, nil
}

func mustStart(t *testing.T, cfg *conf.Config, h http.Handler) *fixture {
	t.Helper()
	f, err := startWith(t, cfg, h, testSettings())
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return f
}

// shortDir is a temporary directory with a short path: socket paths (plus
// the ".pid" of the temporary name) must fit in 108 bytes.
func shortDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "hs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func unixServer(path string) *conf.UnixHTTPServer {
	return &conf.UnixHTTPServer{File: path, Chmod: 0o700, ChownUID: -1, ChownGID: -1}
}

func localInet() *conf.InetHTTPServer { return &conf.InetHTTPServer{Host: "127.0.0.1"} }

func unixClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })

// staleSocket leaves a socket file nobody listens on, as a killed daemon does.
func staleSocket(t *testing.T, path string) {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
}

func TestUnixBind(t *testing.T) {
	tests := []struct {
		name       string
		prepare    func(t *testing.T, path string) // what is at path before Start
		wantErr    string                          // "" for success
		wantErrno  error
		wantStderr string
	}{
		{name: "fresh", prepare: func(*testing.T, string) {}},
		{
			name:       "stale socket replaced",
			prepare:    staleSocket,
			wantStderr: "Unlinking stale socket %s\n",
		},
		{
			name: "live socket refused",
			prepare: func(t *testing.T, path string) {
				ln, err := net.Listen("unix", path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { ln.Close() })
			},
			wantErr:   inUseText,
			wantErrno: syscall.EADDRINUSE,
		},
		{
			name: "regular file kept",
			prepare: func(t *testing.T, path string) {
				if err := os.WriteFile(path, []byte("data"), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			wantErr:   "Cannot open an HTTP server: %s exists and is not a socket",
			wantErrno: syscall.EEXIST,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(shortDir(t), "s.sock")
			tt.prepare(t, path)
			before, _ := os.Lstat(path)
			cfg := &conf.Config{UnixHTTPServers: []*conf.UnixHTTPServer{unixServer(path)}}
			f, err := startWith(t, cfg, ok, testSettings())
			if tt.wantErr != "" {
				want := strings.ReplaceAll(tt.wantErr, "%s", path)
				if err == nil || err.Error() != want {
					t.Fatalf("err = %v, want %q", err, want)
				}
				if !errors.Is(err, tt.wantErrno) {
					t.Errorf("errors.Is(%v, %v) = false", err, tt.wantErrno)
				}
				if after, _ := os.Lstat(path); !os.SameFile(before, after) {
					t.Errorf("%s was replaced", path)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := f.stderr.String(), strings.ReplaceAll(tt.wantStderr, "%s", path); got != want {
				t.Errorf("stderr = %q, want %q", got, want)
			}
			get(t, unixClient(path), "http://localhost/", http.StatusOK)
			if _, err := os.Lstat(path + "." + strconv.Itoa(os.Getpid())); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("temporary socket left behind: %v", err)
			}
		})
	}
}

func get(t *testing.T, c *http.Client, url string, want int) *http.Response {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %s, want %d", url, resp.Status, want)
	}
	return resp
}

func TestUnixBindErrors(t *testing.T) {
	dir := shortDir(t)
	tests := []struct {
		name string
		path string
		want string
	}{
		{"missing directory", filepath.Join(dir, "nodir", "s.sock"), "Cannot open an HTTP server: socket.error reported errno.ENOENT (2) for " + filepath.Join(dir, "nodir", "s.sock")},
		{"path too long", filepath.Join(dir, strings.Repeat("x", 120)), "Cannot open an HTTP server: socket.error reported errno.EINVAL (22) for " + filepath.Join(dir, strings.Repeat("x", 120))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &conf.Config{UnixHTTPServers: []*conf.UnixHTTPServer{unixServer(tt.path)}}
			if _, err := startWith(t, cfg, ok, testSettings()); err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// A directory where the socket is first bound (file=.PID, a leftover of a
// daemon that had our pid) is not removed: the reference's os.unlink
// refuses it, and binding there then fails as an address in use.
func TestUnixTemporaryNameIsADirectory(t *testing.T) {
	path := filepath.Join(shortDir(t), "s.sock")
	tmp := fmt.Sprintf("%s.%d", path, os.Getpid())
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := &conf.Config{UnixHTTPServers: []*conf.UnixHTTPServer{unixServer(path)}}
	if _, err := startWith(t, cfg, ok, testSettings()); err == nil || err.Error() != inUseText {
		t.Errorf("err = %v, want %q", err, inUseText)
	}
	if st, err := os.Stat(tmp); err != nil || !st.IsDir() {
		t.Errorf("the directory is gone: %v", err)
	}
}

func TestUnixModeAndOwner(t *testing.T) {
	tests := []struct {
		name     string
		mode     os.FileMode
		uid, gid int
	}{
		{"default mode", 0o700, -1, -1},
		{"group writable", 0o770, -1, -1},
		{"world", 0o777, -1, -1},
		{"chown", 0o700, 65534, 65534},
		{"chown group only", 0o760, -1, 65534},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.uid != -1 || tt.gid != -1) && os.Geteuid() != 0 {
				t.Skip("SKIPPED: chown needs root")
			}
			path := filepath.Join(shortDir(t), "s.sock")
			c := unixServer(path)
			c.Chmod, c.ChownUID, c.ChownGID = tt.mode, tt.uid, tt.gid
			mustStart(t, &conf.Config{UnixHTTPServers: []*conf.UnixHTTPServer{c}}, ok)
			fi, err := os.Lstat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != tt.mode {
				t.Errorf("mode = %v, want socket %v", fi.Mode(), tt.mode)
			}
			st := fi.Sys().(*syscall.Stat_t)
			wantUID, wantGID := tt.uid, tt.gid
			if wantUID == -1 {
				wantUID = os.Geteuid()
			}
			if wantGID == -1 {
				wantGID = os.Getegid()
			}
			if int(st.Uid) != wantUID || int(st.Gid) != wantGID {
				t.Errorf("owner = %d:%d, want %d:%d", st.Uid, st.Gid, wantUID, wantGID)
			}
		})
	}
}

func TestInet(t *testing.T) {
	f := mustStart(t, &conf.Config{InetHTTPServers: []*conf.InetHTTPServer{localInet()}}, ok)
	addr := f.srv.Addrs()[0].(*net.TCPAddr)
	if addr.Port == 0 || !addr.IP.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("addr = %v", addr)
	}
	get(t, http.DefaultClient, "http://"+addr.String()+"/", http.StatusOK)

	// A second daemon on the same port is refused with the reference's words.
	busy := &conf.InetHTTPServer{Host: "127.0.0.1", Port: addr.Port}
	_, err := startWith(t, &conf.Config{InetHTTPServers: []*conf.InetHTTPServer{busy}}, ok, testSettings())
	if err == nil || err.Error() != inUseText || !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("err = %v, want %q", err, inUseText)
	}
}

// A failure to bind one server leaves none listening, and no socket file.
func TestBindFailureStartsNothing(t *testing.T) {
	dir := shortDir(t)
	good := filepath.Join(dir, "good.sock")
	cfg := &conf.Config{
		InetHTTPServers: []*conf.InetHTTPServer{localInet()},
		UnixHTTPServers: []*conf.UnixHTTPServer{unixServer(good), unixServer(filepath.Join(dir, "nodir", "s.sock"))},
	}
	f, err := startWith(t, cfg, ok, testSettings())
	if err == nil {
		t.Fatal("started")
	}
	if _, err := os.Lstat(good); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s left behind: %v", good, err)
	}
	if msgs := f.logs.at(mainlog.LevelCritical); len(msgs) != 0 {
		t.Errorf("logged %q for servers never started", msgs)
	}
}

func TestLogLines(t *testing.T) {
	dir := shortDir(t)
	named := func(c *conf.UnixHTTPServer, name, user string) *conf.UnixHTTPServer {
		c.Name, c.Username, c.Password = name, user, "p"
		return c
	}
	cfg := &conf.Config{
		// Listed unix first to show that inet servers still come first.
		UnixHTTPServers: []*conf.UnixHTTPServer{
			named(unixServer(filepath.Join(dir, "a.sock")), "", ""),
			named(unixServer(filepath.Join(dir, "b.sock")), "auth", "u"),
			named(unixServer(filepath.Join(dir, "c.sock")), "it's", ""),
		},
		InetHTTPServers: []*conf.InetHTTPServer{{Name: "lan", Host: "127.0.0.1"}, {Host: "127.0.0.1"}},
	}
	f := mustStart(t, cfg, ok)
	want := []string{
		"Server 'inet_http_server:lan' running without any HTTP authentication checking",
		"Server 'inet_http_server' running without any HTTP authentication checking",
		"Server 'unix_http_server' running without any HTTP authentication checking",
		`Server "unix_http_server:it's" running without any HTTP authentication checking`,
	}
	if got := f.logs.at(mainlog.LevelCritical); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("CRIT lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	addrs := f.srv.Addrs()
	if len(addrs) != 5 || addrs[0].Network() != "tcp" || addrs[2].String() != filepath.Join(dir, "a.sock") {
		t.Errorf("Addrs() = %v", addrs)
	}

	get(t, unixClient(filepath.Join(dir, "a.sock")), "http://localhost/x?y=1", http.StatusOK)
	trace := f.logs.at(mainlog.LevelTrace)
	if len(trace) != 1 || !strings.HasPrefix(trace[0], "localhost:0 - - [") || !strings.HasSuffix(trace[0], `] "GET /x?y=1 HTTP/1.1" 200 2`) {
		t.Errorf("access lines = %q", trace)
	}
}

const page401 = "<head>\r\n<title>Error response</title>\r\n</head>\r\n<body>\r\n<h1>Error response</h1>\r\n<p>Error code 401.\r\n<p>Message: Unauthorized.\r\n</body>\r\n"

func TestAuth(t *testing.T) {
	const sha = "{SHA}a94a8fe5ccb19ba61c4c0873d391e987982fbbd3" // sha1("test")
	tests := []struct {
		name         string
		user, pass   string // configured
		cuser, cpass string // sent; no header when cuser is ""
		want         int
	}{
		{"no auth configured", "", "", "", "", 200},
		{"no auth configured, creds sent", "", "", "u", "x", 200},
		{"plain ok", "u", "test", "u", "test", 200},
		{"plain missing", "u", "test", "", "", 401},
		{"plain wrong password", "u", "test", "u", "tes", 401},
		{"plain wrong user", "u", "test", "v", "test", 401},
		{"plain password is the hash", "u", sha, "u", sha, 401},
		{"sha ok", "u", sha, "u", "test", 200},
		{"sha wrong", "u", sha, "u", "Test", 401},
		{"sha digest sent as password", "u", sha, "u", sha[5:], 401},
		{"password with colon", "u", "a:b", "u", "a:b", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(shortDir(t), "s.sock")
			c := unixServer(path)
			c.Username, c.Password = tt.user, tt.pass
			in := localInet()
			in.Username, in.Password = tt.user, tt.pass
			f := mustStart(t, &conf.Config{UnixHTTPServers: []*conf.UnixHTTPServer{c}, InetHTTPServers: []*conf.InetHTTPServer{in}}, ok)
			clients := map[string]*http.Client{
				"http://" + f.srv.Addrs()[0].String() + "/": http.DefaultClient,
				"http://localhost/":                         unixClient(path),
			}
			for url, client := range clients {
				req, _ := http.NewRequest("POST", url, strings.NewReader("<xml/>"))
				if tt.cuser != "" {
					req.SetBasicAuth(tt.cuser, tt.cpass)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.want {
					t.Fatalf("%s: status %d, want %d", url, resp.StatusCode, tt.want)
				}
				if tt.want != 401 {
					continue
				}
				if got := resp.Header.Get("WWW-Authenticate"); got != `Basic realm="default"` {
					t.Errorf("WWW-Authenticate = %q", got)
				}
				if !resp.Close || resp.Header.Get("Content-Type") != "text/html" || string(body) != page401 || resp.ContentLength != 137 {
					t.Errorf("401 response: close=%v %v %q", resp.Close, resp.Header, body)
				}
			}
		})
	}
}

// After an error page the connection closes, as the reference's does, but
// only once the client is done: one still sending the end of its request
// a second later (supervisor's http_client sends a spare CRLF) must not get
// a broken pipe.
func TestErrorPageLingers(t *testing.T) {
	t.Parallel()
	path := filepath.Join(shortDir(t), "s.sock")
	c := unixServer(path)
	c.Username, c.Password = "u", "p"
	mustStart(t, &conf.Config{UnixHTTPServers: []*conf.UnixHTTPServer{c}}, http.NotFoundHandler())
	conn := dialRequest(t, path)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 401 || !resp.Close {
		t.Fatalf("status %d, close=%v; want 401 and close", resp.StatusCode, resp.Close)
	}
	time.Sleep(time.Second)
	if _, err := io.WriteString(conn, "\r\n"); err != nil {
		t.Errorf("the spare CRLF a second later: %v", err)
	}
}

// dialRequest connects to the unix socket at path and asks for
// /logtail/x, as the reference's tail client does (less its spare CRLF).
func dialRequest(t *testing.T, path string) net.Conn {
	t.Helper()
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, "GET /logtail/x HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	return conn
}

// A client that sends the reference's spare CRLF after its request, once
// the handler runs, and then leaves is noticed: the handler's context ends.
func TestClientLeavingAfterSpareCRLF(t *testing.T) {
	t.Parallel()
	running, ended := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		close(running)
		<-r.Context().Done() // as a follower of a quiet log waits
		close(ended)
	})
	path := filepath.Join(shortDir(t), "s.sock")
	mustStart(t, &conf.Config{UnixHTTPServers: []*conf.UnixHTTPServer{unixServer(path)}}, h)
	conn := dialRequest(t, path)
	select {
	case <-running:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler did not run")
	}
	if _, err := io.WriteString(conn, "\r\n"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the client left and the handler's context did not end")
	}
}

func TestBodyLimit(t *testing.T) {
	set := testSettings()
	set.maxBody = 1 << 10
	var handlerErr error
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		mu.Lock()
		handlerErr = err
		mu.Unlock()
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "too big", http.StatusRequestEntityTooLarge)
		}
	})
	f, err := startWith(t, &conf.Config{InetHTTPServers: []*conf.InetHTTPServer{localInet()}}, h, set)
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + f.srv.Addrs()[0].String() + "/RPC2"
	tests := []struct {
		name       string
		body       io.Reader
		want       int
		wantReader bool // the handler ran and saw MaxBytesError
	}{
		{"at limit", bytes.NewReader(make([]byte, 1<<10)), 200, false},
		{"over limit", bytes.NewReader(make([]byte, 1<<10+1)), 413, false},
		{"chunked over limit", io.MultiReader(strings.NewReader(strings.Repeat("x", 2<<10))), 413, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			handlerErr = nil
			mu.Unlock()
			resp, err := http.Post(url, "text/xml", tt.body)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			mu.Lock()
			defer mu.Unlock()
			var tooBig *http.MaxBytesError
			if got := errors.As(handlerErr, &tooBig); got != tt.wantReader {
				t.Errorf("handler error %v", handlerErr)
			}
		})
	}
}

// A client that never finishes its header is dropped after
// readHeaderTimeout.
func TestHeaderTimeout(t *testing.T) {
	set := testSettings()
	set.readHeaderTimeout = 50 * time.Millisecond
	f, err := startWith(t, &conf.Config{InetHTTPServers: []*conf.InetHTTPServer{localInet()}}, ok, set)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", f.srv.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST /RPC2 HTTP/1.1\r\nHost: x\r\n")
	// The deadline only keeps a broken server from hanging the test.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := conn.Read(make([]byte, 1))
	var ne net.Error
	if n != 0 || err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("read = %d, %v; want the server to hang up", n, err)
	}
}

func TestPanic(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/boom":
			w.Header().Set("Content-Type", "text/xml")
			panic("boom")
		case "/late":
			io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
			panic("late boom")
		}
		io.WriteString(w, "ok")
	})
	f := mustStart(t, &conf.Config{InetHTTPServers: []*conf.InetHTTPServer{localInet()}}, h)
	base := "http://" + f.srv.Addrs()[0].String()

	resp, err := http.Get(base + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.Contains(string(body), "<p>Message: Internal Server Error.") || resp.Header.Get("Content-Type") != "text/html" {
		t.Errorf("panic answered %s %v %q", resp.Status, resp.Header, body)
	}

	// Once the status is out, the connection is cut instead.
	if resp, err := http.Get(base + "/late"); err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Error("late panic: body read without error")
		}
	}

	get(t, http.DefaultClient, base+"/", http.StatusOK)
	errs := f.logs.at(slog.LevelError)
	if len(errs) != 2 || !strings.HasPrefix(errs[0], "Server Error: boom\n") || !strings.HasPrefix(errs[1], "Server Error: late boom\n") {
		t.Errorf("ERROR lines = %q", errs)
	}
}

func TestClose(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "s.sock")
	started := make(chan struct{})
	// A follower of a log (tail -f) never finishes on its own.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "line\n")
		w.(http.Flusher).Flush()
		close(started)
		<-r.Context().Done()
	})
	f := mustStart(t, &conf.Config{UnixHTTPServers: []*conf.UnixHTTPServer{unixServer(path)}}, h)

	resp, err := unixClient(path).Get("http://localhost/logtail/x")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	<-started
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if line != "line\n" {
		t.Fatalf("streamed %q, %v", line, err)
	}

	if err := f.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file after Close: %v", err)
	}
	if _, err := io.ReadAll(resp.Body); err == nil {
		// EOF mid-chunk is reported as an error; a clean end would mean
		// the handler returned normally, which it cannot.
		t.Error("stream ended cleanly")
	}
	if err := f.srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// The address is free again: a reload can start the next servers.
	mustStart(t, &conf.Config{UnixHTTPServers: []*conf.UnixHTTPServer{unixServer(path)}}, ok)
}

// TestChownRefused needs an unprivileged user: as root it reruns itself as
// nobody.
func TestChownRefused(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("HTTPSERVER_CHOWN_DIR")
	if dir == "" && os.Geteuid() == 0 {
		dir = shortDir(t)
		os.Chmod(dir, 0o777)
		// The test binary's own directory is private to root.
		bin := filepath.Join(dir, "test.bin")
		if err := copyFile(os.Args[0], bin); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-test.run=^TestChownRefused$", "-test.v")
		cmd.Env = append(os.Environ(), "HTTPSERVER_CHOWN_DIR="+dir)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "--- PASS: TestChownRefused") {
			t.Fatalf("as nobody: %v\n%s", err, out)
		}
		return
	}
	if dir == "" {
		dir = shortDir(t)
	}
	path := filepath.Join(dir, "s.sock")
	c := unixServer(path)
	c.ChownUID, c.ChownGID = 0, 0
	_, err := startWith(t, &conf.Config{UnixHTTPServers: []*conf.UnixHTTPServer{c}}, ok, testSettings())
	want := `Not permitted to chown ` + path + ` to uid/gid (0, 0); adjust "sockchown" value in config file or on command line to values that the current user (` + currentUser() + `) can successfully chown`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left behind: %v", err)
	}
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o755)
}
