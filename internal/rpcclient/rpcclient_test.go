package rpcclient

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"supervisord/protocol/xmlrpc"
	"supervisord/testkit"
)

var urlCases = []struct {
	url  string
	want Server
	err  error
}{
	{"unix:///tmp/s.sock", Server{"unix", "/tmp/s.sock", "localhost", false}, nil},
	{"unix://rel/s.sock", Server{"unix", "rel/s.sock", "localhost", false}, nil},
	{"http://localhost:9001", Server{"tcp", "localhost:9001", "localhost:9001", false}, nil},
	{"http://Example.COM", Server{"tcp", "example.com:80", "example.com", false}, nil},
	{"http://h:80/RPC2?x#y", Server{"tcp", "h:80", "h", false}, nil},
	{"http://user:pw@h:0081", Server{"tcp", "h:81", "h:81", false}, nil},
	{"http://[::1]:9001/", Server{"tcp", "[::1]:9001", "[::1]:9001", false}, nil},
	{"http://[::1]", Server{"tcp", "[::1]:80", "[::1]", false}, nil},
	{"http://:9001", Server{"tcp", ":9001", ":9001", false}, nil},
	{"http://", Server{"tcp", ":80", "", false}, nil},
	{"http://h:", Server{"tcp", "h:80", "h", false}, nil},
	{"http://h:abc", Server{}, ErrPort},
	{"http://h:-1", Server{}, ErrPort},
	{"http://h:１２", Server{}, ErrPort},
	{"http://h:65536", Server{}, ErrPortRange},
	{"https://h:1", Server{Network: "tcp", Address: "h:1", Host: "h:1", TLS: true}, nil},
	{"https://H", Server{Network: "tcp", Address: "h:443", Host: "h", TLS: true}, nil},
	{"https://h:80/x", Server{Network: "tcp", Address: "h:80", Host: "h:80", TLS: true}, nil},
	{"https://h:x", Server{}, ErrPort},
	{"ftp://h:1", Server{}, ErrProtocol},
	{"HTTP://h", Server{}, ErrProtocol},
	{"h:9001", Server{}, ErrProtocol},
}

func TestParseURL(t *testing.T) {
	for _, c := range urlCases {
		s, err := ParseURL(c.url)
		if s != c.want || !errors.Is(err, c.err) {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v, %v", c.url, s, err, c.want, c.err)
		}
		var ue *URLError
		if err != nil && !errors.As(err, &ue) {
			t.Errorf("ParseURL(%q) error %T", c.url, err)
		}
	}
}

// TestParseURLReference reads the http:// cases with Python's urlparse, as
// the reference's SupervisorTransport does, and compares host, port and
// error message.
func TestParseURLReference(t *testing.T) {
	var urls []string
	for _, c := range urlCases {
		urls = append(urls, c.url)
	}
	var ref []*[3]string
	testkit.PythonJSON(t, `
import sys, json
from urllib.parse import urlparse
res = []
for u in json.loads(sys.argv[1]):
    if not u.startswith("http://"):
        res.append(None)
        continue
    try:
        p = urlparse(u)
        res.append([p.hostname or "", str(p.port or 80), ""])
    except ValueError as e:
        res.append(["", "", str(e)])
print(json.dumps(res))
`, urls, &ref)
	for i, c := range urlCases {
		if ref[i] == nil {
			continue
		}
		s, err := ParseURL(c.url)
		var got [3]string
		if err != nil {
			got[2] = err.Error()
		} else {
			host, port, _ := net.SplitHostPort(s.Address)
			got[0], got[1] = host, port
		}
		if got != *ref[i] {
			t.Errorf("ParseURL(%q) reads %q; Python's urlparse %q", c.url, got, *ref[i])
		}
	}
}

// server is a stand-in supervisord answering /RPC2 and recording what it
// was sent and how many connections it was opened.
type server struct {
	mu      sync.Mutex
	headers []http.Header
	hosts   []string
	conns   atomic.Int32
}

func (s *server) serve(t *testing.T, l net.Listener) {
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			s.headers = append(s.headers, r.Header.Clone())
			s.hosts = append(s.hosts, r.Host)
			s.mu.Unlock()
			body, _ := io.ReadAll(r.Body)
			method, params, err := xmlrpc.ParseCall(body)
			switch {
			case r.URL.Path != "/RPC2" || err != nil:
				http.NotFound(w, r)
			case r.Header.Get("Authorization") == "Basic dTpiYWQ=": // u:bad
				http.Error(w, "Unauthorized", http.StatusUnauthorized)
			case method == "echo":
				w.Write(xmlrpc.EncodeResponse(params[0]))
			default:
				w.Write(xmlrpc.EncodeFault(xmlrpc.FaultUnknownMethod, "UNKNOWN_METHOD"))
			}
		}),
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.conns.Add(1)
			}
		},
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
}

