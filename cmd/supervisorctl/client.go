package main

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"supervisord/internal/rpcclient"
	"supervisord/protocol/xmlrpc"
)

// Client calls the daemon's XML-RPC methods (see package rpcclient), with
// basic auth when both a username and a password are known, and words its
// failures as the reference's client does. Every call opens a new
// connection, so a daemon that restarted in between is simply reached
// again.
type Client struct {
	rpc                *rpcclient.Client
	username, password optional
	tls                *tls.Config // an https:// server's settings; nil: Go's defaults
}

// newClient returns a client for serverURL, or the error the reference
// raises for a URL it cannot talk to.
func newClient(serverURL string, username, password optional, tlsConfig *tls.Config) (*Client, error) {
	s, err := rpcclient.ParseURL(serverURL)
	if err != nil {
		where := whereTransport
		switch {
		case errors.Is(err, rpcclient.ErrPort):
			where = wherePortCast
		case errors.Is(err, rpcclient.ErrPortRange):
			where = wherePortRange
		}
		return nil, &pyError{class: "ValueError", msg: err.Error(), where: where}
	}
	return &Client{
		rpc: rpcclient.New(s, rpcclient.Options{Auth: username.set && password.set,
			Username: username.val, Password: password.val, UserAgent: userAgent, TLS: tlsConfig}),
		username: username, password: password, tls: tlsConfig,
	}, nil
}

const userAgent = "supervisorctl (Go)"

// unix reports whether the server is on a unix socket, which the
// reference's connection errors tell apart.
func (c *Client) unix() bool { return c.rpc.Server().Network == "unix" }

// Call invokes method with params and returns its result. A fault comes
// back as *xmlrpc.Fault, an HTTP status other than 200 as *protocolError,
// and a failure to connect as *pyError carrying the errno.
func (c *Client) Call(method string, params ...any) (any, error) {
	for _, p := range params {
		if n, ok := p.(int); ok && (n > 1<<31-1 || n < -1<<31) {
			return nil, &pyError{class: "OverflowError", msg: "int exceeds XML-RPC limits", where: whereMarshalInt}
		}
	}
	data, err := c.rpc.Post(context.Background(), method, params...)
	var status *rpcclient.StatusError
	var badURL *url.Error
	switch {
	case errors.As(err, &status):
		return nil, &protocolError{code: status.Code, reason: status.Reason()}
	case errors.As(err, &badURL) && badURL.Op == "parse":
		return nil, &pyError{class: "ValueError", msg: err.Error(), where: whereTransport}
	case err != nil:
		return nil, connError(err, c.unix())
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

// stream opens a GET of path that the server keeps sending (a log tail),
// returning the response whatever its status; the caller closes its body.
func (c *Client) stream(ctx context.Context, path string) (*http.Response, error) {
	host := c.rpc.Server().Host
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.rpc.Server().Scheme()+"://"+host+"/", nil)
	if err != nil {
		return nil, err
	}
	// The path goes out as written, as the reference sends it.
	req.URL.Opaque = path
	req.Host = host
	req.Header.Set("User-Agent", userAgent)
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
		DialContext:        c.rpc.Server().Dial,
		DisableKeepAlives:  true,
		DisableCompression: true,
		TLSClientConfig:    c.tls,
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
