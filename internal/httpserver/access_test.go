package httpserver

import (
	"crypto/sha1"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"supervisord/conf"
	"supervisord/internal/auth"
	"supervisord/internal/mainlog"
	"supervisord/testkit"
)

// whoami answers with the request's principal and protocol, as JSON.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p := auth.From(r.Context())
	json.NewEncoder(w).Encode(map[string]string{"user": p.User, "role": p.Role.String(), "remote": p.Remote, "proto": r.Proto})
})

type answer struct {
	status int
	who    map[string]string
}

func ask(t *testing.T, c *http.Client, url, user, pass string) answer {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s as %q: %v", url, user, err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode}
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&a.who); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func sha1Spec(pw string) string {
	sum := sha1.Sum([]byte(pw))
	return "{SHA}" + hex.EncodeToString(sum[:])
}

func bcryptSpec(t *testing.T, pw string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// testUsers are an account of each role, with each kind of password.
func testUsers(t *testing.T) []*conf.User {
	return []*conf.User{
		{Name: "reader", Password: sha1Spec("r-pw"), Role: auth.Read},
		{Name: "operator", Password: "o-pw", Role: auth.Operate},
		{Name: "boss", Password: bcryptSpec(t, "b-pw"), Role: auth.Admin},
	}
}

// TestAccounts logs in as each account, and as the server's own user (an
// admin), on an inet and a unix server; the principal reaches the handler.
func TestAccounts(t *testing.T) {
	path := filepath.Join(shortDir(t), "s.sock")
	u := unixServer(path)
	u.Username, u.Password = "admin", "a-pw"
	in := localInet()
	in.Username, in.Password = "inetadmin", sha1Spec("i-pw")
	f := mustStart(t, &conf.Config{UnixHTTPServers: []*conf.UnixHTTPServer{u},
		InetHTTPServers: []*conf.InetHTTPServer{in}, Users: testUsers(t)}, whoami)
	inetURL := "http://" + f.srv.Addrs()[0].String() + "/"
	for _, tc := range []struct {
		url        string
		client     *http.Client
		user, pass string
		status     int
		role       string
	}{
		{inetURL, http.DefaultClient, "reader", "r-pw", 200, "read"},
		{inetURL, http.DefaultClient, "operator", "o-pw", 200, "operate"},
		{inetURL, http.DefaultClient, "boss", "b-pw", 200, "admin"},
		{inetURL, http.DefaultClient, "boss", "b-pw", 200, "admin"}, // bcrypt's remembered success
		{inetURL, http.DefaultClient, "inetadmin", "i-pw", 200, "admin"},
		{inetURL, http.DefaultClient, "admin", "a-pw", 401, ""}, // the unix server's own user
		{inetURL, http.DefaultClient, "", "", 401, ""},
		{"http://localhost/", unixClient(path), "admin", "a-pw", 200, "admin"},
		{"http://localhost/", unixClient(path), "reader", "r-pw", 200, "read"},
		{"http://localhost/", unixClient(path), "boss", "wrong", 401, ""},
		{"http://localhost/", unixClient(path), "", "", 401, ""},
	} {
		a := ask(t, tc.client, tc.url, tc.user, tc.pass)
		if a.status != tc.status || a.who["role"] != tc.role || (tc.status == 200 && a.who["user"] != tc.user) {
			t.Errorf("%s as %s: %d %v; want %d %s", tc.url, tc.user, a.status, a.who, tc.status, tc.role)
		}
	}
	if a := ask(t, http.DefaultClient, inetURL, "reader", "r-pw"); !strings.HasPrefix(a.who["remote"], "127.0.0.1:") {
		t.Errorf("inet remote %q", a.who["remote"])
	}
	want := fmt.Sprintf("unix (pid %d, uid %d)", os.Getpid(), os.Getuid())
	if a := ask(t, unixClient(path), "http://localhost/", "reader", "r-pw"); a.who["remote"] != want {
		t.Errorf("unix remote %q, want %q", a.who["remote"], want)
	}
	if refused := f.logs.at(slog.LevelWarn); len(refused) != 2 || !strings.Contains(refused[0], "login refused for 'admin' from 127.0.0.1:") {
		t.Errorf("warnings: %q", refused)
	}
	// With accounts, no server runs without authentication.
	if crit := f.logs.at(mainlog.LevelCritical); len(crit) != 0 {
		t.Errorf("critical lines: %q", crit)
	}
}

// TestPeerRoles maps this test's own uid to a role on a unix socket, with
// and without accounts beside.
func TestPeerRoles(t *testing.T) {
	me, other := os.Getuid(), os.Getuid()+1
	self := fmt.Sprintf("uid:%d", me)
	remote := fmt.Sprintf("unix (pid %d, uid %d)", os.Getpid(), me)
	for _, tc := range []struct {
		name       string
		peers      []conf.PeerRole
		users      bool
		user, pass string
		status     int
		who        string // user, role
	}{
		{"mapped, no accounts", []conf.PeerRole{{UID: me, Role: auth.Operate}}, false, "", "", 200, self + " operate"},
		{"mapped, credentials ignored without accounts", []conf.PeerRole{{UID: me, Role: auth.Read}}, false, "boss", "b-pw", 200, self + " read"},
		{"unmapped, no accounts: refused", []conf.PeerRole{{UID: other, Role: auth.Admin}}, false, "", "", 403, ""},
		{"mapped beside accounts", []conf.PeerRole{{UID: me, Role: auth.Read}}, true, "", "", 200, self + " read"},
		{"valid credentials win", []conf.PeerRole{{UID: me, Role: auth.Read}}, true, "boss", "b-pw", 200, "boss admin"},
		{"wrong credentials fail though mapped", []conf.PeerRole{{UID: me, Role: auth.Admin}}, true, "boss", "nope", 401, ""},
		{"unmapped beside accounts: log in", []conf.PeerRole{{UID: other, Role: auth.Admin}}, true, "", "", 401, ""},
		{"unmapped beside accounts, logged in", []conf.PeerRole{{UID: other, Role: auth.Admin}}, true, "operator", "o-pw", 200, "operator operate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(shortDir(t), "s.sock")
			u := unixServer(path)
			u.PeerRoles = tc.peers
			cfg := &conf.Config{UnixHTTPServers: []*conf.UnixHTTPServer{u}}
			if tc.users {
				cfg.Users = testUsers(t)
			}
			f := mustStart(t, cfg, whoami)
			a := ask(t, unixClient(path), "http://localhost/", tc.user, tc.pass)
			if a.status != tc.status {
				t.Fatalf("status %d, want %d", a.status, tc.status)
			}
			if a.status == 200 && (a.who["user"]+" "+a.who["role"] != tc.who || a.who["remote"] != remote) {
				t.Errorf("principal %v, want %s from %s", a.who, tc.who, remote)
			}
			if crit := f.logs.at(mainlog.LevelCritical); len(crit) != 0 {
				t.Errorf("a server with peer_roles is not without authentication: %q", crit)
			}
		})
	}
}

