package testkit

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

// Datagrams is a unix datagram socket a test listens on, standing in for
// syslog's.
type Datagrams struct {
	Addr string // the socket's path
	conn *net.UnixConn
	t    testing.TB
}

// ListenDatagrams listens on a unix datagram socket in a temporary
// directory, closed when the test ends; it skips the test where there is
// none to be had.
func ListenDatagrams(t testing.TB) *Datagrams {
	t.Helper()
	addr := filepath.Join(t.TempDir(), "log")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Skip("unixgram:", err)
	}
	t.Cleanup(func() { conn.Close() })
	return &Datagrams{Addr: addr, conn: conn, t: t}
}

// Next is the next datagram; the test fails after 5 s without one.
func (d *Datagrams) Next() string {
	d.t.Helper()
	d.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64<<10)
	n, err := d.conn.Read(buf)
	if err != nil {
		d.t.Fatal(err)
	}
	return string(buf[:n])
}
