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
	pair, err := keyPair("certfile", f.CertFile, "keyfile", f.KeyFile)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}
	if f.ClientCA == "" {
		return cfg, nil
	}
	if cfg.ClientCAs, err = certPool("client_ca", f.ClientCA); err != nil {
		return nil, err
	}
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	return cfg, nil
}

// ClientFiles are a client's PEM files ([supervisorctl] cafile=,
// certfile=, keyfile=), each optional: CAFile replaces the system's CAs
// for checking the server's certificate; CertFile and KeyFile, which go
// together, are the certificate a server with client_ca asks for.
type ClientFiles struct {
	CAFile, CertFile, KeyFile string
}

// Client reads the files into the settings of a TLS client: TLS 1.2 at
// least, the server checked against CAFile (or the system's CAs), and
// the certificate shown when the server asks for one.
func Client(f ClientFiles) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	var err error
	if f.CAFile != "" {
		if cfg.RootCAs, err = certPool("cafile", f.CAFile); err != nil {
			return nil, err
		}
	}
	switch {
	case f.CertFile != "" && f.KeyFile != "":
		pair, err := keyPair("certfile", f.CertFile, "keyfile", f.KeyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{pair}
	case f.CertFile != "":
		return nil, &FileError{Option: "keyfile", Path: f.CertFile, Msg: "the certificate's key is not given (keyfile=)", Err: ErrNoKey}
	case f.KeyFile != "":
		return nil, &FileError{Option: "certfile", Path: f.KeyFile, Msg: "the key's certificate is not given (certfile=)", Err: ErrNoKey}
	}
	return cfg, nil
}

// ErrNoKey is a certificate given without its key, or a key without its
// certificate.
var ErrNoKey = errors.New("a certificate and its key go together")

// keyPair reads a certificate and its key, the options that name them
// given for errors.
func keyPair(certOption, certPath, keyOption, keyPath string) (tls.Certificate, error) {
	certPEM, err := read(certOption, certPath)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := parseCertificates(certPEM); err != nil {
		return tls.Certificate{}, &FileError{Option: certOption, Path: certPath, Msg: err.Error(), Err: err}
	}
	keyPEM, err := read(keyOption, keyPath)
	if err != nil {
		return tls.Certificate{}, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The certificates parsed: what is wrong is the key, or that it
		// is not the certificate's.
		return tls.Certificate{}, &FileError{Option: keyOption, Path: keyPath, Msg: strings.TrimPrefix(err.Error(), "tls: "), Err: err}
	}
	return pair, nil
}

// certPool reads the CA certificates of a file.
func certPool(option, path string) (*x509.CertPool, error) {
	caPEM, err := read(option, path)
	if err != nil {
		return nil, err
	}
	if err := parseCertificates(caPEM); err != nil {
		return nil, &FileError{Option: option, Path: path, Msg: err.Error(), Err: err}
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return pool, nil
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
