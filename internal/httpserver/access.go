package httpserver

import (
	"context"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"

	"supervisord/conf"
	"supervisord/internal/auth"
)

// access is who may use one server: its accounts (the server's own
// username, an admin, and every [user:NAME]) and, on a unix socket, the
// roles of peers by uid. A server with neither lets everyone in as an
// anonymous admin, as the reference does.
type access struct {
	accounts map[string]account // nil: no credentials are asked for
	peers    map[int]auth.Role  // peer_roles=; nil when unset
	bcrypt   bool               // an account's password is a bcrypt hash
}

type account struct {
	pw   auth.Password
	role auth.Role
}

// newAccess gathers a server's accounts: its own username and password
// (an admin) and the config's users.
func newAccess(user, pass string, users []*conf.User, peers []conf.PeerRole) (*access, error) {
	a := &access{}
	add := func(name string, pw auth.Password, role auth.Role) {
		if a.accounts == nil {
			a.accounts = map[string]account{}
		}
		a.accounts[name] = account{pw, role}
		a.bcrypt = a.bcrypt || pw.IsBcrypt()
	}
	if user != "" {
		add(user, auth.ServerPassword(pass), auth.Admin)
	}
	for _, u := range users {
		pw, err := auth.ParsePassword(u.Password)
		if err != nil { // the loader checked it already
			return nil, fmt.Errorf("supervisor: [user:%s] password: %w", u.Name, err)
		}
		add(u.Name, pw, u.Role)
	}
	for _, p := range peers {
		if a.peers == nil {
			a.peers = map[int]auth.Role{}
		}
		a.peers[p.UID] = p.Role
	}
	return a, nil
}

// open says the server asks nobody who they are.
func (a *access) open() bool { return a.accounts == nil && a.peers == nil }

// login checks credentials: the account's role, or false.
func (a *access) login(user, pass string) (auth.Role, bool) {
	acc, ok := a.accounts[user]
	if !ok {
		if a.bcrypt {
			auth.WasteBcrypt(pass) // as slow as a wrong password
		}
		return auth.None, false
	}
	if !acc.pw.Verify(pass) {
		return auth.None, false
	}
	return acc.role, true
}

// peer is the process at the other end of a unix-socket connection, as the
// kernel reports it (SO_PEERCRED) when it connected.
type peer struct {
	pid, uid int
}

func (p peer) String() string { return fmt.Sprintf("unix (pid %d, uid %d)", p.pid, p.uid) }

type peerKey struct{}

// withPeer is a unix server's ConnContext: the connection's peer, for the
// guard to find in each request of it.
func withPeer(ctx context.Context, c net.Conn) context.Context {
	if p, ok := peerOf(c); ok {
		return context.WithValue(ctx, peerKey{}, p)
	}
	return ctx
}

func peerOf(c net.Conn) (peer, bool) {
	if w, ok := c.(spareCRLFConn); ok {
		c = w.Conn
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return peer{}, false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return peer{}, false
	}
	var cred *unix.Ucred
	cerr := raw.Control(func(fd uintptr) {
		cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if cerr != nil || err != nil {
		return peer{}, false
	}
	return peer{pid: int(cred.Pid), uid: int(cred.Uid)}, true
}

// peerFrom is the peer of a request on a unix socket.
func peerFrom(ctx context.Context) (peer, bool) {
	p, ok := ctx.Value(peerKey{}).(peer)
	return p, ok
}
