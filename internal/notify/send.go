package notify

import (
	"net"
	"os"
	"strings"

	"supervisord/protocol/sdnotify"
)

// Manager is the other end: the daemon telling the service manager that
// started it (systemd with Type=notify) that it is ready, reloading or
// stopping. The zero Manager (no NOTIFY_SOCKET) says nothing.
type Manager struct{ addr string }

// FromEnv takes NOTIFY_SOCKET out of the environment, so no program the
// daemon starts can speak for the daemon, and returns a Manager that
// sends to it.
func FromEnv() Manager {
	addr := os.Getenv("NOTIFY_SOCKET")
	os.Unsetenv("NOTIFY_SOCKET")
	return Manager{addr: addr}
}

// Notify sends one datagram of fields, as sd_notify(3) does; without a
// NOTIFY_SOCKET it does nothing. A path starting with "@" is an abstract
// socket.
func (m Manager) Notify(fields ...sdnotify.Field) error {
	if m.addr == "" {
		return nil
	}
	addr := m.addr
	if strings.HasPrefix(addr, "@") {
		addr = "\x00" + addr[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close()
	lines := make([]string, len(fields))
	for i, f := range fields {
		lines[i] = f.String()
	}
	_, err = conn.Write([]byte(strings.Join(lines, "\n")))
	return err
}
