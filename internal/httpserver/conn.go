package httpserver

import "net"

// spareCRLFListener hands out connections that hide one quirk of the
// reference's clients from net/http: supervisor's http_client sends a
// spare CRLF after each request. While a handler runs, net/http reads one
// byte ahead on the connection to notice the client leave (and cancel the
// request's context); a CRLF arriving then ends that read as if a next,
// pipelined request had begun, and nothing more is read until the handler
// returns. A client that leaves is then never noticed, and a /logtail
// follower of a quiet log keeps its goroutine and connection until the
// log grows, one per `supervisorctl tail -f` ended with Ctrl-C.
//
// That read ahead is net/http's only read of a single byte (its others
// fill a 4 KiB buffer), and blank lines before a request line are to be
// ignored anyway (RFC 9112 section 2.2), so a one-byte read skips them.
type spareCRLFListener struct{ net.Listener }

func (l spareCRLFListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return spareCRLFConn{c}, nil
}

type spareCRLFConn struct{ net.Conn }

func (c spareCRLFConn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		if len(p) != 1 || n != 1 || err != nil || p[0] != '\r' && p[0] != '\n' {
			return n, err
		}
	}
}

// CloseWrite half-closes the connection (both unix and TCP ones can), as
// lingerClose asks of the one it hijacks.
func (c spareCRLFConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
