package fleet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"supervisord/internal/tlsfiles"
)

// Certificates are a node's TLS files: its certificate and key, which it
// shows both as a server and as a client, and the fleet's CA.
type Certificates struct {
	CA, Cert, Key string
}

// tlsConfigs are a node's server and client settings. A peer is a member
// when its certificate chains to the fleet's CA; the name or address in
// it is not checked (nodes dial each other by address, and a fleet's CA
// signs only its nodes), so node certificates need no IP SANs.
func tlsConfigs(c Certificates) (server, client *tls.Config, err error) {
	base, err := tlsfiles.Server(tlsfiles.Files{CertFile: c.Cert, KeyFile: c.Key, ClientCA: c.CA})
	if err != nil {
		return nil, nil, err
	}
	roots := base.ClientCAs
	verify := func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the peer showed no certificate")
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err != nil {
			return fmt.Errorf("the peer's certificate is not the fleet's: %w", err)
		}
		return nil
	}
	server = &tls.Config{MinVersion: tls.VersionTLS13, Certificates: base.Certificates,
		ClientAuth: tls.RequireAnyClientCert, VerifyConnection: verify}
	client = &tls.Config{MinVersion: tls.VersionTLS13, Certificates: base.Certificates,
		// The chain is checked by verify, against the fleet's CA only.
		InsecureSkipVerify: true, VerifyConnection: verify}
	return server, client, nil
}

// loggedCreds logs each refused handshake: gRPC keeps them to itself (and
// protoactor silences gRPC's log).
type loggedCreds struct {
	credentials.TransportCredentials
	log *slog.Logger
}

func (c loggedCreds) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	out, info, err := c.TransportCredentials.ServerHandshake(conn)
	if err != nil {
		c.log.Warn("fleet: refused a connection from " + conn.RemoteAddr().String() + ": " + err.Error())
	}
	return out, info, err
}

func (c loggedCreds) ClientHandshake(ctx context.Context, addr string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	out, info, err := c.TransportCredentials.ClientHandshake(ctx, addr, conn)
	if err != nil {
		c.log.Warn("fleet: cannot talk to " + addr + ": " + err.Error())
	}
	return out, info, err
}

func (c loggedCreds) Clone() credentials.TransportCredentials {
	return loggedCreds{c.TransportCredentials.Clone(), c.log}
}

// receiveMethod is the one RPC of protoactor's remote service a node
// serves: the stream its peers send envelopes on. The others
// (ListProcesses, GetProcessDiagnostics) are unimplemented there and
// panic; they are refused.
const receiveMethod = "/remote.Remoting/Receive"

// serverOptions are the gRPC server's settings: mutual TLS, only the
// Receive stream, and a panic in a handler (a malformed message can make
// protoactor's reader dereference nil) ending that stream, not the daemon.
func serverOptions(creds credentials.TransportCredentials, log *slog.Logger) []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.Creds(creds),
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, _ grpc.UnaryHandler) (any, error) {
			return nil, status.Error(codes.Unimplemented, info.FullMethod+" is not served")
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
			if info.FullMethod != receiveMethod {
				return status.Error(codes.Unimplemented, info.FullMethod+" is not served")
			}
			defer func() {
				if v := recover(); v != nil {
					log.Error(fmt.Sprintf("fleet: a peer's message broke its stream: %v", v))
					err = status.Error(codes.Internal, "malformed message")
				}
			}()
			return handler(srv, ss)
		}),
	}
}
