package conf

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"supervisord/internal/tlsfiles"
	"supervisord/protocol/selector"
)

// Fleet is the [fleet] section (an extension): this daemon's membership of a fleet.
type Fleet struct {
	Name          string            // name=; default: the host name (os.Hostname)
	Labels        map[string]string // labels=role=web,zone=a (protocol/selector.ParseLabels); default none
	Listen        string            // listen= host:port of the node-to-node (remote) server; default 0.0.0.0:7947
	Gossip        string            // gossip= host:port of memberlist; default 0.0.0.0:7946
	Seeds         []string          // seeds= other nodes' gossip addresses, comma or space separated, each host or host:port (port default 7946); default none
	CA, Cert, Key string            // ca=, cert=, key= PEM files; all three required (mutual TLS between nodes)
	GossipKeyFile string            // gossip_key_file= a file holding a base64 key of 16, 24 or 32 bytes (memberlist encryption); default none
	Timeout       time.Duration     // timeout= seconds a gateway waits for a node's answer (integer > 0); default 5
}

// The defaults of [fleet] and the bounds of its values.
const (
	DefaultFleetListen  = "0.0.0.0:7947"
	DefaultFleetGossip  = "0.0.0.0:7946"
	DefaultGossipPort   = 7946
	DefaultFleetTimeout = 5 * time.Second
	// MaxFleetName is the longest name= in bytes.
	MaxFleetName = 64
	// MaxFleetTimeout is the longest timeout=: a gateway waiting longer
	// for one node is a slip of the keyboard.
	MaxFleetTimeout = time.Hour
	// maxGossipKeyFile bounds what is read of gossip_key_file (a key is
	// 44 bytes of base64 at most).
	maxGossipKeyFile = 4096
)

// GossipKey reads and checks GossipKeyFile: its text, surrounding blanks
// trimmed, is standard base64 of 16, 24 or 32 bytes (AES-128, -192 or
// -256 for memberlist). It is nil, without error, when no file is named.
// The loader checks the file with it, and the fleet reads it with it.
func (f *Fleet) GossipKey() ([]byte, error) {
	if f.GossipKeyFile == "" {
		return nil, nil
	}
	file, err := os.Open(f.GossipKeyFile)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read: %w", f.GossipKeyFile, pathless(err))
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxGossipKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read: %w", f.GossipKeyFile, pathless(err))
	}
	if len(data) > maxGossipKeyFile {
		return nil, fmt.Errorf("%s: longer than %d bytes: not a key", f.GossipKeyFile, maxGossipKeyFile)
	}
	key, err := parseGossipKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.GossipKeyFile, err)
	}
	return key, nil
}

// pathless is a file error without the path, which the caller says.
func pathless(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseGossipKey reads the text of a gossip key file.
func parseGossipKey(data []byte) ([]byte, error) {
	text := strings.TrimSpace(string(data))
	if text == "" {
		return nil, errors.New("the file is empty: it should hold a base64 key of 16, 24 or 32 bytes")
	}
	key, err := base64.StdEncoding.Strict().DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("not a base64 key (%w)", err)
	}
	switch len(key) {
	case 16, 24, 32:
		return key, nil
	}
	return nil, fmt.Errorf("the key is %d bytes: memberlist takes 16, 24 or 32 (AES-128, AES-192 or AES-256)", len(key))
}

