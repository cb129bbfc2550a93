package conf

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// fleetConf is a config whose [fleet] holds body.
func fleetConf(dir, body string) string {
	return "[supervisord]\nlogfile=" + dir + "/supervisord.log\npidfile=" + dir + "/supervisord.pid\nchildlogdir=" + dir + "\n[fleet]\n" + body
}

// TestFleetTLS loads [fleet] with certificates made for the test: a
// node's own certificate must come from a CA of ca=, each file's problem
// is named at its option, and dates are left to the handshakes.
func TestFleetTLS(t *testing.T) {
	dir := t.TempDir()
	ca := testkit.NewCA(t, dir, "fleet")
	other := testkit.NewCA(t, dir, "other")
	node := ca.Server(t, dir, "node")
	client := ca.Client(t, dir, "client")
	stranger := other.Server(t, dir, "stranger")
	both := filepath.Join(dir, "both-ca.pem")
	os.WriteFile(both, append(append([]byte(nil), other.PEM...), ca.PEM...), 0o600)
	expiredCA, expired := expiredPair(t, dir)

	for _, c := range []struct {
		name          string
		ca, cert, key string
		option, msg   string // the error's; "" when it loads
	}{
		{name: "a node certificate", ca: ca.File, cert: node.CertFile, key: node.KeyFile},
		{name: "a client certificate serves too", ca: ca.File, cert: client.CertFile, key: client.KeyFile},
		{name: "one of several CAs", ca: both, cert: node.CertFile, key: node.KeyFile},
		{name: "an expired certificate", ca: expiredCA, cert: expired.CertFile, key: expired.KeyFile},
		{name: "another CA's certificate", ca: ca.File, cert: stranger.CertFile, key: stranger.KeyFile,
			option: "cert", msg: stranger.CertFile + ": not signed by a CA of ca= " + ca.File + ": the other nodes would refuse it"},
		{name: "a key of another certificate", ca: ca.File, cert: node.CertFile, key: client.KeyFile,
			option: "key", msg: client.KeyFile + ": private key does not match public key"},
		{name: "a key that is not there", ca: ca.File, cert: node.CertFile, key: filepath.Join(dir, "none.pem"),
			option: "key", msg: filepath.Join(dir, "none.pem") + ": cannot read: no such file or directory"},
		{name: "a CA file holding a key", ca: node.KeyFile, cert: node.CertFile, key: node.KeyFile,
			option: "ca", msg: node.KeyFile + `: no certificate in it (a PEM "CERTIFICATE" block)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := fleetConf(dir, "ca="+c.ca+"\ncert="+c.cert+"\nkey="+c.key+"\n")
			cfg, err := Parse([]byte(text), filepath.Join(dir, "supervisord.conf"), nil)
			if c.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				if f := cfg.Fleet; f.CA != c.ca || f.Cert != c.cert || f.Key != c.key {
					t.Errorf("files %q %q %q, want %q %q %q", f.CA, f.Cert, f.Key, c.ca, c.cert, c.key)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v, want an *Error", err)
			}
			line := map[string]int{"ca": 6, "cert": 7, "key": 8}[c.option]
			if e.Section != "fleet" || e.Option != c.option || e.Msg != c.msg || e.Line != line {
				t.Errorf("error %q (section %q option %q line %d msg %q),\nwant option %q line %d msg %q", e, e.Section, e.Option, e.Line, e.Msg, c.option, line, c.msg)
			}
		})
	}
}

// expiredPair writes a CA and a node certificate of it that expired
// yesterday (testkit's certificates are valid today).
func expiredPair(t *testing.T, dir string) (caFile string, leaf *testkit.Leaf) {
	t.Helper()
	issue := func(name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool, notAfter time.Time) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-72 * time.Hour), NotAfter: notAfter,
			KeyUsage: x509.KeyUsageDigitalSignature, IsCA: isCA, BasicConstraintsValid: isCA,
		}
		if isCA {
			tmpl.KeyUsage |= x509.KeyUsageCertSign
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		cert, _ := x509.ParseCertificate(der)
		return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	caCert, caKey, caPEM := issue("expired CA", nil, nil, true, time.Now().Add(24*time.Hour))
	_, key, certPEM := issue("expired node", caCert, caKey, false, time.Now().Add(-24*time.Hour))
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	leaf = &testkit.Leaf{CertFile: filepath.Join(dir, "expired.pem"), KeyFile: filepath.Join(dir, "expired-key.pem")}
	caFile = filepath.Join(dir, "expired-ca.pem")
	for p, data := range map[string][]byte{caFile: caPEM, leaf.CertFile: certPEM,
		leaf.KeyFile: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})} {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return caFile, leaf
}

// TestFleetRelativePaths: relative file names are taken from the working
// directory, as certfile= and the reference's paths are.
func TestFleetRelativePaths(t *testing.T) {
	dir := t.TempDir()
	ca := testkit.NewCA(t, dir, "fleet")
	node := ca.Server(t, dir, "node")
	os.WriteFile(filepath.Join(dir, "gossip.key"), []byte(base64.StdEncoding.EncodeToString(make([]byte, 24))+"\n"), 0o600)
	t.Chdir(dir)
	text := fleetConf(dir, "ca=fleet-ca.pem\ncert=./node.pem\nkey=node-key.pem\ngossip_key_file=gossip.key\n")
	cfg, err := Parse([]byte(text), filepath.Join(t.TempDir(), "elsewhere.conf"), nil)
	if err != nil {
		t.Fatal(err)
	}
	f := cfg.Fleet
	if f.CA != ca.File || f.Cert != node.CertFile || f.Key != node.KeyFile || f.GossipKeyFile != filepath.Join(dir, "gossip.key") {
		t.Errorf("paths %q %q %q %q, want them in %s", f.CA, f.Cert, f.Key, f.GossipKeyFile, dir)
	}
	if key, err := f.GossipKey(); err != nil || !bytes.Equal(key, make([]byte, 24)) {
		t.Errorf("GossipKey() = %x, %v; want 24 zero bytes", key, err)
	}
}

// TestFleetAbsent: without [fleet] there is no fleet.
func TestFleetAbsent(t *testing.T) {
	dir := t.TempDir()
	text, _, _ := strings.Cut(fleetConf(dir, ""), "[fleet]")
	cfg, err := Parse([]byte(text), filepath.Join(dir, "s.conf"), nil)
	if err != nil || cfg.Fleet != nil {
		t.Errorf("Parse = %v; want no fleet", err)
	}
}

// TestFleetHostName: name= defaults to the host name, and a host name that
// cannot name a node asks for name=.
func TestFleetHostName(t *testing.T) {
	dir := t.TempDir()
	ca := testkit.NewCA(t, dir, "fleet")
	node := ca.Server(t, dir, "node")
	text := fleetConf(dir, "ca="+ca.File+"\ncert="+node.CertFile+"\nkey="+node.KeyFile+"\n")
	for _, c := range []struct{ host, name, err string }{
		{host: "box-1.example", name: "box-1.example"},
		{host: "", err: "the host name is unknown: set name="},
		{host: strings.Repeat("h", 65), err: "the host name cannot name the node (name '" + strings.Repeat("h", 65) + "' is 65 bytes long: at most 64): set name="},
	} {
		l, err := newLoader(filepath.Join(dir, "s.conf"), nil, (*iniDoc).read)
		if err != nil {
			t.Fatal(err)
		}
		l.host = c.host
		err = l.run([]byte(text))
		if c.err == "" {
			if err != nil || l.cfg.Fleet.Name != c.name {
				t.Errorf("host %q: %v, %v; want name %q", c.host, l.cfg.Fleet, err, c.name)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Msg != c.err || e.Option != "" || e.Line != 5 {
			t.Errorf("host %q: error %v, want %q at [fleet]'s line 5", c.host, err, c.err)
		}
	}
}

// TestGossipKey reads keys as the fleet will, the file read each time.
func TestGossipKey(t *testing.T) {
	if key, err := (&Fleet{}).GossipKey(); key != nil || err != nil {
		t.Errorf("no file: %x, %v; want nil, nil", key, err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "gossip.key")
	f := &Fleet{GossipKeyFile: path}
	k32 := bytes.Repeat([]byte{7}, 32)
	for _, c := range []struct {
		name, text string
		want       []byte
		err        string
	}{
		{"32 bytes, blanks around", "\n\t" + base64.StdEncoding.EncodeToString(k32) + "  \r\n", k32, ""},
		{"16 bytes", base64.StdEncoding.EncodeToString(k32[:16]), k32[:16], ""},
		{"unpadded", base64.RawStdEncoding.EncodeToString(k32[:16]), nil, path + ": not a base64 key (illegal base64 data at input byte 20)"},
		{"url alphabet", strings.Repeat("_", 44), nil, path + ": not a base64 key (illegal base64 data at input byte 0)"},
		{"8 bytes", base64.StdEncoding.EncodeToString(k32[:8]), nil, path + ": the key is 8 bytes: memberlist takes 16, 24 or 32 (AES-128, AES-192 or AES-256)"},
		{"too long a file", strings.Repeat("A", maxGossipKeyFile+1), nil, path + ": longer than 4096 bytes: not a key"},
	} {
		if err := os.WriteFile(path, []byte(c.text), 0o600); err != nil {
			t.Fatal(err)
		}
		key, err := f.GossipKey()
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s: %x, %v; want error %q", c.name, key, err, c.err)
			}
			continue
		}
		if err != nil || !bytes.Equal(key, c.want) {
			t.Errorf("%s: %x, %v; want %x", c.name, key, err, c.want)
		}
	}
	os.Remove(path)
	if _, err := f.GossipKey(); err == nil || err.Error() != path+": cannot read: no such file or directory" || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
}

func TestParseSeeds(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  string
	}{
		{"", nil, ""},
		{"  \n ", nil, ""},
		{"a", []string{"a:7946"}, ""},
		{"a:1,b:65535", []string{"a:1", "b:65535"}, ""},
		{"a b\tc\n d", []string{"a:7946", "b:7946", "c:7946", "d:7946"}, ""},
		{"a , b", []string{"a:7946", "b:7946"}, ""},
		{"Node.Example.:7000", []string{"node.example.:7000"}, ""},
		{"10.1.2.3 ::1 [::2] [fe80::1%eth0]:9", []string{"10.1.2.3:7946", "[::1]:7946", "[::2]:7946", "[fe80::1%eth0]:9"}, ""},
		{"a_b-c.d", []string{"a_b-c.d:7946"}, ""},
		{"a,", nil, "empty entry in seeds list"},
		{",a", nil, "empty entry in seeds list"},
		{"a:07946 a", nil, "seed 2 'a': a:7946 is seed 1 already"},
		{"a:", nil, "seed 1 'a:': port '' is not a number from 1 to 65535"},
		{"a:+1", nil, "seed 1 'a:+1': port '+1' is not a number from 1 to 65535"},
		{"a:123456", nil, "seed 1 'a:123456': port '123456' is not a number from 1 to 65535"},
		{"-a", nil, "seed 1 '-a': host '-a' is neither an IP address nor a host name"},
		{"a..b", nil, "seed 1 'a..b': host 'a..b' is neither an IP address nor a host name"},
		{"[::1]x", nil, "seed 1 '[::1]x': expected ':' and a port after ']'"},
		{"1:2:3", nil, "seed 1 '1:2:3': not HOST:PORT (an IPv6 address with a port goes in brackets: [::1]:7946)"},
		{strings.Repeat("a", 64), nil, "seed 1 '" + strings.Repeat("a", 64) + "': host '" + strings.Repeat("a", 64) + "' is neither an IP address nor a host name"},
	} {
		got, err := parseSeeds(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("parseSeeds(%q) = %q, %v; want error %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("parseSeeds(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestParseBindAddress(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"0.0.0.0:7947", "0.0.0.0:7947", ""},
		{":0", ":0", ""},
		{" Localhost:80 ", "localhost:80", ""},
		{"[::]:7946", "[::]:7946", ""},
		{"[]:1", "", "'[]:1': '' in brackets is not an IPv6 address"},
		{"[::1", "", "'[::1': no closing ']'"},
		{"host", "", "'host' has no port: write HOST:PORT (HOST empty for every address, an IPv6 one in brackets: [::1]:7947)"},
		{"h:-1", "", "port '-1' is not a number from 0 to 65535"},
		{"h:99999", "", "port '99999' is not a number from 0 to 65535"},
		{"*:7946", "", "host '*' is neither an IP address nor a host name"},
	} {
		got, err := parseBindAddress(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("parseBindAddress(%q) = %q, %v; want error %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("parseBindAddress(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, c := range []struct {
		listen, gossip string
		clash          bool
	}{
		{"0.0.0.0:7947", "0.0.0.0:7946", false},
		{":0", ":0", false},
		{"10.0.0.1:7000", "10.0.0.2:7000", false},
		{"10.0.0.1:7000", "10.0.0.1:7000", true},
		{"[::]:7000", "10.0.0.1:7000", true},
		{"10.0.0.1:7000", "0.0.0.0:7000", true},
	} {
		if err := distinctAddresses(c.listen, c.gossip); (err != nil) != c.clash {
			t.Errorf("distinctAddresses(%q, %q) = %v, want a clash: %t", c.listen, c.gossip, err, c.clash)
		}
	}
}

// TestREADMEFleet loads the README's [fleet] example with its files made
// for the test: it loads, sets every option the loader reads, and means
// what it says.
func TestREADMEFleet(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// The reference example is the one under "### Config" of "## Fleet"
	// (the walk-through before it has a [fleet] of its own).
	_, config, ok := strings.Cut(string(readme), "\n## Fleet\n")
	if ok {
		_, config, ok = strings.Cut(config, "\n### Config\n")
	}
	if !ok {
		t.Fatal("the README has no Fleet section with a Config part")
	}
	_, after, ok := strings.Cut(config, "\n    [fleet]\n")
	if !ok {
		t.Fatal("the README has no [fleet] example")
	}
	block, _, _ := strings.Cut(after, "\n\n")
	dir := t.TempDir()
	ca := testkit.NewCA(t, dir, "fleet")
	ca.Server(t, dir, "web-1")
	os.WriteFile(filepath.Join(dir, "fleet.key"), []byte(base64.StdEncoding.EncodeToString(make([]byte, 32))+"\n"), 0o600)
	var set []string
	for _, line := range strings.Split(block, "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), "=")
		set = append(set, name)
	}
	for o := range knownOptions()["fleet"] {
		if !slices.Contains(set, o) {
			t.Errorf("the README's [fleet] example does not show %s=", o)
		}
	}
	text := strings.ReplaceAll(fleetConf(dir, block+"\n"), "/etc/supervisor", dir)
	cfg, err := Parse([]byte(text), filepath.Join(dir, "supervisord.conf"), nil)
	if err != nil {
		t.Fatal(err)
	}
	f := cfg.Fleet
	want := Fleet{Name: "web-1", Labels: map[string]string{"role": "web", "zone": "a"},
		Listen: DefaultFleetListen, Gossip: DefaultFleetGossip, Seeds: []string{"10.0.0.2:7946", "web-3.example:7000"},
		CA: ca.File, Cert: filepath.Join(dir, "web-1.pem"), Key: filepath.Join(dir, "web-1-key.pem"),
		GossipKeyFile: filepath.Join(dir, "fleet.key"), Timeout: DefaultFleetTimeout}
	if !reflect.DeepEqual(*f, want) {
		t.Errorf("the README's [fleet] reads as\n%+v\nwant\n%+v", *f, want)
	}
}