// tlsServer starts an inet server over TLS, with client_ca when clientCA.
func tlsServer(t *testing.T, clientCA bool) (f *fixture, ca *testkit.CA, url string) {
	dir := t.TempDir()
	ca = testkit.NewCA(t, dir, "test")
	leaf := ca.Server(t, dir, "server")
	in := localInet()
	in.CertFile, in.KeyFile = leaf.CertFile, leaf.KeyFile
	if clientCA {
		in.ClientCA = ca.File
	}
	in.Username, in.Password = "u", "p"
	f = mustStart(t, &conf.Config{InetHTTPServers: []*conf.InetHTTPServer{in}}, whoami)
	return f, ca, "https://" + f.srv.Addrs()[0].String() + "/"
}

func tlsClient(ca *testkit.CA, certs ...tls.Certificate) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), Certificates: certs}, ForceAttemptHTTP2: true}
	return &http.Client{Transport: tr}
}

func TestTLS(t *testing.T) {
	f, ca, url := tlsServer(t, false)
	c := tlsClient(ca)
	defer c.CloseIdleConnections()
	a := ask(t, c, url, "u", "p")
	if a.status != 200 || a.who["proto"] != "HTTP/2.0" || a.who["role"] != "admin" {
		t.Errorf("over TLS: %d %v; want 200 over HTTP/2.0 as admin", a.status, a.who)
	}
	if a := ask(t, c, url, "u", "wrong"); a.status != 401 {
		t.Errorf("wrong password over TLS: %d", a.status)
	}
	// HTTP/1.1 still works for clients that do not offer h2.
	h1 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	defer h1.CloseIdleConnections()
	if a := ask(t, h1, url, "u", "p"); a.status != 200 || a.who["proto"] != "HTTP/1.1" {
		t.Errorf("HTTP/1.1 over TLS: %d %v", a.status, a.who)
	}
	// Plain HTTP on the TLS port gets no answer of ours.
	resp, err := http.Get(strings.Replace(url, "https:", "http:", 1))
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "HTTPS") {
			t.Errorf("plain HTTP to the TLS port: %d %q", resp.StatusCode, body)
		}
	}
	// A client that does not trust the CA refuses the server.
	if _, err := http.Get(url); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("a client without the CA: %v", err)
	}
	_ = f
}

