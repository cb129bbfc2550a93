package httpserver

import (
	"bufio"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"supervisord/conf"
)

// Connections made while no program serves the handed-over sockets wait in
// their backlogs and are answered once the sockets are served again; the
// socket file stays all along.
func TestDetachAndInherit(t *testing.T) {
	path := filepath.Join(shortDir(t), "s.sock")
	cfg := &conf.Config{UnixHTTPServers: []*conf.UnixHTTPServer{unixServer(path)},
		InetHTTPServers: []*conf.InetHTTPServer{localInet()}}
	f := mustStart(t, cfg, ok)
	inet := f.srv.Addrs()[0].String()
	sockets, err := f.srv.Detach()
	if err != nil {
		t.Fatal(err)
	}
	if len(sockets) != 2 {
		t.Fatalf("Detach gave %d sockets, want 2", len(sockets))
	}
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("socket file after Detach: %v", err)
	}
	// Asked while nobody serves: connected at once, answered later.
	var waiting []net.Conn
	for _, target := range [][2]string{{"unix", path}, {"tcp", inet}} {
		c, err := net.Dial(target[0], target[1])
		if err != nil {
			t.Fatalf("dial %s while detached: %v", target[1], err)
		}
		defer c.Close()
		if _, err := c.Write([]byte("GET / HTTP/1.0\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		waiting = append(waiting, c)
	}
	srv, err := StartInherited(cfg, ok, slog.New(&captured{}), sockets)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, c := range waiting {
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("answer to a connection made while detached: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("status %d", resp.StatusCode)
		}
	}
	if got := srv.Addrs()[0].String(); got != inet {
		t.Errorf("inet server at %s, want the inherited %s", got, inet)
	}
}

// A socket whose server is no longer configured is closed; a server
// without a socket is bound afresh.
func TestInheritChangedConfig(t *testing.T) {
	dir := shortDir(t)
	old := &conf.Config{InetHTTPServers: []*conf.InetHTTPServer{localInet()}}
	f := mustStart(t, old, ok)
	inet := f.srv.Addrs()[0].String()
	sockets, err := f.srv.Detach()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "new.sock")
	cfg := &conf.Config{UnixHTTPServers: []*conf.UnixHTTPServer{unixServer(path)}}
	srv, err := StartInherited(cfg, ok, slog.New(&captured{}), sockets)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	get(t, unixClient(path), "http://x/", http.StatusOK)
	if c, err := net.Dial("tcp", inet); err == nil {
		c.Close()
		t.Fatalf("the dropped inet socket still accepts")
	}
}
