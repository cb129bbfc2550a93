package conf

import (
	"errors"
	"fmt"
	"os/user"
	"slices"
	"strconv"
	"strings"

	"supervisord/internal/auth"
	"supervisord/internal/tlsfiles"
)

// Who may use the HTTP servers, and over what (extensions the reference
// ignores): TLS files of [inet_http_server], peer_roles= of
// [unix_http_server], and [user:NAME] accounts.

// serverTLS reads certfile=, keyfile= and client_ca= of an inet server and
// checks the files, failing at the option of the file at fault.
func (l *loader) serverTLS(section string, srv *InetHTTPServer) error {
	here := expansions{"here": l.here}
	paths := map[string]*string{"certfile": &srv.CertFile, "keyfile": &srv.KeyFile, "client_ca": &srv.ClientCA}
	for _, name := range []string{"certfile", "keyfile", "client_ca"} {
		v, ok, err := l.get(section, name, here)
		if err != nil {
			return err
		}
		if v = strings.TrimFunc(v, isPySpace); ok && v == "" {
			return l.fail(section, name, fmt.Errorf("%s= is empty: name a PEM file", name))
		} else if ok {
			*paths[name] = normalizePath(v)
		}
	}
	if l.check != nil && (l.check.masked[[2]string{section, "certfile"}] || l.check.masked[[2]string{section, "keyfile"}]) {
		// Check took out a bad file: its partner alone is no new problem.
		srv.CertFile, srv.KeyFile, srv.ClientCA = "", "", ""
		return nil
	}
	switch {
	case srv.CertFile != "" && srv.KeyFile == "":
		return l.fail(section, "certfile", errors.New("certfile= needs keyfile= too"))
	case srv.KeyFile != "" && srv.CertFile == "":
		return l.fail(section, "keyfile", errors.New("keyfile= needs certfile= too"))
	case srv.ClientCA != "" && srv.CertFile == "":
		return l.fail(section, "client_ca", errors.New("client_ca= needs certfile= and keyfile= (clients are asked for certificates over TLS only)"))
	case srv.CertFile == "":
		return nil
	}
	_, err := tlsfiles.Server(tlsfiles.Files{CertFile: srv.CertFile, KeyFile: srv.KeyFile, ClientCA: srv.ClientCA})
	var fe *tlsfiles.FileError
	if errors.As(err, &fe) {
		return l.fail(section, fe.Option, err)
	}
	return err
}

// peerRoles reads peer_roles= of a unix server.
func (l *loader) peerRoles(section string, srv *UnixHTTPServer) error {
	v, ok, err := l.get(section, "peer_roles", nil)
	if err != nil || !ok {
		return err
	}
	if srv.PeerRoles, err = parsePeerRoles(v, lookupUID); err != nil {
		return l.fail(section, "peer_roles", err)
	}
	return nil
}

// lookupUID is a user name's uid.
func lookupUID(name string) (int, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, fmt.Errorf("no such user %s", name)
	}
	return strconv.Atoi(u.Uid)
}

// parsePeerRoles reads "UID_OR_USER:ROLE, ..." (entries separated by
// commas, blanks around them ignored): a uid is a decimal number, any
// other name a user that lookup resolves. A uid named twice is an error,
// and so is an empty entry; an empty value maps no peer (nil).
func parsePeerRoles(s string, lookup func(name string) (int, error)) ([]PeerRole, error) {
	if strings.TrimFunc(s, isPySpace) == "" {
		return nil, nil
	}
	var out []PeerRole
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimFunc(entry, isPySpace)
		who, role, ok := strings.Cut(entry, ":")
		who = strings.TrimFunc(who, isPySpace)
		if !ok || who == "" {
			return nil, fmt.Errorf("entry %d %s is not UID_OR_USER:ROLE", i+1, PyRepr(entry))
		}
		r, err := auth.ParseRole(role)
		if err != nil {
			return nil, fmt.Errorf("entry %d %s: %w", i+1, PyRepr(entry), err)
		}
		uid, err := peerUID(who, lookup)
		if err != nil {
			return nil, fmt.Errorf("entry %d %s: %w", i+1, PyRepr(entry), err)
		}
		if j := slices.IndexFunc(out, func(p PeerRole) bool { return p.UID == uid }); j >= 0 {
			return nil, fmt.Errorf("entry %d %s: uid %d has a role already (entry %d)", i+1, PyRepr(entry), uid, j+1)
		}
		out = append(out, PeerRole{UID: uid, Role: r})
	}
	return out, nil
}

func peerUID(who string, lookup func(string) (int, error)) (int, error) {
	if who[0] >= '0' && who[0] <= '9' {
		n, err := strconv.ParseUint(who, 10, 32)
		if err != nil || n == 1<<32-1 { // (uid_t)-1 is no uid
			return 0, fmt.Errorf("invalid uid %s", who)
		}
		return int(n), nil
	}
	uid, err := lookup(who)
	if err != nil {
		return 0, err
	}
	return uid, nil
}

// users reads the [user:NAME] sections, after the servers (a name may not
// be both an account and a server's username).
func (l *loader) users() error {
	for _, s := range l.doc.sections {
		name, ok := strings.CutPrefix(s.name, "user:")
		if !ok {
			continue
		}
		if name == "" || strings.ContainsFunc(name, func(r rune) bool { return r == ':' || isPySpace(r) || r < ' ' }) {
			return l.fail(s.name, "", fmt.Errorf("invalid user name %s: a name must be non-empty, without blanks or colons", PyRepr(name)))
		}
		u := &User{Name: name}
		pw, ok, err := l.get(s.name, "password", nil)
		if err != nil {
			return err
		}
		if !ok {
			return l.fail(s.name, "", fmt.Errorf("section [%s] has no password value", s.name))
		}
		if _, err := auth.ParsePassword(pw); err != nil {
			return l.fail(s.name, "password", err)
		}
		u.Password = pw
		err = l.readOptions(s.name, nil, []option{opt("role", "read", &u.Role, auth.ParseRole)})
		if err != nil {
			return err
		}
		for _, srv := range l.serverUsernames() {
			if srv[1] == name {
				return l.fail(s.name, "", fmt.Errorf("user %s is also the username of [%s]: an account is defined once", name, srv[0]))
			}
		}
		l.cfg.Users = append(l.cfg.Users, u)
	}
	return nil
}

// serverUsernames lists {section, username} of the servers that have one.
func (l *loader) serverUsernames() [][2]string {
	var out [][2]string
	for _, s := range l.cfg.InetHTTPServers {
		if s.Username != "" {
			out = append(out, [2]string{section("inet_http_server", s.Name), s.Username})
		}
	}
	for _, s := range l.cfg.UnixHTTPServers {
		if s.Username != "" {
			out = append(out, [2]string{section("unix_http_server", s.Name), s.Username})
		}
	}
	return out
}

func section(kind, name string) string {
	if name == "" {
		return kind
	}
	return kind + ":" + name
}
