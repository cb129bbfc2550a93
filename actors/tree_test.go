package actors

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
)

// recorder is a slog handler keeping "LEVEL message" lines for assertions.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, rec.Level.String()+" "+rec.Message)
	return nil
}

// matching returns the recorded lines containing sub.
func (r *recorder) matching(sub string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, l := range r.lines {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// program builds a one-process group with the reference's defaults, then
// applies the test's changes.
func program(name, command string, change ...func(*conf.Process)) *conf.Group {
	p := &conf.Process{
		Name: name, Group: name, Program: name, Command: command,
		Argv:     []string{"/bin/sh", "-c", command},
		Priority: 999, UID: -1, GID: -1,
		AutoStart: true, AutoRestart: conf.RestartUnexpected,
		StartSecs: time.Second, StartRetries: 3, ExitCodes: []int{0},
		StopSignal: syscall.SIGTERM, StopWaitSecs: 10 * time.Second,
	}
	for _, f := range change {
		f(p)
	}
	return &conf.Group{Name: name, Priority: p.Priority, Processes: []*conf.Process{p}}
}

type tree struct {
	*Daemon
	log *recorder
}

func startTree(t *testing.T, groups []*conf.Group, mw ...actor.ReceiverMiddleware) *tree {
	t.Helper()
	dir := t.TempDir()
	cfg := &conf.Config{Groups: groups}
	cfg.Supervisord.ChildLogDir = dir
	cfg.Supervisord.Identifier = "supervisor"
	rec := &recorder{}
	d, err := start(cfg, Options{Log: slog.New(rec), ServerURL: "unix:///tmp/test.sock"}, mw)
	if err != nil {
		t.Fatal(err)
	}
	tr := &tree{Daemon: d, log: rec}
	t.Cleanup(func() {
		d.Shutdown()
		select {
		case <-d.Done():
		case <-time.After(30 * time.Second):
			t.Errorf("tree did not shut down; log:\n%s", rec)
		}
		if t.Failed() {
			t.Logf("main log:\n%s", rec)
		}
	})
	return tr
}

func (tr *tree) info(t *testing.T, name string) ProcessInfo {
	t.Helper()
	infos, err := tr.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		if in.Name == name {
			return in
		}
	}
	t.Fatalf("no process %q", name)
	return ProcessInfo{}
}

func (tr *tree) waitState(t *testing.T, name string, want State, within time.Duration) ProcessInfo {
	t.Helper()
	return tr.waitUntil(t, name, "is "+want.String(), within, func(in ProcessInfo) bool { return in.State == want })
}

// waitUntil polls name's info until ok holds, failing the test after within.
func (tr *tree) waitUntil(t *testing.T, name, what string, within time.Duration, ok func(ProcessInfo) bool) ProcessInfo {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		in := tr.info(t, name)
		if ok(in) {
			return in
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never %s (last: %s %q)", name, what, in.State, in.Description())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (tr *tree) ask(t *testing.T, name string, msg any) error {
	t.Helper()
	_, err := tr.askProcess(context.Background(), name, name, msg.(message), 5*time.Second)
	return err
}

// The timing of the state machine (startsecs, backoff, stopwaitsecs,
// autorestart) is tested on a fake clock in timing_test.go; the tests here
// drive real processes and assert on what they did, not on how long it took.

// A real program that keeps failing: its exit status, the spawn error and
// the give-up line, once per try.
func TestRealExitsBackOffToFatal(t *testing.T) {
	tr := startTree(t, []*conf.Group{program("flaky", "echo oops >&2; exit 3", func(p *conf.Process) {
		p.StartRetries = 1
	})})
	in := tr.waitState(t, "flaky", Fatal, 10*time.Second)
	// Two attempts: the first start and one retry.
	if n := len(tr.log.matching("spawned: 'flaky'")); n != 2 {
		t.Errorf("%d spawns, want 2", n)
	}
	if in.SpawnErr != "Exited too quickly (process log may have details)" {
		t.Errorf("spawnerr %q", in.SpawnErr)
	}
	if n := len(tr.log.matching("WARN exited: flaky (exit status 3; not expected)")); n != 2 {
		t.Errorf("%d exit lines, want 2", n)
	}
	if n := len(tr.log.matching("INFO gave up: flaky entered FATAL state, too many start retries too quickly")); n != 1 {
		t.Errorf("%d gave up lines", n)
	}
}

func TestSpawnErrorIsBackoff(t *testing.T) {
	tr := startTree(t, []*conf.Group{program("ghost", "", func(p *conf.Process) {
		p.Argv = []string{"no-such-command-anywhere"}
		p.StartRetries = 0
	})})
	in := tr.waitState(t, "ghost", Fatal, 5*time.Second)
	if in.SpawnErr != "can't find command 'no-such-command-anywhere'" {
		t.Errorf("spawnerr %q", in.SpawnErr)
	}
	if len(tr.log.matching("INFO spawnerr: can't find command 'no-such-command-anywhere'")) != 1 {
		t.Error("no spawnerr line")
	}
}

func TestStopAndStopwaitEscalation(t *testing.T) {
	tr := startTree(t, []*conf.Group{
		program("polite", "exec sleep 100", func(p *conf.Process) { p.StartSecs = 0 }),
		program("stubborn", "trap '' TERM; while true; do sleep 0.1; done", func(p *conf.Process) {
			p.StartSecs = 0
			p.StopWaitSecs = 500 * time.Millisecond
		}),
	})
	tr.waitState(t, "polite", Running, 3*time.Second)
	tr.waitState(t, "stubborn", Running, 3*time.Second)
	if err := tr.ask(t, "polite", &stopProcess{}); err != nil {
		t.Fatal(err)
	}
	tr.waitState(t, "polite", Stopped, 3*time.Second)
	if len(tr.log.matching("WARN stopped: polite (terminated by SIGTERM)")) != 1 { // a signal is never an expected exit
		t.Error("no stopped line for polite")
	}
	if err := tr.ask(t, "polite", &stopProcess{}); err != ErrNotRunning {
		t.Errorf("second stop: %v, want ErrNotRunning", err)
	}
	if err := tr.ask(t, "stubborn", &stopProcess{}); err != nil {
		t.Fatal(err)
	}
	tr.waitState(t, "stubborn", Stopped, 5*time.Second)
	if len(tr.log.matching("WARN killing 'stubborn' (")) != 1 || len(tr.log.matching("WARN stopped: stubborn (terminated by SIGKILL)")) != 1 {
		t.Error("no SIGKILL escalation lines")
	}
	if err := tr.ask(t, "polite", &startProcess{}); err != nil {
		t.Fatal(err)
	}
	tr.waitState(t, "polite", Running, 3*time.Second)
	if err := tr.ask(t, "polite", &startProcess{}); err != ErrAlreadyStarted {
		t.Errorf("second start: %v, want ErrAlreadyStarted", err)
	}
}

func TestStopAsGroupReachesGrandchildren(t *testing.T) {
	for _, asGroup := range []bool{true, false} {
		t.Run(fmt.Sprint("stopasgroup=", asGroup), func(t *testing.T) {
			t.Parallel()
			pidfile := filepath.Join(t.TempDir(), "grandchild")
			cmd := fmt.Sprintf("sleep 100 & echo $! > %s; wait", pidfile)
			tr := startTree(t, []*conf.Group{program("sh", cmd, func(p *conf.Process) {
				p.StartSecs = 0
				p.StopAsGroup, p.KillAsGroup = asGroup, asGroup
			})})
			tr.waitState(t, "sh", Running, 3*time.Second)
			var gc int
			deadline := time.Now().Add(3 * time.Second)
			for gc == 0 && time.Now().Before(deadline) {
				b, _ := os.ReadFile(pidfile)
				fmt.Sscan(string(b), &gc)
				time.Sleep(10 * time.Millisecond)
			}
			if gc == 0 {
				t.Fatal("no grandchild pid")
			}
			defer syscall.Kill(gc, syscall.SIGKILL)
			tr.ask(t, "sh", &stopProcess{})
			tr.waitState(t, "sh", Stopped, 5*time.Second)
			if !asGroup {
				// Only a signal to the group could have ended it (it
				// sleeps 100 s).
				if !running(gc) {
					t.Error("the grandchild died with stopasgroup=false")
				}
				return
			}
			// The signal reached it; it may take a moment to die.
			deadline = time.Now().Add(5 * time.Second)
			for running(gc) {
				if time.Now().After(deadline) {
					t.Fatal("the grandchild is alive after a stop with stopasgroup=true")
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

func TestChildEnvironment(t *testing.T) {
	out := filepath.Join(t.TempDir(), "env")
	g := program("envy", "env > "+out+"; exec sleep 100", func(p *conf.Process) {
		p.Environment = []conf.EnvVar{{Key: "COLOUR", Value: "blue"}, {Key: "SUPERVISOR_ENABLED", Value: "overridden"}}
		p.Directory = "/tmp"
	})
	g.Name, g.Processes[0].Group = "pack", "pack"
	tr := startTree(t, []*conf.Group{g})
	deadline := time.Now().Add(3 * time.Second)
	var env string
	for !strings.Contains(env, "COLOUR") && time.Now().Before(deadline) {
		b, _ := os.ReadFile(out)
		env = string(b)
		time.Sleep(10 * time.Millisecond)
	}
	_ = tr
	for _, want := range []string{"COLOUR=blue", "SUPERVISOR_ENABLED=overridden", "SUPERVISOR_PROCESS_NAME=envy",
		"SUPERVISOR_GROUP_NAME=pack", "SUPERVISOR_SERVER_URL=unix:///tmp/test.sock", "PWD=/tmp"} {
		if !strings.Contains(env, want+"\n") {
			t.Errorf("child environment lacks %s:\n%s", want, env)
		}
	}
}

func TestShutdownStopsGroupsInReversePriority(t *testing.T) {
	var groups []*conf.Group
	for i, name := range []string{"first", "second", "third"} {
		g := program(name, "exec sleep 100", func(p *conf.Process) { p.StartSecs = 0 })
		g.Priority = (i + 1) * 10
		groups = append(groups, g)
	}
	tr := startTree(t, groups)
	for _, g := range groups {
		tr.waitState(t, g.Name, Running, 3*time.Second)
	}
	tr.Shutdown()
	<-tr.Done()
	// A group is sent its stop signal once the one before it has stopped.
	// (The "stopped:" lines are logged after the state change that lets
	// the next group go, so they may come in any order.)
	kills := tr.log.matching("DEBUG killing ")
	want := []string{"third", "second", "first"}
	if len(kills) != 3 {
		t.Fatalf("kill lines %q", kills)
	}
	for i, w := range want {
		if !strings.HasPrefix(kills[i], "DEBUG killing "+w+" ") {
			t.Errorf("kill %d is %q, want %s", i, kills[i], w)
		}
		if n := len(tr.log.matching("WARN stopped: " + w + " (terminated by SIGTERM)")); n != 1 {
			t.Errorf("%d stopped lines for %s", n, w)
		}
	}
	if waiting := tr.log.matching("waiting for "); len(waiting) == 0 || !strings.HasSuffix(waiting[0], "waiting for first, second, third to die") {
		t.Errorf("waiting lines %q", waiting)
	}
}

// crash makes the receiving process actor panic (through the fault-injection
// middleware the test installs).
type crash struct{}

func (*crash) isMessage() {}

func TestCrashedProcessActorKillsItsProcessAndRecovers(t *testing.T) {
	inject := func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			if _, ok := env.Message.(*crash); ok {
				panic("injected fault")
			}
			next(c, env)
		}
	}
	tr := startTree(t, []*conf.Group{
		program("victim", "exec sleep 100", func(p *conf.Process) { p.StartSecs = 0 }),
		program("bystander", "exec sleep 100", func(p *conf.Process) { p.StartSecs = 0 }),
	}, inject)
	victim := tr.waitState(t, "victim", Running, 3*time.Second)
	bystander := tr.waitState(t, "bystander", Running, 3*time.Second)
	tr.tell(&toProcess{group: "victim", name: "victim", msg: &crash{}})
	// The restarted actor killed its OS process and starts over in STOPPED.
	tr.waitState(t, "victim", Stopped, 3*time.Second)
	deadline := time.Now().Add(3 * time.Second)
	for syscall.Kill(victim.PID, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if syscall.Kill(victim.PID, 0) == nil {
		t.Error("the crashed actor's OS process is still alive")
	}
	if in := tr.info(t, "bystander"); in.State != Running || in.PID != bystander.PID {
		t.Errorf("bystander disturbed: %+v", in)
	}
	if err := tr.ask(t, "victim", &startProcess{}); err != nil {
		t.Fatal(err)
	}
	tr.waitState(t, "victim", Running, 3*time.Second)
	if len(tr.log.matching("actor supervisor/victim/victim crashed")) != 1 {
		t.Error("the crash was not logged")
	}
}

func TestChildLogCapture(t *testing.T) {
	dir := t.TempDir()
	out, errf := filepath.Join(dir, "out.log"), filepath.Join(dir, "err.log")
	tr := startTree(t, []*conf.Group{program("talk", "echo to-out; echo to-err >&2; exec sleep 100", func(p *conf.Process) {
		p.StartSecs = 0
		p.Stdout.Logfile, p.Stderr.Logfile = out, errf
	})})
	tr.waitState(t, "talk", Running, 3*time.Second)
	for path, want := range map[string]string{out: "to-out\n", errf: "to-err\n"} {
		waitFile(t, path, want)
	}
}

// running reports whether pid exists and is not a zombie: the orphaned
// grandchild is re-parented to an init that may be slow to reap it.
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || len(b) < i+3 || b[i+2] != 'Z'
}