func TestMutualTLS(t *testing.T) {
	_, ca, url := tlsServer(t, true)
	dir := t.TempDir()
	good := ca.Client(t, dir, "alice-laptop")
	stranger := testkit.NewCA(t, dir, "other").Client(t, dir, "mallory")
	for _, tc := range []struct {
		name  string
		certs []tls.Certificate
		ok    bool
	}{
		{"no certificate", nil, false},
		{"a certificate of another CA", []tls.Certificate{stranger.TLS}, false},
		{"a certificate of the CA", []tls.Certificate{good.TLS}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tlsClient(ca, tc.certs...)
			defer c.CloseIdleConnections()
			req, _ := http.NewRequest("GET", url, nil)
			req.SetBasicAuth("u", "p")
			resp, err := c.Do(req)
			if !tc.ok {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("admitted with status %d", resp.StatusCode)
				}
				// With TLS 1.3 the client may finish its handshake before
				// the server refuses it: the refusal then shows as the
				// connection's end ("certificate required", a broken pipe).
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var who map[string]string
			json.NewDecoder(resp.Body).Decode(&who)
			if resp.StatusCode != 200 || !strings.HasSuffix(who["remote"], "(certificate 'alice-laptop')") || who["proto"] != "HTTP/2.0" {
				t.Errorf("%d %v", resp.StatusCode, who)
			}
			// The certificate lets the client talk; credentials are still asked.
			if a := ask(t, c, url, "", ""); a.status != 401 {
				t.Errorf("with a certificate but no credentials: %d", a.status)
			}
		})
	}
}

// TestTLSFileErrors: a file that went bad between the load and the start
// fails the start, naming the file.
func TestTLSFileErrors(t *testing.T) {
	in := localInet()
	in.CertFile, in.KeyFile = filepath.Join(t.TempDir(), "gone.pem"), "/nonexistent/key.pem"
	_, err := startWith(t, &conf.Config{InetHTTPServers: []*conf.InetHTTPServer{in}}, ok, testSettings())
	if err == nil || !strings.Contains(err.Error(), "gone.pem: cannot read: no such file or directory") ||
		!strings.Contains(err.Error(), "[inet_http_server]") {
		t.Errorf("start: %v", err)
	}
}

// TestTLSAcrossHandoff: a TLS server's socket is handed over like any
// other (upgrade), and the next program serves TLS on it again, with the
// peer's connection made in between answered.
func TestTLSAcrossHandoff(t *testing.T) {
	f, ca, url := tlsServer(t, false)
	sockets, err := f.srv.Detach()
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		proto string
		err   error
	}
	done := make(chan result, 1)
	go func() { // its connection waits in the backlog
		c := tlsClient(ca)
		defer c.CloseIdleConnections()
		req, _ := http.NewRequest("GET", url, nil)
		req.SetBasicAuth("u", "p")
		resp, err := c.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		resp.Body.Close()
		done <- result{proto: resp.Proto, err: err}
	}()
	// The same server as configured (port 0 names the socket it had).
	cfg := &conf.Config{InetHTTPServers: []*conf.InetHTTPServer{{Host: "127.0.0.1",
		Username: "u", Password: "p", CertFile: filepath.Join(filepath.Dir(ca.File), "server.pem"),
		KeyFile: filepath.Join(filepath.Dir(ca.File), "server-key.pem")}}}
	srv, err := StartInherited(cfg, whoami, slog.New(&captured{}), sockets)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if r := <-done; r.err != nil || r.proto != "HTTP/2.0" {
		t.Errorf("after the handoff: %v %q", r.err, r.proto)
	}
	if got := srv.Addrs()[0].String(); !strings.HasSuffix(url, "//"+got+"/") {
		t.Errorf("served at %s, was %s", got, url)
	}
}
