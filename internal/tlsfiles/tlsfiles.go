// Package tlsfiles reads the PEM files of a TLS server (certfile=,
// keyfile=, client_ca= of [inet_http_server]) into its settings, with
// errors that name the file and the option at fault. The config loader
// checks them with it, so a bad file fails the load at its line, and the
// HTTP server reads them again with it when it starts.
package tlsfiles

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Files are a server's PEM files; ClientCA is "" unless clients must show
// a certificate it signed.
type Files struct {
	CertFile, KeyFile, ClientCA string
}

// FileError is a file that cannot serve: Option is the config option that
// names it ("certfile", "keyfile" or "client_ca").
type FileError struct {
	Option string
	Path   string
	Msg    string
	Err    error
}

func (e *FileError) Error() string { return e.Path + ": " + e.Msg }
func (e *FileError) Unwrap() error { return e.Err }

// Server reads the files into the settings of a TLS server: TLS 1.2 at
// least, and with a client CA, only clients whose certificate it signed.
// Protocols (HTTP/2) are left for the HTTP server to offer.
func Server(f Files) (*tls.Config, error) {
	certPEM, err := read("certfile", f.CertFile)
	if err != nil {
		return nil, err
	}
	if err := parseCertificates(certPEM); err != nil {
		return nil, &FileError{Option: "certfile", Path: f.CertFile, Msg: err.Error(), Err: err}
	}
	keyPEM, err := read("keyfile", f.KeyFile)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The certificates parsed: what is wrong is the key, or that it
		// is not the certificate's.
		return nil, &FileError{Option: "keyfile", Path: f.KeyFile, Msg: strings.TrimPrefix(err.Error(), "tls: "), Err: err}
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}
	if f.ClientCA == "" {
		return cfg, nil
	}
	caPEM, err := read("client_ca", f.ClientCA)
	if err != nil {
		return nil, err
	}
	if err := parseCertificates(caPEM); err != nil {
		return nil, &FileError{Option: "client_ca", Path: f.ClientCA, Msg: err.Error(), Err: err}
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cfg.ClientCAs = pool
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	return cfg, nil
}

func read(option, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error() // the path is said already
		}
		return nil, &FileError{Option: option, Path: path, Msg: "cannot read: " + msg, Err: err}
	}
	return b, nil
}

// ErrNoCertificate is a file without a single PEM certificate.
var ErrNoCertificate = errors.New(`no certificate in it (a PEM "CERTIFICATE" block)`)

// parseCertificates checks that data holds PEM certificates, all valid.
func parseCertificates(data []byte) error {
	n := 0
	for len(data) > 0 {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Errorf("certificate %d: %w", n+1, err)
		}
		n++
	}
	if n == 0 {
		return ErrNoCertificate
	}
	return nil
}
