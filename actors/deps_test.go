package actors

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"supervisord/conf"
	"supervisord/protocol/events"
	"supervisord/testkit"
)

// Dependencies, readiness and health with real processes. The programs
// wait for files the test creates, so every "before" is made by the test,
// not by a clock.

// dependsOn is a depends_on entry naming whole one-process groups, as conf
// resolves "name[:condition]".
func dependsOn(cond conf.Condition, names ...string) func(*conf.Process) {
	return func(p *conf.Process) {
		for _, n := range names {
			p.Lifecycle.DependsOn = append(p.Lifecycle.DependsOn, conf.Dependency{
				Name: n, Condition: cond, Targets: []conf.ProcessRef{{Group: n, Name: n}}})
		}
	}
}

func withPriority(n int) func(*conf.Process) { return func(p *conf.Process) { p.Priority = n } }

func noAutostart(p *conf.Process) { p.AutoStart = false }

func quickStart(p *conf.Process) { p.StartSecs = 0 }

// prioritized sets each group's priority from its one process's.
func prioritized(gs ...*conf.Group) []*conf.Group {
	for _, g := range gs {
		g.Priority = g.Processes[0].Priority
	}
	return gs
}

// spawnOrder is the order of the "spawned:" lines of the named processes.
func (tr *tree) spawnOrder(names ...string) []string {
	var order []string
	re := regexp.MustCompile(`spawned: '([^']+)'`)
	for _, l := range tr.log.matching("spawned: ") {
		if m := re.FindStringSubmatch(l); m != nil && slices.Contains(names, m[1]) {
			order = append(order, m[1])
		}
	}
	return order
}

// stopOrder is the order of the "stopped:" lines.
func (tr *tree) stopOrder() []string {
	var order []string
	re := regexp.MustCompile(`stopped: (\S+) `)
	for _, l := range tr.log.matching("stopped: ") {
		if m := re.FindStringSubmatch(l); m != nil {
			order = append(order, m[1])
		}
	}
	return order
}

func (tr *tree) waitFor(t *testing.T, name string, what string, ok func(ProcessInfo) bool) ProcessInfo {
	t.Helper()
	return tr.waitUntil(t, name, what, 10*time.Second, ok)
}

// awaitFile is a shell line that waits until path exists.
func awaitFile(path string) string {
	return "while [ ! -e " + path + " ]; do sleep 0.02; done; "
}

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Autostart follows the graph, not priority: web (priority 1) waits for a
// migration job, which waits for the database to be ready.
func TestAutostartFollowsDependencies(t *testing.T) {
	dir := t.TempDir()
	tr := startTree(t, prioritized(
		program("web", "exec sleep 100", withPriority(1), quickStart,
			dependsOn(conf.CondCompletedOK, "migrate"), dependsOn(conf.CondRunning, "db")),
		program("migrate", "exit 0", withPriority(2), quickStart, dependsOn(conf.CondRunning, "db"),
			func(p *conf.Process) { p.AutoRestart = conf.RestartNever }),
		program("db", awaitFile(filepath.Join(dir, "go"))+"echo ready; exec sleep 100", withPriority(3), quickStart,
			func(p *conf.Process) {
				p.Lifecycle.Ready = conf.Probe{Kind: conf.ProbeLog, Target: "^ready$"}
				p.Lifecycle.ReadyTimeout = time.Minute
			}),
	))
	in := tr.waitFor(t, "web", "waited", func(in ProcessInfo) bool {
		return in.WaitingFor != "" && !strings.Contains(in.WaitingFor, "dependencies")
	})
	if want := "waiting for migrate to complete successfully and db to be running"; in.Description() != want || in.State != Stopped {
		t.Errorf("web: %s %q, want STOPPED %q", in.State, in.Description(), want)
	}
	// db autostarts after web and migrate (priority 3): it gets to
	// STARTING and, not ready until "go", stays there.
	tr.waitState(t, "db", Starting, 10*time.Second)
	touch(t, filepath.Join(dir, "go"))
	tr.waitState(t, "web", Running, 10*time.Second)
	if got, want := tr.spawnOrder("web", "migrate", "db"), []string{"db", "migrate", "web"}; !slices.Equal(got, want) {
		t.Errorf("spawn order %q, want %q", got, want)
	}
	if len(tr.log.matching("INFO ready: db (log:^ready$)")) != 1 {
		t.Error("no readiness line for db")
	}
	if len(tr.log.matching("INFO success: db entered RUNNING state, process is ready (log:^ready$) and has stayed up")) != 1 {
		t.Error("no RUNNING line naming readiness")
	}
}

