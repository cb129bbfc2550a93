// Package rpcclient calls a supervisord's XML-RPC interface: calls encoded
// by protocol/xmlrpc are POSTed to /RPC2 over a unix socket or TCP, with
// basic authentication when asked for, and a fault comes back as an
// *xmlrpc.Fault error. Server URLs are read the way the reference's
// SupervisorTransport reads them, which is what both its supervisorctl
// and its listeners' childutils use.
//
// It is shared plumbing, which is why it lives in internal/: supervisorctl
// words its failures as the reference's Python exceptions, listeners/rpc is
// the typed public face for listener authors, and the bench harness times
// calls; protocol/xmlrpc stays a pure wire format with no network in it.
package rpcclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"supervisord/conf"
	"supervisord/protocol/xmlrpc"
)

// Server is where a supervisord listens.
type Server struct {
	Network string // "unix" or "tcp"
	Address string // the socket's path, or host:port
	Host    string // what the Host header says: "localhost" for a socket, else host, and ":port" unless the scheme's
	TLS     bool   // https://: the connection is TLS (Options.TLS says how the server's certificate is checked)
}

// Scheme is the URL scheme requests to the server go out with.
func (s Server) Scheme() string {
	if s.TLS {
		return "https"
	}
	return "http"
}

// Problems with a server URL, which a *URLError wraps.
var (
	ErrProtocol  = errors.New("rpcclient: not a unix://, http:// or https:// URL")
	ErrPort      = errors.New("rpcclient: the port is not a number")
	ErrPortRange = errors.New("rpcclient: the port is out of range")
)

// URLError is a server URL the client cannot talk to. Its text is the
// reference's ValueError message.
type URLError struct {
	Err error // ErrProtocol, ErrPort or ErrPortRange
	Msg string
}

func (e *URLError) Error() string { return e.Msg }
func (e *URLError) Unwrap() error { return e.Err }

// ParseURL reads unix:///path/to/socket or http://host[:port][/anything],
// as Python's urlparse does: the port defaults to 80, and one that is not
// a number from 0 to 65535 is refused; user info and any path are ignored.
// https://host[:port] (port 443 by default) is read the same way; the
// reference's clients do not have it.
func ParseURL(serverURL string) (Server, error) {
	if strings.HasPrefix(serverURL, "unix://") {
		return Server{Network: "unix", Address: serverURL[len("unix://"):], Host: "localhost"}, nil
	}
	for _, scheme := range []struct {
		prefix, port string
		tls          bool
	}{{"http://", "80", false}, {"https://", "443", true}} {
		rest, ok := strings.CutPrefix(serverURL, scheme.prefix)
		if !ok {
			continue
		}
		host, port, err := splitHostPort(rest, scheme.port)
		if err != nil {
			return Server{}, err
		}
		s := Server{Network: "tcp", Address: net.JoinHostPort(host, port), Host: host, TLS: scheme.tls}
		if strings.Contains(host, ":") {
			s.Host = "[" + host + "]"
		}
		if port != scheme.port {
			s.Host += ":" + port
		}
		return s, nil
	}
	return Server{}, &URLError{Err: ErrProtocol, Msg: "Unknown protocol for serverurl " + serverURL}
}

// splitHostPort finds the host and port of what follows http://, the
// port being def when none is given.
func splitHostPort(rest, def string) (host, port string, err error) {
	netloc := rest
	if i := strings.IndexAny(netloc, "/?#"); i >= 0 {
		netloc = netloc[:i]
	}
	if i := strings.LastIndexByte(netloc, '@'); i >= 0 {
		netloc = netloc[i+1:]
	}
	host, port = netloc, ""
	if strings.HasPrefix(netloc, "[") {
		if i := strings.IndexByte(netloc, ']'); i >= 0 {
			host, port = netloc[1:i], strings.TrimPrefix(netloc[i+1:], ":")
		}
	} else if i := strings.IndexByte(netloc, ':'); i >= 0 {
		host, port = netloc[:i], netloc[i+1:]
	}
	host = strings.ToLower(host)
	if port == "" {
		return host, def, nil
	}
	n, convErr := strconv.Atoi(port)
	if convErr != nil || strings.TrimLeft(port, "0123456789") != "" {
		return "", "", &URLError{Err: ErrPort, Msg: "Port could not be cast to integer value as " + conf.PyRepr(port)}
	}
	if n > 65535 {
		return "", "", &URLError{Err: ErrPortRange, Msg: "Port out of range 0-65535"}
	}
	return host, strconv.Itoa(n), nil
}

// Dial connects to the server; its signature is http.Transport's
// DialContext's.
func (s Server) Dial(ctx context.Context, _, _ string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, s.Network, s.Address)
}

// Options shape a Client.
type Options struct {
	// Credentials are sent, as basic authentication, when Auth is set.
	Auth               bool
	Username, Password string
	UserAgent          string // Go's default when empty
	// TLS are the TLS settings of an https:// server (its CAs, a client
	// certificate); nil: the system's CAs and no certificate.
	TLS *tls.Config
	// IdleConns is how many connections are kept open for later calls.
	// With 0 each call opens its own, as the reference's supervisorctl
	// does, so a daemon that restarted in between is simply reached again.
	IdleConns int
}

// Client calls one supervisord. It is safe for concurrent use.
type Client struct {
	server    Server
	auth      string // the Authorization header, "" for none
	userAgent string
	http      *http.Client
}

// New returns a Client of s.
func New(s Server, o Options) *Client {
	c := &Client{server: s, userAgent: o.UserAgent}
	if o.Auth {
		c.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(o.Username+":"+o.Password))
	}
	c.http = &http.Client{Transport: &http.Transport{
		DialContext:         s.Dial,
		DisableKeepAlives:   o.IdleConns == 0,
		MaxIdleConnsPerHost: o.IdleConns,
		DisableCompression:  true,
		TLSClientConfig:     o.TLS,
	}}
	return c
}

// Server is where c sends its calls.
func (c *Client) Server() Server { return c.server }

// StatusError is an HTTP answer other than 200 OK to a call.
type StatusError struct {
	Method string
	Code   int
	Status string // "401 Unauthorized"
}

func (e *StatusError) Error() string { return e.Method + ": " + e.Status }

// Reason is the text after the code in the status line.
func (e *StatusError) Reason() string {
	_, reason, _ := strings.Cut(e.Status, " ")
	return reason
}

// Post sends one call and returns the body of the answer. A failure to
// talk to the server comes back as the net/http error, an answer other
// than 200 OK as a *StatusError.
func (c *Client) Post(ctx context.Context, method string, params ...any) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.server.Scheme()+"://"+c.server.Host+"/RPC2",
		bytes.NewReader(xmlrpc.EncodeCall(method, params...)))
	if err != nil {
		return nil, err
	}
	req.Host = c.server.Host
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("Accept", "text/xml")
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return nil, &StatusError{Method: method, Code: resp.StatusCode, Status: resp.Status}
	}
	return io.ReadAll(resp.Body)
}

// Call is Post, then the answer parsed: a fault comes back as an
// *xmlrpc.Fault error.
func (c *Client) Call(ctx context.Context, method string, params ...any) (any, error) {
	body, err := c.Post(ctx, method, params...)
	if err != nil {
		return nil, err
	}
	return xmlrpc.ParseResponse(body)
}