// fleet reads [fleet] into Config.Fleet, left nil when the section is
// absent. Every option is looked up before any file is checked, so that
// reading a stub finds them all; the files come last, the TLS ones after
// the gossip key, so that Check reports each problem.
func (l *loader) fleet() error {
	const s = "fleet"
	if !l.doc.has(s) {
		return nil
	}
	f := &Fleet{}
	names := expansions{"here": l.here, "host_node_name": l.host}
	files := map[string]*string{"ca": &f.CA, "cert": &f.Cert, "key": &f.Key, "gossip_key_file": &f.GossipKeyFile}
	pemFile := func(name string) option {
		return optIfSet(name, func(v string) error {
			if v = strings.TrimFunc(v, isPySpace); v == "" {
				return fmt.Errorf("%s= is empty: name a file", name)
			}
			*files[name] = normalizePath(v)
			return nil
		})
	}
	err := l.readOptions(s, names, []option{
		optIfSet("name", func(v string) (err error) {
			f.Name, err = parseFleetName(v)
			return err
		}),
		opt("labels", "", &f.Labels, parseFleetLabels),
		opt("listen", DefaultFleetListen, &f.Listen, parseBindAddress),
		opt("gossip", DefaultFleetGossip, &f.Gossip, parseBindAddress),
		optCheck("gossip", func() error { return distinctAddresses(f.Listen, f.Gossip) }),
		opt("seeds", "", &f.Seeds, parseSeeds),
		opt("timeout", strconv.Itoa(int(DefaultFleetTimeout/time.Second)), &f.Timeout, parseFleetTimeout),
		pemFile("ca"),
		pemFile("cert"),
		pemFile("key"),
		pemFile("gossip_key_file"),
	})
	if err != nil {
		return err
	}
	if f.Name == "" {
		err := errors.New("the host name is unknown: set name=")
		if l.host != "" {
			f.Name, err = parseFleetName(l.host)
			if err != nil {
				err = fmt.Errorf("the host name cannot name the node (%w): set name=", err)
			}
		}
		if err != nil {
			e := l.fail(s, "", err).(*Error)
			e.lacks = []string{"name"}
			return e
		}
	}
	if _, err := f.GossipKey(); err != nil {
		return l.fail(s, "gossip_key_file", err)
	}
	var missing []string
	for _, name := range []string{"ca", "cert", "key"} {
		if *files[name] == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		msg := "needs ca, cert and key: nodes only talk over mutual TLS"
		switch len(missing) {
		case 2:
			msg += fmt.Sprintf(" (%s= and %s= are not set)", missing[0], missing[1])
		case 1:
			msg += fmt.Sprintf(" (%s= is not set)", missing[0])
		}
		e := l.fail(s, "", errors.New(msg)).(*Error)
		e.lacks = missing
		return e
	}
	if err := checkFleetTLS(f.CA, f.Cert, f.Key); err != nil {
		var fe *tlsfiles.FileError
		if errors.As(err, &fe) {
			return l.fail(s, fleetTLSOption[fe.Option], err)
		}
		return l.fail(s, "", err)
	}
	l.cfg.Fleet = f
	return nil
}

// fleetTLSOption names [fleet]'s option for each of tlsfiles' options.
var fleetTLSOption = map[string]string{"certfile": "cert", "keyfile": "key", "client_ca": "ca"}

// checkFleetTLS reads a node's PEM files as a TLS server with client
// certificates, and checks that the node's own certificate is signed by
// a CA of ca=: the other nodes, trusting the same CAs, would refuse it
// otherwise. Its dates are not checked here (a certificate expires while
// the daemon runs; the nodes judge it at each handshake).
func checkFleetTLS(ca, cert, key string) error {
	cfg, err := tlsfiles.Server(tlsfiles.Files{CertFile: cert, KeyFile: key, ClientCA: ca})
	if err != nil {
		return err
	}
	chain := cfg.Certificates[0].Certificate
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil { // tlsfiles parsed it already
		return &tlsfiles.FileError{Option: "certfile", Path: cert, Msg: err.Error(), Err: err}
	}
	intermediates := x509.NewCertPool()
	for _, der := range chain[1:] {
		if c, err := x509.ParseCertificate(der); err == nil {
			intermediates.AddCert(c)
		}
	}
	// Now, or else when the certificate started: an expired one is
	// judged by the nodes, not here.
	for _, at := range []time.Time{time.Now(), leaf.NotBefore} {
		_, err = leaf.Verify(x509.VerifyOptions{
			Roots:         cfg.ClientCAs,
			Intermediates: intermediates,
			CurrentTime:   at,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
		})
		var invalid x509.CertificateInvalidError
		if !errors.As(err, &invalid) || invalid.Reason != x509.Expired {
			break
		}
		err = nil
	}
	var unknown x509.UnknownAuthorityError
	switch {
	case errors.As(err, &unknown):
		return &tlsfiles.FileError{Option: "certfile", Path: cert, Err: err,
			Msg: "not signed by a CA of ca= " + ca + ": the other nodes would refuse it"}
	case err != nil:
		return &tlsfiles.FileError{Option: "certfile", Path: cert, Msg: err.Error(), Err: err}
	}
	return nil
}