// A manual start pulls stopped dependencies in first, and waits for them.
func TestStartPullsDependenciesIn(t *testing.T) {
	tr := startTree(t, prioritized(
		program("api", "exec sleep 100", noAutostart, quickStart, dependsOn(conf.CondRunning, "db")),
		program("db", "exec sleep 100", noAutostart, func(p *conf.Process) { p.StartSecs = 0 }),
	))
	if err := tr.Start(context.Background(), "api", "api", true); err != nil {
		t.Fatal(err)
	}
	if in := tr.info(t, "db"); in.State != Running {
		t.Errorf("db is %s", in.State)
	}
	if got := tr.spawnOrder("api", "db"); !slices.Equal(got, []string{"db", "api"}) {
		t.Errorf("spawn order %q", got)
	}
	// Started again, api is ALREADY_STARTED as ever.
	if err := tr.Start(context.Background(), "api", "api", true); !errors.Is(err, ErrAlreadyStarted) {
		t.Errorf("second start: %v", err)
	}
}

// Stopping a dependency stops its dependents first, deepest first; stop all
// and the shutdown go in reverse dependency order too, whatever the
// priorities say.
func TestStopPushesDependentsOut(t *testing.T) {
	tr := startTree(t, prioritized(
		program("db", "exec sleep 100", withPriority(1), quickStart),
		program("api", "exec sleep 100", withPriority(2), quickStart, dependsOn(conf.CondRunning, "db")),
		program("web", "exec sleep 100", withPriority(3), quickStart, dependsOn(conf.CondRunning, "api")),
		program("cron", "exec sleep 100", withPriority(4), quickStart),
	))
	for _, n := range []string{"db", "api", "web", "cron"} {
		tr.waitState(t, n, Running, 10*time.Second)
	}
	if err := tr.Stop(context.Background(), "db", "db", true); err != nil {
		t.Fatal(err)
	}
	if got, want := tr.stopOrder(), []string{"web", "api", "db"}; !slices.Equal(got, want) {
		t.Errorf("stop order %q, want %q", got, want)
	}
	if in := tr.info(t, "cron"); in.State != Running {
		t.Errorf("cron, which depends on nothing, is %s", in.State)
	}
	// A stopped dependency's dependents are not pushed out again.
	if err := tr.Stop(context.Background(), "db", "db", true); !errors.Is(err, ErrNotRunning) {
		t.Errorf("second stop: %v", err)
	}
}

