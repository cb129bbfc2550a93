package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"supervisord/conf"
	"supervisord/protocol/xmlrpc"
)

// Client calls the daemon's XML-RPC methods over HTTP, on a unix socket
// (unix:///path) or TCP (http://host:port), with basic auth when both a
// username and a password are known. Every call opens a new connection,
// so a daemon that restarted in between is simply reached again.
type Client struct {
	serverURL          string
	network, address   string // how to reach the server
	host               string // the Host header
	username, password optional
	http               *http.Client
}

// newClient returns a client for serverURL, or the error the reference
// raises for a URL it cannot talk to.
func newClient(serverURL string, username, password optional) (*Client, error) {
	c := &Client{serverURL: serverURL, username: username, password: password}
	switch {
	case strings.HasPrefix(serverURL, "http://"):
		host, port, err := splitHostPort(serverURL[len("http://"):])
		if err != nil {
			return nil, err
		}
		c.network, c.address = "tcp", net.JoinHostPort(host, port)
		c.host = host
		if strings.Contains(host, ":") {
			c.host = "[" + host + "]"
		}
		if port != "80" {
			c.host += ":" + port
		}
	case strings.HasPrefix(serverURL, "unix://"):
		c.network, c.address = "unix", serverURL[len("unix://"):]
		c.host = "localhost"
	default:
		return nil, &pyError{class: "ValueError", msg: "Unknown protocol for serverurl " + serverURL, where: whereTransport}
	}
	c.http = &http.Client{Transport: &http.Transport{
		DialContext:        c.dial,
		DisableKeepAlives:  true,
		DisableCompression: true,
		Proxy:              nil,
	}}
	return c, nil
}

func (c *Client) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, c.network, c.address)
}

// splitHostPort finds the host and port of what follows http://, as
// Python's urlparse does: the port defaults to 80, and one that is not a
// number from 0 to 65535 is refused.
func splitHostPort(rest string) (host, port string, err error) {
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
		return host, "80", nil
	}
	n, convErr := strconv.Atoi(port)
	if convErr != nil || strings.TrimLeft(port, "0123456789") != "" {
		return "", "", &pyError{class: "ValueError", msg: "Port could not be cast to integer value as " + conf.PyRepr(port), where: wherePortCast}
	}
	if n > 65535 {
		return "", "", &pyError{class: "ValueError", msg: "Port out of range 0-65535", where: wherePortRange}
	}
	return host, strconv.Itoa(n), nil
}

// authorization is the basic auth header value, "" when none is sent.
func (c *Client) authorization() string {
	if !c.username.set || !c.password.set {
		return ""
	}
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.username.val+":"+c.password.val))
}

// Call invokes method with params and returns its result. A fault comes
// back as *xmlrpc.Fault, an HTTP status other than 200 as *protocolError,
// and a failure to connect as *pyError carrying the errno.
func (c *Client) Call(method string, params ...any) (any, error) {
	for _, p := range params {
		if n, ok := p.(int); ok && (n > 1<<31-1 || n < -1<<31) {
			return nil, &pyError{class: "OverflowError", msg: "int exceeds XML-RPC limits", where: whereMarshalInt}
		}
	}
	body := xmlrpc.EncodeCall(method, params...)
	req, err := http.NewRequest(http.MethodPost, "http://"+c.host+"/RPC2", bytes.NewReader(body))
	if err != nil {
		return nil, &pyError{class: "ValueError", msg: err.Error(), where: whereTransport}
	}
	req.Host = c.host
	req.Header.Set("User-Agent", "supervisorctl (Go)")
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("Accept", "text/xml")
	if auth := c.authorization(); auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, connError(err, c.network == "unix")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return nil, &protocolError{code: resp.StatusCode, reason: reasonPhrase(resp)}
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, connError(err, c.network == "unix")
	}
	v, err := xmlrpc.ParseResponse(data)
	if err != nil {
		var f *xmlrpc.Fault
		if errors.As(err, &f) {
			return nil, f
		}
		return nil, &pyError{class: "xml.parsers.expat.ExpatError", msg: err.Error(), where: whereParse}
	}
	return v, nil
}

// reasonPhrase is the text after the status code in the status line.
func reasonPhrase(resp *http.Response) string {
	_, reason, _ := strings.Cut(resp.Status, " ")
	return reason
}

// stream opens a GET of path that the server keeps sending (a log tail),
// returning the response whatever its status; the caller closes its body.
func (c *Client) stream(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.host+"/", nil)
	if err != nil {
		return nil, err
	}
	// The path goes out as written, as the reference sends it.
	req.URL.Opaque = path
	req.Host = c.host
	req.Header.Set("User-Agent", "supervisorctl (Go)")
	req.Header.Set("Accept", "*/*")
	// Like the reference's log tailer, credentials are sent whenever
	// there is a password.
	if c.password.set && c.password.val != "" {
		user := c.username.val
		if !c.username.set {
			user = "None"
		}
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+c.password.val)))
	}
	client := &http.Client{Transport: &http.Transport{
		DialContext:        c.dial,
		DisableKeepAlives:  true,
		DisableCompression: true,
		// The stream never ends by itself, so nothing may time it out.
		ResponseHeaderTimeout: 0,
		IdleConnTimeout:       time.Second,
	}}
	return client.Do(req)
}

// protocolError is an HTTP answer other than 200 to an XML-RPC call.
type protocolError struct {
	code   int
	reason string
}

func (e *protocolError) Error() string {
	return fmt.Sprintf("<ProtocolError for 127.0.0.1/RPC2: %d %s>", e.code, e.reason)
}