// listen starts a stand-in on a unix socket or a loopback port and
// returns it with its server URL.
func listen(t *testing.T, network string) (*server, string) {
	addr := filepath.Join(t.TempDir(), "s.sock")
	if network == "tcp" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	var srv server
	srv.serve(t, l)
	if network == "tcp" {
		return &srv, "http://" + l.Addr().String()
	}
	return &srv, "unix://" + addr
}

func TestCall(t *testing.T) {
	for _, tt := range []struct {
		name    string
		network string
		path    string
		opts    Options
		auth    string
		conns   int32 // after three calls
	}{
		{"unix", "unix", "", Options{UserAgent: "ctl"}, "", 3},
		{"tcp auth", "tcp", "/ignored", Options{Auth: true, Username: "u", Password: "p", IdleConns: 1}, "Basic dTpw", 1},
		{"empty credentials", "tcp", "", Options{Auth: true}, "Basic Og==", 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := listen(t, tt.network)
			s, err := ParseURL(url + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			host := "localhost"
			if tt.network == "tcp" {
				host = url[len("http://"):]
			}
			c := New(s, tt.opts)
			ctx := context.Background()
			for i := range 3 {
				v, err := c.Call(ctx, "echo", "x"+strconv.Itoa(i))
				if err != nil || v != "x"+strconv.Itoa(i) {
					t.Fatalf("echo = %v, %v", v, err)
				}
			}
			if n := srv.conns.Load(); n != tt.conns {
				t.Errorf("%d connections for 3 calls, want %d", n, tt.conns)
			}
			_, err = c.Call(ctx, "nosuch")
			var f *xmlrpc.Fault
			if !errors.As(err, &f) || f.Code != xmlrpc.FaultUnknownMethod {
				t.Errorf("unknown method: %v", err)
			}
			body, err := c.Post(ctx, "nosuch")
			if _, perr := xmlrpc.ParseResponse(body); err != nil || !errors.As(perr, &f) {
				t.Errorf("Post of a fault = %q, %v", body, err)
			}
			srv.mu.Lock()
			defer srv.mu.Unlock()
			for i, h := range srv.headers {
				if srv.hosts[i] != host || h.Get("Authorization") != tt.auth || h.Get("Content-Type") != "text/xml" ||
					h.Get("Accept") != "text/xml" || h.Get("Accept-Encoding") != "" ||
					(tt.opts.UserAgent != "" && h.Get("User-Agent") != tt.opts.UserAgent) {
					t.Errorf("request %d: Host %q, headers %v", i, srv.hosts[i], h)
				}
			}
		})
	}
	_, url := listen(t, "tcp")
	s, _ := ParseURL(url)
	c := New(s, Options{Auth: true, Username: "u", Password: "bad"})
	_, err := c.Call(context.Background(), "echo", 1)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 401 || se.Reason() != "Unauthorized" || err.Error() != "echo: 401 Unauthorized" {
		t.Errorf("bad credentials: %v", err)
	}
}

// A failure to connect keeps its errno, which supervisorctl reports.
func TestDialErrors(t *testing.T) {
	c := New(Server{Network: "unix", Address: filepath.Join(t.TempDir(), "none.sock"), Host: "localhost"}, Options{})
	if _, err := c.Call(context.Background(), "echo", 1); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("missing socket: %v", err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c = New(Server{Network: "tcp", Address: addr, Host: addr}, Options{})
	if _, err := c.Call(context.Background(), "echo", 1); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("closed port: %v", err)
	}
}

// FuzzParseURL checks that a URL is either refused with a *URLError or
// read into an address and a Host header that agree.
func FuzzParseURL(f *testing.F) {
	for _, c := range urlCases {
		f.Add(c.url)
	}
	f.Fuzz(func(t *testing.T, u string) {
		s, err := ParseURL(u)
		if err != nil {
			var ue *URLError
			if !errors.As(err, &ue) || s != (Server{}) {
				t.Fatalf("ParseURL(%q) = %+v, %v", u, s, err)
			}
			return
		}
		switch s.Network {
		case "unix":
			if "unix://"+s.Address != u || s.Host != "localhost" {
				t.Fatalf("ParseURL(%q) = %+v", u, s)
			}
		case "tcp":
			// Address is net.JoinHostPort's, with a port from 0 to 65535.
			// (Its host is not checked further: brackets that Python's
			// urlparse refuses are passed on, and the dial fails.)
			i := strings.LastIndexByte(s.Address, ':')
			host, port := s.Address[:i], s.Address[i+1:]
			n, err := strconv.Atoi(port)
			if err != nil || n < 0 || n > 65535 || strconv.Itoa(n) != port {
				t.Fatalf("ParseURL(%q) = %+v: port %q", u, s, port)
			}
			want, def := host, 80
			if s.TLS {
				def = 443
			}
			if s.TLS != strings.HasPrefix(u, "https://") {
				t.Fatalf("ParseURL(%q) = %+v: TLS", u, s)
			}
			if n != def {
				want += ":" + port
			}
			if s.Host != want {
				t.Fatalf("ParseURL(%q) = %+v, Host want %q", u, s, want)
			}
		default:
			t.Fatalf("ParseURL(%q) = %+v", u, s)
		}
	})
}
