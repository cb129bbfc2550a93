package httpserver

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"supervisord/conf"
)

const python = "/usr/bin/python3"

// needPython skips a test unless the reference's client code can run.
func needPython(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import supervisor.xmlrpc, supervisor.http_client").Run(); err != nil {
		t.Skipf("SKIPPED: %s with the supervisor package is needed: %v", python, err)
	}
}

func runPython(t *testing.T, script string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, append([]string{"-c", script}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	return string(out)
}

// rpcScript calls supervisor.getState three times through one proxy, so a
// persistent connection gets reused, either with supervisorctl's transport
// or with plain xmlrpc.client (credentials then ride in the URL).
const rpcScript = `
import sys, xmlrpc.client
from supervisor.xmlrpc import SupervisorTransport
kind, url, user, pw = sys.argv[1:]
if kind == 'supervisor':
    proxy = xmlrpc.client.ServerProxy('http://127.0.0.1',
        transport=SupervisorTransport(user or None, pw or None, url))
else:
    proxy = xmlrpc.client.ServerProxy(url)
try:
    for _ in range(3):
        print(proxy.supervisor.getState()['statename'])
except xmlrpc.client.ProtocolError as e:
    print('ProtocolError', e.errcode)
`

const canned = `<?xml version='1.0'?>
<methodResponse><params><param><value><struct>
<member><name>statecode</name><value><int>1</int></value></member>
<member><name>statename</name><value><string>RUNNING</string></value></member>
</struct></value></param></params></methodResponse>
`

// rpcHandler answers getState and remembers which connections served it.
type rpcHandler struct {
	t       *testing.T
	mu      sync.Mutex
	remotes map[string]bool
}

func (h *rpcHandler) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remotes = map[string]bool{}
}

func (h *rpcHandler) connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.remotes)
}

func (h *rpcHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil || r.Method != "POST" || r.URL.Path != "/RPC2" || r.Header.Get("Content-Type") != "text/xml" ||
		!strings.Contains(string(body), "<methodName>supervisor.getState</methodName>") {
		h.t.Errorf("unexpected request %s %s %v %q %v", r.Method, r.URL, r.Header, body, err)
	}
	h.mu.Lock()
	h.remotes[r.RemoteAddr] = true
	h.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	io.WriteString(w, canned)
}

func TestPythonXMLRPC(t *testing.T) {
	t.Parallel()
	needPython(t)
	tests := []struct {
		name       string
		user, pass string // configured
		cuser, cpw string // sent
		want       string
	}{
		{"no auth", "", "", "", "", "RUNNING\nRUNNING\nRUNNING\n"},
		{"plain", "user", "123", "user", "123", "RUNNING\nRUNNING\nRUNNING\n"},
		{"sha", "user", "{SHA}40bd001563085fc35165329ea1ff5c5ecbdbbeef", "user", "123", "RUNNING\nRUNNING\nRUNNING\n"},
		{"wrong password", "user", "123", "user", "124", "ProtocolError 401\n"},
		{"no credentials", "user", "123", "", "", "ProtocolError 401\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(shortDir(t), "s.sock")
			u := unixServer(path)
			u.Username, u.Password = tt.user, tt.pass
			in := localInet()
			in.Username, in.Password = tt.user, tt.pass
			h := &rpcHandler{t: t, remotes: map[string]bool{}}
			f := mustStart(t, &conf.Config{InetHTTPServers: []*conf.InetHTTPServer{in}, UnixHTTPServers: []*conf.UnixHTTPServer{u}}, h)
			inet := f.srv.Addrs()[0].String()
			creds := ""
			if tt.cuser != "" {
				creds = tt.cuser + ":" + tt.cpw + "@"
			}
			clients := []struct{ kind, url string }{
				{"supervisor", "unix://" + path},
				{"supervisor", "http://" + inet},
				{"xmlrpc", "http://" + creds + inet + "/RPC2"},
			}
			for _, c := range clients {
				h.reset()
				if got := runPython(t, rpcScript, c.kind, c.url, tt.cuser, tt.cpw); got != tt.want {
					t.Errorf("%s %s: got %q, want %q", c.kind, c.url, got, tt.want)
				}
				// supervisorctl's transport keeps its connection alive.
				if c.kind == "supervisor" && strings.HasPrefix(c.url, "http:") && tt.want[0] == 'R' && h.connections() != 1 {
					t.Errorf("%s: %d connections for 3 calls", c.url, h.connections())
				}
			}
		})
	}
}

// tailScript follows /logtail/foo with supervisorctl's own HTTP client (the
// one behind "tail -f"), which sends an empty Host header over a unix
// socket and a stray CRLF after its request, and hangs up after two lines
// as a user pressing Ctrl-C would.
const tailScript = `
import sys
from supervisor import http_client
from supervisor.medusa import asyncore_25 as asyncore
url, user, pw = sys.argv[1:]
seen = ''
class Listener(http_client.Listener):
    def status(self, url, status): print('status', status)
    def error(self, url, error): print('error', error)
    def feed(self, url, data):
        global seen
        seen += data.decode()
        if seen.count('\n') == 2:
            sys.stdout.write(seen)
            handler.close()
handler = http_client.HTTPHandler(Listener(), user or None, pw or None)
handler.get(url, '/logtail/foo')
asyncore.loop(timeout=1, count=20)
`

func TestPythonTailClient(t *testing.T) {
	t.Parallel()
	needPython(t)
	tests := []struct {
		name string
		pw   string
		want string
	}{
		{"authorized", "123", "status 200\nline 1\nline 2\n"},
		{"refused", "124", "status 401\nerror Cannot read, status code 401\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(shortDir(t), "s.sock")
			u := unixServer(path)
			u.Username, u.Password = "user", "123"
			in := localInet()
			in.Username, in.Password = "user", "123"
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/logtail/foo" {
					t.Errorf("path %q", r.URL.Path)
				}
				if r.Host != "" && !strings.HasPrefix(r.Host, "127.0.0.1:") {
					t.Errorf("Host %q", r.Host)
				}
				for _, line := range []string{"line 1\n", "line 2\n"} {
					io.WriteString(w, line)
					w.(http.Flusher).Flush()
				}
				<-r.Context().Done() // a follower only ends when the client leaves
			})
			f := mustStart(t, &conf.Config{InetHTTPServers: []*conf.InetHTTPServer{in}, UnixHTTPServers: []*conf.UnixHTTPServer{u}}, h)
			for _, url := range []string{"unix://" + path, "http://" + f.srv.Addrs()[0].String()} {
				if got := runPython(t, tailScript, url, "user", tt.pw); got != tt.want {
					t.Errorf("%s: got %q, want %q", url, got, tt.want)
				}
			}
		})
	}
}

// The reference's own liveness probe, and other old clients, speak
// HTTP/1.0 without a Host header.
func TestHTTP10(t *testing.T) {
	path := filepath.Join(shortDir(t), "s.sock")
	mustStart(t, &conf.Config{UnixHTTPServers: []*conf.UnixHTTPServer{unixServer(path)}}, ok)
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // against a hang only
	resp, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(resp), "HTTP/1.0 200 OK\r\n") || !strings.HasSuffix(string(resp), "\r\n\r\nok") {
		t.Errorf("response %q", resp)
	}
	if _, err := os.Lstat(path); err != nil {
		t.Error(err)
	}
}