func TestStopAllAndShutdownInReverseDependencyOrder(t *testing.T) {
	// By priority, the shutdown would stop db (999) first and api (1) last.
	tr := startTree(t, prioritized(
		program("api", "exec sleep 100", withPriority(1), quickStart, dependsOn(conf.CondRunning, "db")),
		program("db", "exec sleep 100", withPriority(999), quickStart),
	))
	tr.waitState(t, "api", Running, 10*time.Second)
	out, err := tr.StopAll(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range out {
		names = append(names, o.Name)
	}
	if !slices.Equal(names, []string{"api", "db"}) || !slices.Equal(tr.stopOrder(), []string{"api", "db"}) {
		t.Errorf("stop all reported %q, stopped %q; want api before db", names, tr.stopOrder())
	}
	if _, err := tr.StartAll(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	tr.waitState(t, "api", Running, 10*time.Second)
	tr.Shutdown()
	<-tr.Done()
	if got := tr.stopOrder(); !slices.Equal(got, []string{"api", "db", "api", "db"}) {
		t.Errorf("stops %q, want the shutdown's api before db", got)
	}
}

// A dependency that goes FATAL leaves its dependents waiting, with a
// description naming it; a start that waits fails; once the dependency
// recovers, they start.
func TestDependencyFatalThenRecovers(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok")
	tr := startTree(t, prioritized(
		program("db", "[ -e "+ok+" ] || exit 1; exec sleep 100", withPriority(1),
			func(p *conf.Process) { p.StartRetries = 0 }),
		program("api", "exec sleep 100", withPriority(2), quickStart, dependsOn(conf.CondRunning, "db")),
	))
	// db exits at once: BACKOFF, then FATAL with no retries.
	tr.waitState(t, "db", Fatal, 10*time.Second)
	in := tr.waitFor(t, "api", "names FATAL db", func(in ProcessInfo) bool { return strings.Contains(in.WaitingFor, "FATAL") })
	if want := "waiting for db to be running (db is FATAL)"; in.State != Stopped || in.Description() != want {
		t.Errorf("api: %s %q, want STOPPED %q", in.State, in.Description(), want)
	}
	// Starting api pulls db in; db fails again, so the wait fails.
	err := tr.Start(context.Background(), "api", "api", true)
	var e *Error
	if !errors.As(err, &e) || e.Kind != Abnormal || !strings.Contains(e.Detail, "db") {
		t.Errorf("start api: %v, want abnormal termination naming db", err)
	}
	if n := len(tr.log.matching("spawned: 'db'")); n != 2 {
		t.Errorf("db spawned %d times, want 2", n)
	}
	touch(t, ok)
	if err := tr.Start(context.Background(), "db", "db", true); err != nil {
		t.Fatal(err)
	}
	tr.waitState(t, "api", Running, 10*time.Second)
	if len(tr.log.matching("INFO dependencies met: starting api")) != 1 {
		t.Error("no line for api's start")
	}
}

// depends_on=NAME:healthy waits for a passing health check; a program whose
// checks then fail is restarted.
func TestHealthyConditionAndHealthRestart(t *testing.T) {
	dir := t.TempDir()
	healthy := filepath.Join(dir, "healthy")
	tr := startTree(t, prioritized(
		program("db", "exec sleep 100", withPriority(1), quickStart, func(p *conf.Process) {
			p.Lifecycle.Health = conf.Probe{Kind: conf.ProbeExec, Target: "test -e " + healthy, Argv: []string{"test", "-e", healthy}}
			p.Lifecycle.HealthInterval, p.Lifecycle.HealthTimeout, p.Lifecycle.HealthRetries = 100*time.Millisecond, 5*time.Second, 2
		}),
		program("api", "exec sleep 100", withPriority(2), quickStart, dependsOn(conf.CondHealthy, "db")),
	))
	tr.waitState(t, "db", Running, 10*time.Second)
	tr.waitFor(t, "api", "waits for db's health", func(in ProcessInfo) bool { return in.WaitingFor == "db to be healthy" })
	touch(t, healthy)
	tr.waitState(t, "api", Running, 10*time.Second)
	in := tr.waitFor(t, "db", "healthy", func(in ProcessInfo) bool { return in.Health == "healthy" })
	if !strings.HasSuffix(in.Description(), ", healthy") {
		t.Errorf("db: %q", in.Description())
	}
	first := in.PID
	if err := os.Remove(healthy); err != nil {
		t.Fatal(err)
	}
	tr.waitFor(t, "db", "restarted", func(in ProcessInfo) bool { return in.State == Running && in.PID != first })
	if len(tr.log.matching("WARN unhealthy: db failed 2 health checks in a row (exec: exit status 1); restarting it")) < 1 {
		t.Errorf("no unhealthy line")
	}
}

// Every condition against every state it can meet or miss.
func TestConditionsMet(t *testing.T) {
	type st = procStatus
	cases := []struct {
		cond conf.Condition
		met  []procStatus
		not  []procStatus
	}{
		{conf.CondStarted, []st{{state: Starting}, {state: Running}, {state: Exited}},
			[]st{{state: Stopped}, {state: Backoff}, {state: Fatal}, {state: Stopping}}},
		{conf.CondRunning, []st{{state: Running}, {state: Running, healthy: true}},
			[]st{{state: Starting}, {state: Stopped}, {state: Exited, expected: true}, {state: Backoff}}},
		{conf.CondHealthy, []st{{state: Running, healthy: true}},
			[]st{{state: Running}, {state: Starting}, {state: Stopped, healthy: true}}},
		{conf.CondCompleted, []st{{state: Exited}, {state: Exited, expected: true}},
			[]st{{state: Running}, {state: Stopped}, {state: Fatal}}},
		{conf.CondCompletedOK, []st{{state: Exited, expected: true}},
			[]st{{state: Exited}, {state: Running}, {state: Stopped}, {state: Fatal}}},
	}
	for _, tc := range cases {
		for _, s := range tc.met {
			if !meets(&s, tc.cond) {
				t.Errorf("%s not met by %+v", tc.cond, s)
			}
		}
		for _, s := range tc.not {
			if meets(&s, tc.cond) {
				t.Errorf("%s met by %+v", tc.cond, s)
			}
		}
	}
}

// The lifecycle's events reach only subscribers that name them: one of
// EVENT or PROCESS_STATE never sees them.
func TestHealthEventsOnlyToThoseWhoAsk(t *testing.T) {
	tr := startTree(t, []*conf.Group{program("svc", "echo up; exec sleep 100", quickStart, noAutostart, func(p *conf.Process) {
		p.Lifecycle.Ready = conf.Probe{Kind: conf.ProbeLog, Target: "^up$"}
		p.Lifecycle.ReadyTimeout = time.Minute
	})})
	var mu sync.Mutex
	got := map[string][]string{}
	for _, types := range [][]events.Type{{events.TypeEvent}, {events.TypeProcessState}, {events.TypeProcessHealth}, {events.TypeProcessHealthReady}} {
		name := types[0].String()
		cancel, err := tr.Subscribe(context.Background(), types, func(_ int64, ev events.Event) {
			mu.Lock()
			got[name] = append(got[name], ev.EventType().String())
			mu.Unlock()
		})
		if err != nil {
			t.Fatal(err)
		}
		defer cancel()
	}
	if err := tr.Start(context.Background(), "svc", "svc", true); err != nil {
		t.Fatal(err)
	}
	tr.waitState(t, "svc", Running, 10*time.Second)
	_ = tr.Stop(context.Background(), "svc", "svc", true)
	testkit.Eventually(t, 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Contains(got["EVENT"], "PROCESS_STATE_STOPPED") && len(got["PROCESS_HEALTH_READY"]) > 0
	}, "events not delivered")
	mu.Lock()
	defer mu.Unlock()
	for _, name := range []string{"EVENT", "PROCESS_STATE"} {
		for _, ev := range got[name] {
			if strings.HasPrefix(ev, "PROCESS_HEALTH") {
				t.Errorf("a subscriber to %s got %s", name, ev)
			}
		}
	}
	for _, name := range []string{"PROCESS_HEALTH", "PROCESS_HEALTH_READY"} {
		if !slices.Equal(got[name], []string{"PROCESS_HEALTH_READY"}) {
			t.Errorf("a subscriber to %s got %q, want one PROCESS_HEALTH_READY", name, got[name])
		}
	}
}

// What programs write as they stop reaches their logs before the tree goes
// down: at shutdown the loggers are waited for until every stream ended.
func TestShutdownKeepsLastOutput(t *testing.T) {
	dir := t.TempDir()
	var groups []*conf.Group
	for i := range 10 {
		name := "p" + strconv.Itoa(i)
		groups = append(groups, program(name,
			"trap 'i=0; while [ $i -lt 300 ]; do echo last$i; i=$((i+1)); done; exit 0' TERM; echo armed; while :; do sleep 0.05; done",
			quickStart, func(p *conf.Process) {
				p.Stdout = conf.LogConfig{Logfile: filepath.Join(dir, p.Name+".log"), MaxBytes: 1 << 20}
				// RUNNING once the trap is set, so SIGTERM finds it.
				p.Lifecycle.Ready = conf.Probe{Kind: conf.ProbeLog, Target: "^armed$"}
				p.Lifecycle.ReadyTimeout = time.Minute
			}))
	}
	tr := startTree(t, groups)
	for _, g := range groups {
		tr.waitState(t, g.Name, Running, 10*time.Second)
	}
	tr.Shutdown()
	<-tr.Done()
	for _, g := range groups {
		b, err := os.ReadFile(filepath.Join(dir, g.Name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), "last"); n != 300 || !strings.HasSuffix(string(b), "last299\n") {
			t.Errorf("%s: %d lines logged, want the 300 it wrote as it stopped", g.Name, n)
		}
	}
}
