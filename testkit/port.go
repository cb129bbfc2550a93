package testkit

import (
	"net"
	"testing"
)

// FreePort is a TCP port on the loopback interface that nothing listens on
// at the moment, for a config that must name one.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
