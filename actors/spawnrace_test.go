package actors

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
)

// protoactor registers an actor's name a moment before its mailbox can take
// messages, and runs OnInit in that moment; a message posted to the name
// then leaves the mailbox broken. Requests from outside the tree must
// therefore never reach an actor by its name: they go to the supervisor,
// and inside the tree only PIDs that spawns returned are used (daemon.go).
// This test asks, from within that moment of every new process actor, for
// the very process being spawned: each request must be answered once the
// actor is up. Sending the same request by name (NewLocalPID) instead
// breaks that mailbox: the group being added never answers and the test
// hangs until go test times it out (tried by hand).
func TestRequestDuringSpawnIsAnswered(t *testing.T) {
	var (
		armed   atomic.Bool
		d       atomic.Pointer[Daemon]
		mu      sync.Mutex
		pending = map[string]*actor.Future{}
	)
	hook := actor.WithOnInit(func(c actor.Context) {
		if !armed.Load() {
			return
		}
		parts := strings.Split(c.Self().Id, "/")
		group, name := parts[len(parts)-2], parts[len(parts)-1]
		f := d.Load().sys.Root.RequestFuture(d.Load().root,
			&toProcess{group: group, name: name, msg: &getInfo{}}, 10*time.Second)
		mu.Lock()
		pending[group+":"+name] = f
		mu.Unlock()
	})
	cfg := &conf.Config{}
	cfg.Supervisord.ChildLogDir = t.TempDir()
	dm, err := start(cfg, Options{Log: slog.New(&recorder{})}, nil, hook)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dm.Shutdown(); <-dm.Done() })
	d.Store(dm)
	armed.Store(true)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range 20 {
		g := numbered(fmt.Sprintf("g%d", i), 3, func(p *conf.Process) { p.AutoStart = false })
		if err := dm.AddGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pending) != 60 {
		t.Fatalf("%d requests were made during spawns, want 60", len(pending))
	}
	for name, f := range pending {
		res, err := f.Result()
		if err != nil {
			t.Errorf("%s: the request made while its actor was being spawned got no answer: %v", name, err)
			continue
		}
		if in, ok := res.(*ProcessInfo); !ok || in.Group+":"+in.Name != name {
			t.Errorf("%s: answered %#v", name, res)
		}
	}
}