// parseFleetName reads name=: a node's name in every listing, so
// non-empty, without blanks or control characters, and short.
func parseFleetName(s string) (string, error) {
	s = strings.TrimFunc(s, isPySpace)
	switch {
	case s == "":
		return "", errors.New("name= is empty: a node needs a name")
	case strings.ContainsFunc(s, func(r rune) bool { return isPySpace(r) || r < ' ' || r == 0x7f }):
		return "", fmt.Errorf("name %s has a blank or a control character", PyRepr(s))
	case len(s) > MaxFleetName:
		return "", fmt.Errorf("name %s is %d bytes long: at most %d", PyRepr(s), len(s), MaxFleetName)
	}
	return s, nil
}

// parseFleetLabels reads labels= as protocol/selector does.
func parseFleetLabels(s string) (map[string]string, error) {
	labels, err := selector.ParseLabels(strings.TrimFunc(s, isPySpace))
	var se *selector.SyntaxError
	if errors.As(err, &se) {
		return nil, fmt.Errorf("%s (at byte %d of %s); labels are NAME=VALUE separated by commas", se.Msg, se.Offset, PyRepr(se.Text))
	}
	if _, ok := labels[ReservedFleetLabel]; ok {
		return nil, fmt.Errorf("the label %q is reserved: a selector's %s=NAME picks a node by its name", ReservedFleetLabel, ReservedFleetLabel)
	}
	return labels, err
}

// ReservedFleetLabel is the label key selectors name a node by (its
// name= value), which labels= may not set.
const ReservedFleetLabel = "node"

// parseFleetTimeout reads timeout=, whole seconds from 1 to an hour.
func parseFleetTimeout(s string) (time.Duration, error) {
	n, err := parseInt(s)
	switch {
	case err != nil:
		return 0, err
	case n < 1:
		return 0, fmt.Errorf("%d is below lower bound (1)", n)
	case time.Duration(n) > MaxFleetTimeout/time.Second:
		return 0, fmt.Errorf("%d is above upper bound (%d)", n, MaxFleetTimeout/time.Second)
	}
	return time.Duration(n) * time.Second, nil
}

// parseBindAddress reads listen= or gossip=: HOST:PORT, HOST empty for
// every address, an IP (IPv6 in brackets) or a name, PORT 0 to 65535 (0:
// any free port). It returns the address as net.JoinHostPort writes it.
func parseBindAddress(s string) (string, error) {
	s = strings.TrimFunc(s, isPySpace)
	host, port, hasPort, err := splitAddress(s)
	if err != nil {
		return "", fmt.Errorf("%s: %w", PyRepr(s), err)
	}
	if !hasPort {
		return "", fmt.Errorf("%s has no port: write HOST:PORT (HOST empty for every address, an IPv6 one in brackets: [::1]:7947)", PyRepr(s))
	}
	if err := checkHost(host); err != nil {
		return "", err
	}
	n, err := portFrom(port, 0)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(host, strconv.Itoa(n)), nil
}

// distinctAddresses refuses listen= and gossip= on one port of one
// address: memberlist and the node server each need their own.
func distinctAddresses(listen, gossip string) error {
	lh, lp, _ := net.SplitHostPort(listen)
	gh, gp, _ := net.SplitHostPort(gossip)
	if lp != gp || lp == "0" {
		return nil
	}
	wildcard := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	if lh == gh || wildcard(lh) || wildcard(gh) {
		return fmt.Errorf("gossip= %s and listen= %s share port %s: memberlist and the node server each need their own", gossip, listen, gp)
	}
	return nil
}

