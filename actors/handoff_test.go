package actors

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/testkit"
)

// A freeze that fails part way (a process does not answer) thaws what it
// froze without a second reader on any pipe: the output hub was never
// closed, so it reads on, and the writer's log holds every line once, in
// order.
func TestFailedFreezeThawsWithoutASecondReader(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "count.log")
	count := program("a", `i=0; while :; do echo $i; i=$((i+1)); done`, func(p *conf.Process) {
		p.StartSecs, p.Stdout.Logfile = 0, out
	})
	idle := program("b", "exec sleep 1000", func(p *conf.Process) { p.StartSecs = 0 })
	// b never answers the freeze.
	deaf := func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			if _, ok := env.Message.(*freezeProcess); ok && strings.HasSuffix(c.Self().Id, "/b") {
				return
			}
			next(c, env)
		}
	}
	tr := startTree(t, []*conf.Group{count, idle}, deaf)
	tr.waitState(t, "a", Running, 10*time.Second)
	tr.waitState(t, "b", Running, 10*time.Second)

	paused := false
	_, err := tr.Freeze(context.Background(), func() { paused = true }, func() { paused = false })
	if !errors.Is(err, ErrNoHandover) || paused {
		t.Fatalf("Freeze: %v (reaper paused: %v), want ErrNoHandover and the reaper left alone", err, paused)
	}
	time.Sleep(200 * time.Millisecond) // a writes on, read as before
	if err := tr.Stop(context.Background(), "a", "a", true); err != nil {
		t.Fatal(err)
	}
	n := testkit.CountedLines(t, out)
	if n < 100 {
		t.Errorf("only %d lines logged", n)
	}
}
