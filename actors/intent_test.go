package actors

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supervisord/conf"
	"supervisord/internal/statefile"
)

func startTreeWith(t *testing.T, groups []*conf.Group, opts Options) *tree {
	t.Helper()
	cfg := &conf.Config{Groups: groups}
	cfg.Supervisord.ChildLogDir = t.TempDir()
	cfg.Supervisord.Identifier = "supervisor"
	rec := &recorder{}
	opts.Log, opts.ServerURL = slog.New(rec), "unix:///tmp/test.sock"
	d, err := start(cfg, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &tree{Daemon: d, log: rec}
	t.Cleanup(func() { tr.stop(t) })
	return tr
}

func (tr *tree) stop(t *testing.T) {
	tr.Shutdown()
	select {
	case <-tr.Done():
	case <-time.After(30 * time.Second):
		t.Errorf("tree did not shut down; log:\n%s", tr.log)
	}
}

// changedCommand is x with the command of process name changed: an update
// restarts that process alone.
func changedCommand(g *conf.Group, name string) *conf.Group {
	out := *g
	out.Processes = nil
	for _, p := range g.Processes {
		q := *p
		if q.Name == name {
			q.Command = "exec sleep 601"
			q.Argv = []string{"/bin/sh", "-c", q.Command}
		}
		out.Processes = append(out.Processes, &q)
	}
	return &out
}

func TestDisableKeepsAProcessFromStarting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr := startTreeWith(t, []*conf.Group{numbered("x", 2)}, Options{})
	tr.waitRunning(t, "x_0", "x_1")
	if err := tr.Disable(ctx, "x", "x_0", Operator{User: "alice", From: "10.0.0.5:4000"}); err != nil {
		t.Fatal(err)
	}
	in := tr.info(t, "x_0")
	if in.State != Stopped || !in.Intent.Disabled || in.Intent.User != "alice" || in.Intent.From != "10.0.0.5:4000" {
		t.Fatalf("after disable: %s %+v", in.State, in.Intent)
	}
	if d := in.Description(); !strings.HasPrefix(d, "disabled, ") {
		t.Errorf("description %q, want disabled and the stop time", d)
	}
	if one, err := tr.Info(ctx, "x", "x_0"); err != nil || !one.Intent.Disabled {
		t.Errorf("Info = %+v, %v; want the intent", one.Intent, err)
	}
	if err := tr.Start(ctx, "x", "x_0", true); !errors.Is(err, ErrDisabled) {
		t.Errorf("start of a disabled process: %v, want %v", err, ErrDisabled)
	}
	outs, err := tr.StartAll(ctx, true)
	if err != nil || len(outs) != 1 || outs[0].Name != "x_0" || !errors.Is(outs[0].Err, ErrDisabled) {
		t.Errorf("StartAll = %+v, %v; want x_0 refused as disabled", outs, err)
	}
	// An update that changes it leaves it down (one that replaces its
	// whole group: TestAStopIsRememberedByUpdate).
	g := changedCommand(numbered("x", 2), "x_0")
	if _, _, _, err := tr.Update(ctx, &conf.Config{Groups: []*conf.Group{g}}); err != nil {
		t.Fatal(err)
	}
	tr.waitRunning(t, "x_1")
	if in := tr.info(t, "x_0"); in.State != Stopped || !in.Intent.Disabled {
		t.Fatalf("after updates: %s %+v", in.State, in.Intent)
	}
	if err := tr.Enable(ctx, "x", "x_0", Operator{}); err != nil {
		t.Fatal(err)
	}
	if in := tr.info(t, "x_0"); in.State != Stopped || !in.Intent.IsZero() {
		t.Fatalf("enable started it or kept the intent: %s %+v", in.State, in.Intent)
	}
	if err := tr.Start(ctx, "x", "x_0", true); err != nil {
		t.Fatal(err)
	}
	tr.waitRunning(t, "x_0", "x_1")
}

func TestAStopIsRememberedByUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr := startTreeWith(t, []*conf.Group{numbered("x", 2)}, Options{})
	tr.waitRunning(t, "x_0", "x_1")
	if err := tr.Stop(ctx, "x", "x_0", true); err != nil {
		t.Fatal(err)
	}
	if in := tr.info(t, "x_0"); !in.Intent.Stopped || in.Intent.Disabled || in.Description() == "disabled" {
		t.Fatalf("after stop: %+v %q", in.Intent, in.Description())
	}
	moved := changedCommand(numbered("x", 2), "x_0")
	moved.Priority = 5
	if _, _, _, err := tr.Update(ctx, &conf.Config{Groups: []*conf.Group{moved}}); err != nil {
		t.Fatal(err)
	}
	tr.waitRunning(t, "x_1")
	if in := tr.info(t, "x_0"); in.State != Stopped {
		t.Fatalf("the update started a process stopped by hand: %s", in.State)
	}
	// A start clears it: the next update restarts it as any other.
	if err := tr.Start(ctx, "x", "x_0", true); err != nil {
		t.Fatal(err)
	}
	if in := tr.info(t, "x_0"); !in.Intent.IsZero() {
		t.Fatalf("start left %+v", in.Intent)
	}
	before := tr.waitRunning(t, "x_0", "x_1")
	again := changedCommand(moved, "x_1")
	again.Processes[0].Command = "exec sleep 602"
	again.Processes[0].Argv = []string{"/bin/sh", "-c", "exec sleep 602"}
	if _, _, _, err := tr.Update(ctx, &conf.Config{Groups: []*conf.Group{again}}); err != nil {
		t.Fatal(err)
	}
	after := tr.waitRunning(t, "x_0", "x_1")
	if after["x_0"] == before["x_0"] {
		t.Errorf("x_0 kept pid %d through a change of its command", before["x_0"])
	}
}

func TestIntentOutlastsTheTree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "supervisord.state")
	groups := []*conf.Group{numbered("x", 3)}
	tr := startTreeWith(t, groups, Options{StateFile: path})
	tr.waitRunning(t, "x_0", "x_1", "x_2")
	if err := tr.Disable(ctx, "x", "x_0", Operator{User: "alice"}); err != nil {
		t.Fatal(err)
	}
	if err := tr.Stop(ctx, "x", "x_1", true); err != nil {
		t.Fatal(err)
	}
	tr.stop(t) // the last write is done once the tree is down
	st, err := statefile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if in := st.Processes["x:x_0"]; !in.Disabled || in.User != "alice" || in.At.IsZero() {
		t.Errorf("x_0 on disk: %+v", in)
	}
	if in := st.Processes["x:x_1"]; !in.Stopped || in.Disabled {
		t.Errorf("x_1 on disk: %+v", in)
	}
	if _, ok := st.Processes["x:x_2"]; ok {
		t.Errorf("x_2 has an intent on disk")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the state file's directory holds %d entries, want the file alone", len(entries))
	}

	tr2 := startTreeWith(t, groups, Options{StateFile: path, Intent: st})
	tr2.waitRunning(t, "x_2")
	for _, name := range []string{"x_0", "x_1"} {
		if in := tr2.info(t, name); in.State != Stopped || !in.Start.IsZero() {
			t.Errorf("%s autostarted against its intent: %s", name, in.State)
		}
	}
	if d := tr2.info(t, "x_0").Description(); d != "disabled" {
		t.Errorf("description %q, want disabled", d)
	}
}

func TestDisableGroup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr := startTreeWith(t, []*conf.Group{numbered("x", 2)}, Options{})
	tr.waitRunning(t, "x_0", "x_1")
	outs, err := tr.DisableGroup(ctx, "x", Operator{})
	if err != nil || len(outs) != 2 || outs[0].Err != nil || outs[1].Err != nil {
		t.Fatalf("DisableGroup = %+v, %v", outs, err)
	}
	tr.waitRunning(t)
	if _, err := tr.DisableGroup(ctx, "nosuch", Operator{}); !errors.Is(err, ErrBadName) {
		t.Errorf("DisableGroup(nosuch) = %v", err)
	}
	outs, err = tr.StartGroup(ctx, "x", true)
	if err != nil || len(outs) != 2 || !errors.Is(outs[0].Err, ErrDisabled) {
		t.Errorf("StartGroup = %+v, %v", outs, err)
	}
	if _, err := tr.EnableGroup(ctx, "x", Operator{}); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.StartGroup(ctx, "x", true); err != nil {
		t.Fatal(err)
	}
	tr.waitRunning(t, "x_0", "x_1")
}
