package fleet

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"supervisord/internal/fleet/fleetpb"
	"supervisord/protocol/selector"
	"supervisord/testkit"
)

// TestOneNode: what a single node refuses and survives. The unimplemented
// RPCs of protoactor's service are refused; a message batch that would
// make protoactor's reader index out of range ends only its stream; an
// envelope whose body this version does not know is answered with an
// error; and through all of it the node answers.
func TestOneNode(t *testing.T) {
	dir := t.TempDir()
	ca := testkit.NewCA(t, dir, "fleet")
	n := startNode(t, ca, dir, "solo", "role=web", nil)
	waitMembers(t, n, 1)

	peer := ca.Node(t, dir, "peer")
	creds := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{peer.TLS}, InsecureSkipVerify: true})
	conn, err := grpc.Dial(n.Address(), grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := remote.NewRemotingClient(conn)
	ctx := context.Background()
	if _, err := client.ListProcesses(ctx, &remote.ListProcessesRequest{}); status.Code(err) != codes.Unimplemented {
		t.Errorf("ListProcesses: %v", err)
	}
	if _, err := client.GetProcessDiagnostics(ctx, &remote.GetProcessDiagnosticsRequest{}); status.Code(err) != codes.Unimplemented {
		t.Errorf("GetProcessDiagnostics: %v", err)
	}

	stream, err := client.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&remote.RemoteMessage{MessageType: &remote.RemoteMessage_ConnectRequest{ConnectRequest: &remote.ConnectRequest{
		ConnectionType: &remote.ConnectRequest_ServerConnection{ServerConnection: &remote.ServerConnection{SystemId: "x", Address: "127.0.0.1:1"}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&remote.RemoteMessage{MessageType: &remote.RemoteMessage_MessageBatch{MessageBatch: &remote.MessageBatch{
		Targets:   []*actor.PID{actor.NewPID(n.Address(), agentName)},
		Envelopes: []*remote.MessageEnvelope{{TypeId: 7, Target: 0, MessageData: []byte{1}}},
	}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.Internal {
		t.Errorf("after a malformed batch: %v", err)
	}

	// A newer node's request: an envelope with a body of field 99.
	raw := protowire.AppendTag(nil, 99, protowire.BytesType)
	raw = protowire.AppendBytes(raw, []byte("future"))
	var env fleetpb.Envelope
	if err := proto.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	env.Version = 2
	if a := n.ask(ctx, n.Address(), &env); a.err == nil || !strings.Contains(a.err.Error(), "does not know") {
		t.Errorf("an unknown request: %+v", a)
	}

	replies := n.Status(ctx, selector.Selector{}, []string{"web:*"})
	if len(replies) != 1 || replies[0].Err != nil || len(replies[0].Processes) != 2 {
		t.Errorf("status after all that: %+v", replies)
	}
	if _, err := n.Act(ctx, Action{Verb: "start"}, selector.Selector{}, nil); err == nil {
		t.Error("an action without names")
	}
	if _, err := n.Act(ctx, Action{Verb: "bless"}, selector.Selector{}, []string{"x"}); !errors.Is(err, ErrBadVerb) {
		t.Errorf("a bad verb: %v", err)
	}
}