// parseSeeds reads seeds=: entries separated by commas, blanks or both,
// each HOST or HOST:PORT (an IPv6 address in brackets when it has a
// port), PORT 1 to 65535, default 7946. It returns them as HOST:PORT;
// an empty list (a first node) is nil. An empty entry between commas,
// or a seed given twice, is an error.
func parseSeeds(s string) ([]string, error) {
	if strings.TrimFunc(s, isPySpace) == "" {
		return nil, nil
	}
	var out []string
	n := 0
	for _, part := range strings.Split(s, ",") {
		entries := strings.FieldsFunc(part, isPySpace)
		if len(entries) == 0 {
			return nil, errors.New("empty entry in seeds list")
		}
		for _, e := range entries {
			n++
			seed, err := parseSeed(e)
			if err != nil {
				return nil, fmt.Errorf("seed %d %s: %w", n, PyRepr(e), err)
			}
			for i, prev := range out {
				if prev == seed {
					return nil, fmt.Errorf("seed %d %s: %s is seed %d already", n, PyRepr(e), seed, i+1)
				}
			}
			out = append(out, seed)
		}
	}
	return out, nil
}

func parseSeed(s string) (string, error) {
	host, port, hasPort, err := splitAddress(s)
	if err != nil {
		return "", err
	}
	if host == "" {
		return "", errors.New("no host")
	}
	if err := checkHost(host); err != nil {
		return "", err
	}
	n := DefaultGossipPort
	if hasPort {
		if n, err = portFrom(port, 1); err != nil {
			return "", err
		}
	}
	return net.JoinHostPort(host, strconv.Itoa(n)), nil
}

// splitAddress splits HOST, HOST:PORT, [IPV6], [IPV6]:PORT or a bare
// IPv6 address. A host name is lower-cased.
func splitAddress(s string) (host, port string, hasPort bool, err error) {
	if rest, ok := strings.CutPrefix(s, "["); ok {
		inside, after, ok := strings.Cut(rest, "]")
		if !ok {
			return "", "", false, errors.New("no closing ']'")
		}
		if a, ok := parseIP(inside); !ok || !a.Is6() {
			return "", "", false, fmt.Errorf("%s in brackets is not an IPv6 address", PyRepr(inside))
		}
		if after == "" {
			return inside, "", false, nil
		}
		if port, ok = strings.CutPrefix(after, ":"); !ok {
			return "", "", false, errors.New("expected ':' and a port after ']'")
		}
		return inside, port, true, nil
	}
	switch strings.Count(s, ":") {
	case 0:
		return strings.ToLower(s), "", false, nil
	case 1:
		host, port, _ = strings.Cut(s, ":")
		if _, ok := parseIP(host); !ok {
			host = strings.ToLower(host)
		}
		return host, port, true, nil
	}
	if a, ok := parseIP(s); ok && a.Is6() {
		return s, "", false, nil
	}
	return "", "", false, fmt.Errorf("not HOST:PORT (an IPv6 address with a port goes in brackets: [::1]:%d)", DefaultGossipPort)
}

// parseIP reads an IP address; an IPv6 zone must be an interface's name
// or number (letters, digits, '.', '_', '-').
func parseIP(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return a, false
	}
	zone := a.Zone()
	for i := 0; i < len(zone); i++ {
		if c := zone[i]; !isHostByte(c) && c != '.' {
			return a, false
		}
	}
	return a, true
}

func isHostByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// checkHost accepts "" (every address), an IP address or a host name:
// dot-separated labels of letters, digits, '-' and '_', none empty or
// starting or ending with '-', 253 bytes at most.
func checkHost(h string) error {
	if h == "" {
		return nil
	}
	if _, ok := parseIP(h); ok {
		return nil
	}
	bad := fmt.Errorf("host %s is neither an IP address nor a host name", PyRepr(h))
	if len(h) > 253 {
		return bad
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return bad
		}
		for i := 0; i < len(label); i++ {
			if !isHostByte(label[i]) {
				return bad
			}
		}
	}
	return nil
}

// portFrom reads a decimal port from low to 65535 (checkPort's rule
// when low is 1).
func portFrom(p string, low int) (int, error) {
	n, err := strconv.Atoi(p)
	if p == "" || len(p) > 5 || strings.Trim(p, "0123456789") != "" || err != nil || n < low || n > 0xffff {
		return 0, fmt.Errorf("port %s is not a number from %d to 65535", PyRepr(p), low)
	}
	return n, nil
}
