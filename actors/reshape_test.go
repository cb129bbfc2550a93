package actors

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"supervisord/protocol/events"
	"sync"
	"testing"
	"time"

	"supervisord/conf"
	"supervisord/testkit"
)

// numbered builds a homogeneous group of n sleeping processes, x_0 … x_{n-1},
// with startsecs=0.
func numbered(name string, n int, change ...func(*conf.Process)) *conf.Group {
	g := &conf.Group{Name: name, Priority: 999}
	for i := range n {
		p := program(name, "exec sleep 600", func(p *conf.Process) {
			p.Name = fmt.Sprintf("%s_%d", name, i)
			p.StartSecs = 0
		}).Processes[0]
		for _, f := range change {
			f(p)
		}
		g.Processes = append(g.Processes, p)
	}
	return g
}

func (tr *tree) pids(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	infos, err := tr.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		if in.State == Running {
			out[in.Name] = in.PID
		}
	}
	return out
}

// waitRunning waits until exactly the named processes run and returns their pids.
func (tr *tree) waitRunning(t *testing.T, names ...string) map[string]int {
	t.Helper()
	slices.Sort(names)
	var pids map[string]int
	var got []string
	if !testkit.Poll(10*time.Second, func() bool {
		pids = tr.pids(t)
		got = slices.Sorted(maps.Keys(pids))
		return slices.Equal(got, names)
	}) {
		t.Fatalf("running %v, want %v", got, names)
	}
	return pids
}

func TestUpdateReshapesGroupInPlace(t *testing.T) {
	t.Parallel()
	tr := startTree(t, []*conf.Group{numbered("x", 3), program("other", "exec sleep 600")})
	before := tr.waitRunning(t, "x_0", "x_1", "x_2", "other")
	ctx := context.Background()

	// numprocs 3 → 5: two more, nothing restarted.
	grown := numbered("x", 5)
	added, changed, removed, err := tr.Update(ctx, &conf.Config{Groups: []*conf.Group{grown, program("other", "exec sleep 600")}})
	if err != nil || len(added) != 0 || !slices.Equal(changed, []string{"x"}) || len(removed) != 0 {
		t.Fatalf("Update = %v %v %v, %v", added, changed, removed, err)
	}
	after := tr.waitRunning(t, "x_0", "x_1", "x_2", "x_3", "x_4", "other")
	for _, n := range []string{"x_0", "x_1", "x_2", "other"} {
		if after[n] != before[n] {
			t.Errorf("%s restarted (pid %d → %d) though its config did not change", n, before[n], after[n])
		}
	}

	// One process's command changes and numprocs drops to 2: x_1 restarts,
	// x_2…x_4 stop and go, x_0 stays.
	shrunk := numbered("x", 2)
	shrunk.Processes[1].Command = "exec sleep 601"
	shrunk.Processes[1].Argv = []string{"/bin/sh", "-c", "exec sleep 601"}
	if _, _, _, err := tr.Update(ctx, &conf.Config{Groups: []*conf.Group{shrunk, program("other", "exec sleep 600")}}); err != nil {
		t.Fatal(err)
	}
	final := tr.waitRunning(t, "x_0", "x_1", "other")
	if final["x_0"] != before["x_0"] || final["other"] != before["other"] {
		t.Errorf("untouched processes restarted: before %v, after %v", before, final)
	}
	if final["x_1"] == before["x_1"] {
		t.Errorf("x_1 kept pid %d though its command changed", final["x_1"])
	}
	for _, n := range []string{"x_2", "x_3", "x_4"} {
		if running(after[n]) {
			t.Errorf("%s (pid %d) still runs after it left the config", n, after[n])
		}
	}
	var names []string
	groups, err := tr.Groups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		for _, p := range g.Processes {
			names = append(names, p.Name)
		}
	}
	if !slices.Equal(names, []string{"x_0", "x_1", "other"}) {
		t.Errorf("Groups() lists %v", names)
	}
	if _, err := tr.Info(ctx, "x", "x_3"); err != ErrBadName {
		t.Errorf("Info of a removed process: %v, want ErrBadName", err)
	}
}

func TestUpdateRestartsGroupWhoseOwnSettingsChanged(t *testing.T) {
	t.Parallel()
	tr := startTree(t, []*conf.Group{numbered("x", 2)})
	before := tr.waitRunning(t, "x_0", "x_1")
	var mu sync.Mutex
	var seen []string
	cancel, err := tr.Subscribe(context.Background(), []events.Type{events.TypeProcessGroup}, func(_ int64, ev events.Event) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, ev.EventType().String())
	})
	if err != nil {
		t.Fatal(err)
	}
	moved := numbered("x", 2)
	moved.Priority = 5 // a group setting: the whole group restarts, as in the reference
	if _, _, _, err := tr.Update(context.Background(), &conf.Config{Groups: []*conf.Group{moved}}); err != nil {
		t.Fatal(err)
	}
	// Both events were published before Update returned; the observer may
	// not have been handed the second yet.
	testkit.Poll(5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) >= 2
	})
	cancel()
	after := tr.waitRunning(t, "x_0", "x_1")
	for n, pid := range before {
		if after[n] == pid {
			t.Errorf("%s kept pid %d though its group's priority changed", n, pid)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"PROCESS_GROUP_REMOVED", "PROCESS_GROUP_ADDED"}; !slices.Equal(seen, want) {
		t.Errorf("group events %v, want %v: the group was not removed and added once", seen, want)
	}
}

func TestShutdownDuringReshape(t *testing.T) {
	t.Parallel()
	// The changed process ignores SIGTERM for a while, so the shutdown comes
	// while the reshape waits for it.
	slow := numbered("x", 2, func(p *conf.Process) { p.StopWaitSecs = 2 * time.Second })
	trapped := filepath.Join(t.TempDir(), "trapped")
	slow.Processes[1].Command = "trap '' TERM; : >" + trapped + "; while :; do sleep 0.1; done"
	slow.Processes[1].Argv = []string{"/bin/sh", "-c", slow.Processes[1].Command}
	tr := startTree(t, []*conf.Group{slow})
	pids := tr.waitRunning(t, "x_0", "x_1")
	testkit.Eventually(t, 10*time.Second, func() bool { _, err := os.Stat(trapped); return err == nil },
		"x_1 did not set its trap") // a SIGTERM before that would end it
	next := numbered("x", 3, func(p *conf.Process) { p.StopWaitSecs = 2 * time.Second })
	done := make(chan error, 1)
	go func() {
		_, _, _, err := tr.Update(context.Background(), &conf.Config{Groups: []*conf.Group{next}})
		done <- err
	}()
	tr.waitState(t, "x_1", Stopping, 5*time.Second)
	tr.Shutdown()
	select {
	case <-tr.Done():
	case <-time.After(20 * time.Second):
		t.Fatalf("the tree did not shut down during a reshape:\n%s", tr.log)
	}
	for n, pid := range pids {
		if running(pid) {
			t.Errorf("%s (pid %d) outlived the daemon", n, pid)
		}
	}
	<-done // whatever the update says, it must return
}
