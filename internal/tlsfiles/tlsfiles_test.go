package tlsfiles

import (
	"crypto/tls"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"supervisord/testkit"
)

func TestServer(t *testing.T) {
	dir := t.TempDir()
	ca := testkit.NewCA(t, dir, "test")
	srv := ca.Server(t, dir, "server")
	other := ca.Server(t, dir, "other")
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not PEM at all\n"), 0o600)
	badDER := filepath.Join(dir, "bad-der.pem")
	os.WriteFile(badDER, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600)
	missing := filepath.Join(dir, "missing.pem")

	for _, tc := range []struct {
		name     string
		files    Files
		option   string // "" for success
		contains string
	}{
		{"pair", Files{srv.CertFile, srv.KeyFile, ""}, "", ""},
		{"pair and CA", Files{srv.CertFile, srv.KeyFile, ca.File}, "", ""},
		{"no cert file", Files{missing, srv.KeyFile, ""}, "certfile", "missing.pem: cannot read: no such file or directory"},
		{"cert not PEM", Files{garbage, srv.KeyFile, ""}, "certfile", "garbage.pem: no certificate in it"},
		{"cert bad DER", Files{badDER, srv.KeyFile, ""}, "certfile", "bad-der.pem: certificate 1: x509:"},
		{"key is a cert", Files{srv.CertFile, srv.CertFile, ""}, "keyfile", "server.pem: found a certificate rather than a key"},
		{"no key file", Files{srv.CertFile, missing, ""}, "keyfile", "missing.pem: cannot read"},
		{"key of another", Files{srv.CertFile, other.KeyFile, ""}, "keyfile", "other-key.pem: private key does not match public key"},
		{"no CA file", Files{srv.CertFile, srv.KeyFile, missing}, "client_ca", "missing.pem: cannot read"},
		{"CA not PEM", Files{srv.CertFile, srv.KeyFile, garbage}, "client_ca", "garbage.pem: no certificate in it"},
		{"CA is a key", Files{srv.CertFile, srv.KeyFile, srv.KeyFile}, "client_ca", "server-key.pem: no certificate in it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Server(tc.files)
			if tc.option == "" {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.MinVersion != tls.VersionTLS12 || len(cfg.Certificates) != 1 {
					t.Errorf("settings: %+v", cfg)
				}
				if want := tc.files.ClientCA != ""; (cfg.ClientAuth == tls.RequireAndVerifyClientCert) != want || (cfg.ClientCAs != nil) != want {
					t.Errorf("client auth %v with client_ca %q", cfg.ClientAuth, tc.files.ClientCA)
				}
				return
			}
			checkFileError(t, err, tc.option, tc.contains)
		})
	}
}

func TestClient(t *testing.T) {
	dir := t.TempDir()
	ca := testkit.NewCA(t, dir, "test")
	cl := ca.Client(t, dir, "client")
	other := ca.Client(t, dir, "other")
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		name     string
		files    ClientFiles
		option   string // "" for success
		contains string
	}{
		{"nothing", ClientFiles{}, "", ""},
		{"CA", ClientFiles{CAFile: ca.File}, "", ""},
		{"CA and pair", ClientFiles{ca.File, cl.CertFile, cl.KeyFile}, "", ""},
		{"pair", ClientFiles{"", cl.CertFile, cl.KeyFile}, "", ""},
		{"no CA file", ClientFiles{CAFile: missing}, "cafile", "missing.pem: cannot read"},
		{"CA is a key", ClientFiles{CAFile: cl.KeyFile}, "cafile", "client-key.pem: no certificate in it"},
		{"cert without key", ClientFiles{CertFile: cl.CertFile}, "keyfile", "client.pem: the certificate's key is not given"},
		{"key without cert", ClientFiles{KeyFile: cl.KeyFile}, "certfile", "client-key.pem: the key's certificate is not given"},
		{"key of another", ClientFiles{"", cl.CertFile, other.KeyFile}, "keyfile", "other-key.pem: private key does not match public key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Client(tc.files)
			if tc.option == "" {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.MinVersion != tls.VersionTLS12 || (cfg.RootCAs != nil) != (tc.files.CAFile != "") ||
					len(cfg.Certificates) != map[bool]int{false: 0, true: 1}[tc.files.CertFile != ""] {
					t.Errorf("settings: %+v", cfg)
				}
				return
			}
			checkFileError(t, err, tc.option, tc.contains)
		})
	}
}

// checkFileError checks that err is a *FileError of option whose text
// contains contains, and that a file that cannot be read unwraps to
// fs.ErrNotExist.
func checkFileError(t *testing.T, err error, option, contains string) {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is not a *FileError", err)
	}
	if fe.Option != option || !strings.Contains(err.Error(), contains) {
		t.Errorf("got option %q, %q; want %q containing %q", fe.Option, err, option, contains)
	}
	if strings.Contains(contains, "cannot read") && !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%v does not unwrap to fs.ErrNotExist", err)
	}
}
