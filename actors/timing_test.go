package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/internal/child"
	"supervisord/internal/notify"
	"supervisord/internal/output"
	"supervisord/internal/probe"
	"supervisord/protocol/events"
	"supervisord/protocol/sdnotify"
)

// The state machine's timing, on testing/synctest's fake clock: every test
// here runs in a bubble whose clock only moves when everything in it
// waits, so a 10 s stopwaitsecs takes no real time and the instants below
// are exact. No OS process runs in a bubble (a goroutine in a system call
// would hold the clock): programs are fakeSpawner's.

// fakeRun is how one run of a fake program behaves.
type fakeRun struct {
	exitAfter time.Duration // it ends by itself this long after its spawn, with code; 0: never
	code      int
	stubborn  bool          // it survives every signal but SIGKILL
	stopTakes time.Duration // it ends this long after a signal that ends it
	fail      string        // the spawn fails with this error
}

// fakeSpawner starts fake programs, made of timers. Each process name has
// its runs, taken in turn; the last one repeats.
type fakeSpawner struct {
	t0   time.Time
	runs map[string][]fakeRun

	mu      sync.Mutex
	spawned map[string]int
	signals []string // "2s SIGTERM to p", "12s SIGKILL to group p"
	pids    int
}

func newFakeSpawner(runs map[string][]fakeRun) *fakeSpawner {
	return &fakeSpawner{t0: time.Now(), runs: runs, spawned: map[string]int{}}
}

func (f *fakeSpawner) Spawn(spec child.Spec, onExit func(child.ExitStatus)) (Spawned, error) {
	name := ""
	for _, kv := range spec.Env {
		if v, ok := strings.CutPrefix(kv, "SUPERVISOR_PROCESS_NAME="); ok {
			name = v
		}
	}
	f.mu.Lock()
	runs := f.runs[name]
	if len(runs) == 0 {
		runs = []fakeRun{{}}
	}
	run := runs[min(f.spawned[name], len(runs)-1)]
	f.spawned[name]++
	f.pids++
	pid := 1000 + f.pids
	f.mu.Unlock()
	if run.fail != "" {
		return Spawned{}, errors.New(run.fail)
	}
	var mu sync.Mutex
	ended := false
	end := func(st child.ExitStatus) {
		mu.Lock()
		was := ended
		ended = true
		mu.Unlock()
		if !was {
			onExit(st)
		}
	}
	if run.exitAfter > 0 {
		time.AfterFunc(run.exitAfter, func() { end(child.Exited(run.code)) })
	}
	signal := func(to string) func(syscall.Signal) error {
		return func(sig syscall.Signal) error {
			mu.Lock()
			gone := ended
			mu.Unlock()
			if gone {
				return child.ErrExited
			}
			f.mu.Lock()
			f.signals = append(f.signals, fmt.Sprintf("%v %s to %s%s", time.Since(f.t0), conf.SignalName(sig), to, name))
			f.mu.Unlock()
			if sig != syscall.SIGKILL && run.stubborn {
				return nil
			}
			time.AfterFunc(run.stopTakes, func() { end(child.Killed(sig)) })
			return nil
		}
	}
	return Spawned{Pid: pid, Signal: signal(""), SignalGroup: signal("group ")}, nil
}

func (f *fakeSpawner) sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.signals)
}

// clockSkew is how far the runtime clock the tests give runs ahead of the
// bubble's: what the process actor reports must come from the runtime's.
const clockSkew = 1000 * time.Hour

// machine is one process actor, with a fake spawner, under a parent that
// stands in for its group, the supervisor and the bus, and records every
// state it enters with the (fake) time since the start.
type machine struct {
	t       *testing.T
	t0      time.Time
	sys     *actor.ActorSystem
	pid     *actor.PID
	spawner *fakeSpawner

	mu      sync.Mutex
	states  []string
	crashes []string
	checks  [2]int // readiness and health checks made so far
	notify  func(notify.Message)
}

// checkFunc is a fake ready= or health= check: its result for the nth
// check (from 0) of its kind.
type checkFunc func(health bool, n int) error

func newMachine(t *testing.T, cfg *conf.Process, runs []fakeRun, check checkFunc, r float64) *machine {
	m := &machine{t: t, t0: time.Now(), spawner: newFakeSpawner(map[string][]fakeRun{cfg.Name: runs})}
	m.sys = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	rt := &runtime{log: slog.New(slog.DiscardHandler), spawner: m.spawner,
		now:          func() time.Time { return time.Now().Add(clockSkew) },
		rand:         func() float64 { return r },
		listenNotify: func(string) (notifySocket, error) { return &fakeSocket{m: m}, nil },
		check: func(ctx context.Context, p conf.Probe, _ probe.As) error {
			if check == nil {
				return nil
			}
			health := p.Kind == cfg.Lifecycle.Health.Kind && p.Target == cfg.Lifecycle.Health.Target
			kind := 0
			if health {
				kind = 1
			}
			m.mu.Lock()
			n := m.checks[kind]
			m.checks[kind]++
			m.mu.Unlock()
			return check(health, n)
		}}
	crashes := func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			defer func() {
				if r := recover(); r != nil {
					m.mu.Lock()
					m.crashes = append(m.crashes, fmt.Sprint(r))
					m.mu.Unlock()
					panic(r)
				}
			}()
			next(c, env)
		}
	}
	props := actor.PropsFromProducer(func() actor.Actor { return newProcess(cfg, rt, nil) },
		actor.WithReceiverMiddleware(crashes))
	got := make(chan *actor.PID, 1)
	m.sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch msg := c.Message().(type) {
		case *actor.Started:
			rt.supervisor, rt.bus = c.Self(), c.Self()
			got <- c.Spawn(props)
		case *publish:
			name := ""
			switch ev := msg.ev.(type) {
			case events.ProcessState:
				name = ev.State
			case events.ProcessHealth:
				name = strings.TrimPrefix(ev.Type.String(), "PROCESS_HEALTH_")
			}
			if name != "" {
				m.mu.Lock()
				m.states = append(m.states, fmt.Sprintf("%v %s", time.Since(m.t0), name))
				m.mu.Unlock()
			}
		}
	}))
	m.pid = <-got
	return m
}

// fakeSocket is a NOTIFY_SOCKET with no socket: the test hands datagrams
// to the handler its machine keeps (a real reader would keep the fake
// clock from moving).
type fakeSocket struct{ m *machine }

func (*fakeSocket) Addr() string { return "@fake" }
func (*fakeSocket) SetOwner(int) {}
func (*fakeSocket) Close() error { return nil }
func (f *fakeSocket) Serve(handle func(notify.Message)) {
	f.m.mu.Lock()
	f.m.notify = handle
	f.m.mu.Unlock()
}

// sendNotify hands a datagram to the current run's notify socket.
func (m *machine) sendNotify(datagram string, owner bool) {
	m.t.Helper()
	fields, err := sdnotify.Parse([]byte(datagram))
	if err != nil {
		m.t.Fatal(err)
	}
	m.mu.Lock()
	handle := m.notify
	m.mu.Unlock()
	if handle == nil {
		m.t.Fatal("no notify socket is served")
	}
	handle(notify.Message{PID: 4242, FromOwner: owner, Fields: fields})
}

// ask sends msg to the process actor and returns its answer's error.
func (m *machine) ask(msg any) error {
	m.t.Helper()
	res, err := m.sys.Root.RequestFuture(m.pid, msg, time.Minute).Result()
	if err != nil {
		m.t.Fatalf("%T: %v", msg, err)
	}
	if r, ok := res.(*Result); ok {
		return r.Err
	}
	return nil
}

func (m *machine) info() *ProcessInfo {
	m.t.Helper()
	res, err := m.sys.Root.RequestFuture(m.pid, &getInfo{}, time.Minute).Result()
	if err != nil {
		m.t.Fatal(err)
	}
	return res.(*ProcessInfo)
}

func (m *machine) recorded() (states, crashes []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.states), slices.Clone(m.crashes)
}

// fakeStep is a request sent to the process actor at a moment of the test.
type fakeStep struct {
	at   time.Duration
	msg  any
	want error // its answer
	// notify, when set instead of msg, is a datagram to the notify
	// socket, from the program's own processes unless stranger.
	notify   string
	stranger bool
}

func notifyStep(at time.Duration, datagram string) fakeStep {
	return fakeStep{at: at, notify: datagram}
}

func startStep(at time.Duration) fakeStep { return fakeStep{at: at, msg: &startProcess{}} }
func stopStep(at time.Duration) fakeStep  { return fakeStep{at: at, msg: &stopProcess{}} }

func TestStateMachineTiming(t *testing.T) {
	s := func(secs float64) time.Duration { return time.Duration(secs * float64(time.Second)) }
	cases := []struct {
		name    string
		cfg     func(*conf.Process)
		runs    []fakeRun
		steps   []fakeStep
		check   checkFunc     // ready= and health= checks; nil: all pass
		rand    float64       // what backoff jitter draws; 0.5 is no spread
		until   time.Duration // how long the test watches
		states  []string      // entered, with the time since the start; READY, HEALTHY, UNHEALTHY events too
		signals []string      // sent, likewise
		stopAt  time.Duration // laststop, when not 0
	}{
		{
			name: "RUNNING only once startsecs have passed",
			cfg:  func(p *conf.Process) { p.StartSecs = 10 * time.Second },
			runs: []fakeRun{{}}, steps: []fakeStep{startStep(0)}, until: s(30),
			states: []string{"0s STARTING", "10s RUNNING"},
		},
		{
			name: "startsecs=0 is RUNNING at once",
			cfg:  func(p *conf.Process) { p.StartSecs = 0 },
			runs: []fakeRun{{}}, steps: []fakeStep{startStep(0)}, until: s(30),
			states: []string{"0s STARTING", "0s RUNNING"},
		},
		{
			name: "an exit a moment before startsecs is a failed start",
			cfg:  func(p *conf.Process) { p.StartSecs = 10 * time.Second; p.StartRetries = 0 },
			runs: []fakeRun{{exitAfter: s(9.999)}}, steps: []fakeStep{startStep(0)}, until: s(30),
			states: []string{"0s STARTING", "9.999s BACKOFF", "9.999s FATAL"},
			stopAt: s(9.999),
		},
		{
			name: "an exit a moment after startsecs is a run that ended",
			cfg:  func(p *conf.Process) { p.StartSecs = 10 * time.Second },
			runs: []fakeRun{{exitAfter: s(10.001)}}, steps: []fakeStep{startStep(0)}, until: s(30),
			states: []string{"0s STARTING", "10s RUNNING", "10.001s EXITED"},
			stopAt: s(10.001),
		},
		{
			name: "backoff waits 1 s, 2 s, 3 s, then FATAL after startretries",
			cfg:  func(p *conf.Process) { p.StartRetries = 3 },
			runs: []fakeRun{{exitAfter: s(0.5), code: 1}}, steps: []fakeStep{startStep(0)}, until: s(60),
			states: []string{
				"0s STARTING", "500ms BACKOFF",
				"1.5s STARTING", "2s BACKOFF",
				"4s STARTING", "4.5s BACKOFF",
				"7.5s STARTING", "8s BACKOFF", "8s FATAL",
			},
			stopAt: s(8),
		},
		{
			name: "a spawn that fails backs off likewise",
			cfg:  func(p *conf.Process) { p.StartRetries = 2 },
			runs: []fakeRun{{fail: "couldn't exec: ENOMEM"}}, steps: []fakeStep{{msg: &autostart{}}}, until: s(60),
			states: []string{
				"0s STARTING", "0s BACKOFF",
				"1s STARTING", "1s BACKOFF",
				"3s STARTING", "3s BACKOFF", "3s FATAL",
			},
		},
		{
			name: "RUNNING ends the backoff count",
			cfg:  func(p *conf.Process) { p.StartRetries = 2 },
			runs: []fakeRun{
				{exitAfter: s(0.5), code: 1}, {exitAfter: s(0.5), code: 1},
				{exitAfter: s(20), code: 1}, // RUNNING at 5 s, an unexpected exit at 24 s
				{exitAfter: s(0.5), code: 1}, {exitAfter: s(0.5), code: 1}, {},
			},
			steps: []fakeStep{startStep(0)}, until: s(60),
			states: []string{
				"0s STARTING", "500ms BACKOFF",
				"1.5s STARTING", "2s BACKOFF",
				"4s STARTING", "5s RUNNING", "24s EXITED",
				"24s STARTING", "24.5s BACKOFF",
				"25.5s STARTING", "26s BACKOFF",
				"28s STARTING", "29s RUNNING",
			},
			stopAt: s(26),
		},
		{
			name: "autorestart=unexpected leaves an expected exit",
			cfg:  func(p *conf.Process) { p.StartSecs = 0; p.ExitCodes = []int{0, 2} },
			runs: []fakeRun{{exitAfter: s(5), code: 2}, {}}, steps: []fakeStep{startStep(0)}, until: s(60),
			states: []string{"0s STARTING", "0s RUNNING", "5s EXITED"},
			stopAt: s(5),
		},
		{
			name: "autorestart=unexpected restarts after another exit code",
			cfg:  func(p *conf.Process) { p.StartSecs = 0; p.ExitCodes = []int{0, 2} },
			runs: []fakeRun{{exitAfter: s(5), code: 3}, {}}, steps: []fakeStep{startStep(0)}, until: s(60),
			states: []string{"0s STARTING", "0s RUNNING", "5s EXITED", "5s STARTING", "5s RUNNING"},
			stopAt: s(5),
		},
		{
			name: "autorestart=true restarts after an expected exit",
			cfg:  func(p *conf.Process) { p.StartSecs = 1 * time.Second; p.AutoRestart = conf.RestartAlways },
			runs: []fakeRun{{exitAfter: s(5)}, {}}, steps: []fakeStep{startStep(0)}, until: s(60),
			states: []string{"0s STARTING", "1s RUNNING", "5s EXITED", "5s STARTING", "6s RUNNING"},
			stopAt: s(5),
		},
		{
			name: "autorestart=false leaves an unexpected exit",
			cfg:  func(p *conf.Process) { p.StartSecs = 0; p.AutoRestart = conf.RestartNever },
			runs: []fakeRun{{exitAfter: s(5), code: 1}, {}}, steps: []fakeStep{startStep(0)}, until: s(60),
			states: []string{"0s STARTING", "0s RUNNING", "5s EXITED"},
			stopAt: s(5),
		},
		{
			name:    "a program that ignores the stop signal is killed at stopwaitsecs",
			cfg:     func(p *conf.Process) { p.StopWaitSecs = 10 * time.Second },
			runs:    []fakeRun{{stubborn: true}},
			steps:   []fakeStep{startStep(0), stopStep(2 * time.Second), {at: s(3), msg: &stopProcess{}, want: ErrNotRunning}},
			until:   s(60),
			states:  []string{"0s STARTING", "1s RUNNING", "2s STOPPING", "12s STOPPED"},
			signals: []string{"2s SIGTERM to p", "12s SIGKILL to p"},
			stopAt:  s(12),
		},
		{
			name: "stopasgroup and killasgroup signal the process group",
			cfg: func(p *conf.Process) {
				p.StopWaitSecs = 10 * time.Second
				p.StopSignal = syscall.SIGINT
				p.StopAsGroup, p.KillAsGroup = true, true
			},
			runs:    []fakeRun{{stubborn: true}},
			steps:   []fakeStep{startStep(0), stopStep(2 * time.Second)},
			until:   s(60),
			states:  []string{"0s STARTING", "1s RUNNING", "2s STOPPING", "12s STOPPED"},
			signals: []string{"2s SIGINT to group p", "12s SIGKILL to group p"},
			stopAt:  s(12),
		},
		{
			name:    "a program that stops within stopwaitsecs is not killed",
			cfg:     func(p *conf.Process) { p.StopWaitSecs = 10 * time.Second },
			runs:    []fakeRun{{stopTakes: s(9.999)}},
			steps:   []fakeStep{startStep(0), stopStep(2 * time.Second)},
			until:   s(60),
			states:  []string{"0s STARTING", "1s RUNNING", "2s STOPPING", "11.999s STOPPED"},
			signals: []string{"2s SIGTERM to p"},
			stopAt:  s(11.999),
		},
		{
			name:    "a stop while STARTING cancels startsecs",
			cfg:     func(p *conf.Process) { p.StartSecs = 10 * time.Second },
			runs:    []fakeRun{{stopTakes: s(1)}},
			steps:   []fakeStep{startStep(0), stopStep(4 * time.Second)},
			until:   s(60),
			states:  []string{"0s STARTING", "4s STOPPING", "5s STOPPED"},
			signals: []string{"4s SIGTERM to p"},
			stopAt:  s(5),
		},
		{
			// As with the reference, the stop does not reset the count: the
			// next start's failure is the second.
			name:  "a stop in BACKOFF is STOPPED at once, and no retry follows",
			cfg:   func(p *conf.Process) { p.StartRetries = 3 },
			runs:  []fakeRun{{exitAfter: s(0.5), code: 1}},
			steps: []fakeStep{startStep(0), stopStep(1 * time.Second), {at: s(2), msg: &startProcess{}}},
			until: s(60),
			states: []string{"0s STARTING", "500ms BACKOFF", "1s STOPPED",
				"2s STARTING", "2.5s BACKOFF", "4.5s STARTING", "5s BACKOFF", "8s STARTING", "8.5s BACKOFF", "8.5s FATAL"},
			stopAt: s(8.5),
		},
		{
			name:   "a start while running is refused",
			cfg:    func(p *conf.Process) {},
			runs:   []fakeRun{{}},
			steps:  []fakeStep{startStep(0), {at: s(0.5), msg: &startProcess{}, want: ErrAlreadyStarted}, {at: s(2), msg: &startProcess{}, want: ErrAlreadyStarted}},
			until:  s(60),
			states: []string{"0s STARTING", "1s RUNNING"},
		},

		// Backoff curves (backoff=, backoff_max=, backoff_jitter=,
		// startretries=unlimited) and restart_limit=.
		{
			name: "exponential backoff doubles up to backoff_max",
			cfg: func(p *conf.Process) {
				p.StartRetries = 5
				p.Lifecycle.Backoff, p.Lifecycle.BackoffMax = conf.BackoffExponential, 5*time.Second
			},
			runs: []fakeRun{{exitAfter: s(0.5), code: 1}}, steps: []fakeStep{startStep(0)}, until: s(60),
			states: []string{
				"0s STARTING", "500ms BACKOFF", // 1 s
				"1.5s STARTING", "2s BACKOFF", // 2 s
				"4s STARTING", "4.5s BACKOFF", // 4 s
				"8.5s STARTING", "9s BACKOFF", // 8 s, capped at 5 s
				"14s STARTING", "14.5s BACKOFF", // 16 s, capped
				"19.5s STARTING", "20s BACKOFF", "20s FATAL",
			},
			stopAt: s(20),
		},
		{
			name: "exponential backoff caps at 60 s without backoff_max",
			cfg: func(p *conf.Process) {
				p.StartRetries = 8
				p.Lifecycle.Backoff = conf.BackoffExponential
			},
			runs: []fakeRun{{fail: "couldn't exec: ENOMEM"}}, steps: []fakeStep{{msg: &autostart{}}}, until: s(400),
			states: []string{
				"0s STARTING", "0s BACKOFF", "1s STARTING", "1s BACKOFF", "3s STARTING", "3s BACKOFF",
				"7s STARTING", "7s BACKOFF", "15s STARTING", "15s BACKOFF", "31s STARTING", "31s BACKOFF",
				"1m3s STARTING", "1m3s BACKOFF", "2m3s STARTING", "2m3s BACKOFF", // 64 s capped at 60 s
				"3m3s STARTING", "3m3s BACKOFF", "3m3s FATAL",
			},
		},
		{
			name: "jitter spreads each delay by up to its fraction",
			cfg: func(p *conf.Process) {
				p.StartRetries = 2
				p.Lifecycle.BackoffJitter = 0.5
			},
			rand: 0.75, // +25 %
			runs: []fakeRun{{fail: "couldn't exec: ENOMEM"}}, steps: []fakeStep{{msg: &autostart{}}}, until: s(60),
			states: []string{
				"0s STARTING", "0s BACKOFF", "1.25s STARTING", "1.25s BACKOFF",
				"3.75s STARTING", "3.75s BACKOFF", "3.75s FATAL",
			},
		},
		{
			name: "startretries=unlimited never gives up",
			cfg: func(p *conf.Process) {
				p.StartRetries = conf.UnlimitedRetries
				p.Lifecycle.BackoffMax = time.Second
			},
			runs: []fakeRun{{exitAfter: s(0.5), code: 1}}, steps: []fakeStep{startStep(0)}, until: s(5.9),
			states: []string{
				"0s STARTING", "500ms BACKOFF", "1.5s STARTING", "2s BACKOFF", "3s STARTING", "3.5s BACKOFF",
				"4.5s STARTING", "5s BACKOFF",
			},
			stopAt: s(5),
		},
		{
			name: "restart_limit makes a crash loop after RUNNING FATAL",
			cfg: func(p *conf.Process) {
				p.StartSecs = 0
				p.Lifecycle.RestartLimit = conf.RestartLimit{Count: 2, Window: time.Minute}
			},
			runs: []fakeRun{{exitAfter: s(5), code: 1}}, steps: []fakeStep{startStep(0)}, until: s(60),
			states: []string{
				"0s STARTING", "0s RUNNING", "5s EXITED", "5s STARTING", "5s RUNNING",
				"10s EXITED", "10s STARTING", "10s RUNNING", "15s EXITED", "15s FATAL",
			},
			stopAt: s(15),
		},
		{
			name: "restarts older than the restart_limit window do not count",
			cfg: func(p *conf.Process) {
				p.StartSecs = 0
				p.Lifecycle.RestartLimit = conf.RestartLimit{Count: 1, Window: 10 * time.Second}
			},
			runs:  []fakeRun{{exitAfter: s(10), code: 1}, {exitAfter: s(10), code: 1}, {exitAfter: s(5), code: 1}},
			steps: []fakeStep{startStep(0)}, until: s(60),
			states: []string{
				"0s STARTING", "0s RUNNING", "10s EXITED", "10s STARTING", "10s RUNNING",
				"20s EXITED", "20s STARTING", "20s RUNNING", "25s EXITED", "25s FATAL",
			},
			stopAt: s(25),
		},
		{
			name: "restart_limit counts BACKOFF retries too",
			cfg: func(p *conf.Process) {
				p.StartRetries = 10
				p.Lifecycle.RestartLimit = conf.RestartLimit{Count: 2, Window: time.Minute}
			},
			runs: []fakeRun{{exitAfter: s(0.5), code: 1}}, steps: []fakeStep{startStep(0)}, until: s(60),
			states: []string{
				"0s STARTING", "500ms BACKOFF", "1.5s STARTING", "2s BACKOFF", "4s STARTING", "4.5s BACKOFF",
				"7.5s FATAL",
			},
			stopAt: s(4.5),
		},

		// Readiness (ready=, ready_timeout=).
		{
			name: "RUNNING waits for ready= after startsecs, checking faster at first",
			cfg: func(p *conf.Process) {
				p.Lifecycle.Ready = conf.Probe{Kind: conf.ProbeTCP, Target: "127.0.0.1:1"}
				p.Lifecycle.ReadyTimeout, p.Lifecycle.HealthTimeout = time.Minute, 5*time.Second
			},
			check: func(health bool, n int) error { // checks at 0, 0.1, 0.3, 0.7, 1.5, 2.5 s
				if n < 5 {
					return errors.New("connection refused")
				}
				return nil
			},
			runs: []fakeRun{{}}, steps: []fakeStep{startStep(0)}, until: s(30),
			states: []string{"0s STARTING", "2.5s READY", "2.5s RUNNING"},
		},
		{
			name: "ready before startsecs waits for startsecs",
			cfg: func(p *conf.Process) {
				p.StartSecs = 3 * time.Second
				p.Lifecycle.Ready = conf.Probe{Kind: conf.ProbeTCP, Target: "127.0.0.1:1"}
				p.Lifecycle.ReadyTimeout, p.Lifecycle.HealthTimeout = time.Minute, 5*time.Second
			},
			runs: []fakeRun{{}}, steps: []fakeStep{startStep(0)}, until: s(30),
			states: []string{"0s STARTING", "0s READY", "3s RUNNING"},
		},
		{
			name: "not ready within ready_timeout is a failed start",
			cfg: func(p *conf.Process) {
				p.StartRetries = 1
				p.Lifecycle.Ready = conf.Probe{Kind: conf.ProbeTCP, Target: "127.0.0.1:1"}
				p.Lifecycle.ReadyTimeout, p.Lifecycle.HealthTimeout = 5*time.Second, 5*time.Second
			},
			check: func(bool, int) error { return errors.New("connection refused") },
			runs:  []fakeRun{{stopTakes: s(1)}}, steps: []fakeStep{startStep(0)}, until: s(60),
			states: []string{
				"0s STARTING", "6s BACKOFF", "7s STARTING", "13s BACKOFF", "13s FATAL",
			},
			signals: []string{"5s SIGTERM to p", "12s SIGTERM to p"},
			stopAt:  s(13),
		},
		{
			name: "a program not ready that ignores its stop signal is killed at stopwaitsecs",
			cfg: func(p *conf.Process) {
				p.StartRetries = 0
				p.StopWaitSecs = 10 * time.Second
				p.Lifecycle.Ready = conf.Probe{Kind: conf.ProbeNotify}
				p.Lifecycle.ReadyTimeout = 5 * time.Second
			},
			runs: []fakeRun{{stubborn: true}}, steps: []fakeStep{startStep(0)}, until: s(60),
			states:  []string{"0s STARTING", "15s BACKOFF", "15s FATAL"},
			signals: []string{"5s SIGTERM to p", "15s SIGKILL to p"},
			stopAt:  s(15),
		},
		{
			name: "an exit before ready is a failed start even after startsecs",
			cfg: func(p *conf.Process) {
				p.StartRetries = 0
				p.Lifecycle.Ready = conf.Probe{Kind: conf.ProbeNotify}
				p.Lifecycle.ReadyTimeout = time.Minute
			},
			runs: []fakeRun{{exitAfter: s(3)}}, steps: []fakeStep{startStep(0)}, until: s(60),
			states: []string{"0s STARTING", "3s BACKOFF", "3s FATAL"},
			stopAt: s(3),
		},

		// Health checks (health=, health_interval=, health_retries=,
		// health_action=).
		{
			name: "health_retries failures in a row restart the program",
			cfg: func(p *conf.Process) {
				p.StartSecs = 0
				p.Lifecycle.Health = conf.Probe{Kind: conf.ProbeHTTP, Target: "http://127.0.0.1:1/health"}
				p.Lifecycle.HealthInterval, p.Lifecycle.HealthTimeout, p.Lifecycle.HealthRetries = 10*time.Second, 5*time.Second, 3
			},
			check: func(_ bool, n int) error { // passes at 0 s, fails at 10, 20, 30 s; the next run's checks pass
				if n >= 1 && n <= 3 {
					return errors.New("status 503")
				}
				return nil
			},
			runs: []fakeRun{{stopTakes: s(1)}}, steps: []fakeStep{startStep(0)}, until: s(60),
			states: []string{
				"0s STARTING", "0s RUNNING", "0s HEALTHY", "30s UNHEALTHY", "30s STOPPING", "31s STOPPED",
				"31s STARTING", "31s RUNNING", "31s HEALTHY",
			},
			signals: []string{"30s SIGTERM to p"},
			stopAt:  s(31),
		},
		{
			name: "a pass between failures resets the count",
			cfg: func(p *conf.Process) {
				p.StartSecs = 0
				p.Lifecycle.Health = conf.Probe{Kind: conf.ProbeHTTP, Target: "http://127.0.0.1:1/health"}
				p.Lifecycle.HealthInterval, p.Lifecycle.HealthTimeout, p.Lifecycle.HealthRetries = 10*time.Second, 5*time.Second, 2
			},
			check: func(_ bool, n int) error { // fail, pass, fail, pass, ...
				if n%2 == 0 {
					return errors.New("status 503")
				}
				return nil
			},
			runs: []fakeRun{{}}, steps: []fakeStep{startStep(0)}, until: s(60),
			states: []string{"0s STARTING", "0s RUNNING", "10s HEALTHY"},
		},
		{
			name: "health_action=stop stops it for good",
			cfg: func(p *conf.Process) {
				p.StartSecs = 0
				p.Lifecycle.Health = conf.Probe{Kind: conf.ProbeExec, Target: "false", Argv: []string{"false"}}
				p.Lifecycle.HealthInterval, p.Lifecycle.HealthTimeout, p.Lifecycle.HealthRetries = 10*time.Second, 5*time.Second, 1
				p.Lifecycle.HealthAction = conf.HealthStop
			},
			check: func(bool, int) error { return errors.New("exit status 1") },
			runs:  []fakeRun{{stopTakes: s(1)}}, steps: []fakeStep{startStep(0)}, until: s(60),
			states:  []string{"0s STARTING", "0s RUNNING", "0s UNHEALTHY", "0s STOPPING", "1s STOPPED"},
			signals: []string{"0s SIGTERM to p"},
			stopAt:  s(1),
		},
		{
			name: "health_action=none only tells",
			cfg: func(p *conf.Process) {
				p.StartSecs = 0
				p.Lifecycle.Health = conf.Probe{Kind: conf.ProbeTCP, Target: "127.0.0.1:1"}
				p.Lifecycle.HealthInterval, p.Lifecycle.HealthTimeout, p.Lifecycle.HealthRetries = 10*time.Second, 5*time.Second, 2
				p.Lifecycle.HealthAction = conf.HealthNone
			},
			check: func(_ bool, n int) error { // fails until 20 s
				if n < 3 {
					return errors.New("connection refused")
				}
				return nil
			},
			runs: []fakeRun{{}}, steps: []fakeStep{startStep(0)}, until: s(60),
			states: []string{"0s STARTING", "0s RUNNING", "10s UNHEALTHY", "30s HEALTHY"},
		},
		{
			name: "health restarts count against restart_limit",
			cfg: func(p *conf.Process) {
				p.StartSecs = 0
				p.Lifecycle.Health = conf.Probe{Kind: conf.ProbeTCP, Target: "127.0.0.1:1"}
				p.Lifecycle.HealthInterval, p.Lifecycle.HealthTimeout, p.Lifecycle.HealthRetries = 10*time.Second, 5*time.Second, 1
				p.Lifecycle.RestartLimit = conf.RestartLimit{Count: 1, Window: time.Minute}
			},
			check: func(bool, int) error { return errors.New("connection refused") },
			runs:  []fakeRun{{stopTakes: s(1)}}, steps: []fakeStep{startStep(0)}, until: s(60),
			states: []string{
				"0s STARTING", "0s RUNNING", "0s UNHEALTHY", "0s STOPPING", "1s STOPPED",
				"1s STARTING", "1s RUNNING", "1s UNHEALTHY", "1s STOPPING", "2s STOPPED", "2s FATAL",
			},
			signals: []string{"0s SIGTERM to p", "1s SIGTERM to p"},
			stopAt:  s(2),
		},

		// sd_notify (ready=notify, watchdog_sec=).
		{
			name: "READY=1 from the program's own processes makes it RUNNING, a stranger's does not",
			cfg: func(p *conf.Process) {
				p.Lifecycle.Ready = conf.Probe{Kind: conf.ProbeNotify}
				p.Lifecycle.ReadyTimeout = time.Minute
			},
			runs: []fakeRun{{}},
			steps: []fakeStep{startStep(0), {at: s(2), notify: "READY=1", stranger: true},
				notifyStep(s(3), "STATUS=warming up"), notifyStep(s(4), "READY=1")},
			until:  s(30),
			states: []string{"0s STARTING", "4s READY", "4s RUNNING"},
		},
		{
			name: "each watchdog_sec without WATCHDOG=1 is a failed health check",
			cfg: func(p *conf.Process) {
				p.StartSecs = 0
				p.Lifecycle.Ready = conf.Probe{Kind: conf.ProbeNotify}
				p.Lifecycle.ReadyTimeout, p.Lifecycle.Watchdog, p.Lifecycle.HealthRetries = time.Minute, 5*time.Second, 2
			},
			runs: []fakeRun{{stopTakes: s(1)}},
			steps: []fakeStep{startStep(0), notifyStep(s(1), "READY=1"), notifyStep(s(3), "WATCHDOG=1"),
				notifyStep(s(8), "WATCHDOG=1")}, // periods end at 6 s and 11 s fed, then 16 s and 21 s starved
			until: s(30),
			states: []string{"0s STARTING", "1s READY", "1s RUNNING", "6s HEALTHY", "21s UNHEALTHY", "21s STOPPING",
				"22s STOPPED", "22s STARTING"},
			signals: []string{"21s SIGTERM to p"},
			stopAt:  s(22),
		},
		{
			name: "WATCHDOG=trigger fails a check at once",
			cfg: func(p *conf.Process) {
				p.StartSecs = 0
				p.Lifecycle.Ready = conf.Probe{Kind: conf.ProbeNotify}
				p.Lifecycle.ReadyTimeout, p.Lifecycle.Watchdog, p.Lifecycle.HealthRetries = time.Minute, 5*time.Second, 1
				p.Lifecycle.HealthAction = conf.HealthNone
			},
			runs:   []fakeRun{{}},
			steps:  []fakeStep{startStep(0), notifyStep(s(1), "READY=1"), notifyStep(s(2), "WATCHDOG=trigger")},
			until:  s(3),
			states: []string{"0s STARTING", "1s READY", "1s RUNNING", "2s UNHEALTHY"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := program("p", "exec sleep 100", tc.cfg)
				r := tc.rand
				if r == 0 {
					r = 0.5
				}
				m := newMachine(t, g.Processes[0], tc.runs, tc.check, r)
				defer m.sys.Shutdown()
				for _, st := range tc.steps {
					time.Sleep(st.at - time.Since(m.t0))
					if st.notify != "" {
						m.sendNotify(st.notify, !st.stranger)
						continue
					}
					if err := m.ask(st.msg); !errors.Is(err, st.want) {
						t.Errorf("%v: %T answered %v, want %v", st.at, st.msg, err, st.want)
					}
				}
				time.Sleep(tc.until - time.Since(m.t0))
				synctest.Wait()
				states, crashes := m.recorded()
				if !slices.Equal(states, tc.states) {
					t.Errorf("states:\n got %q\nwant %q", states, tc.states)
				}
				if sent := m.spawner.sent(); !slices.Equal(sent, tc.signals) {
					t.Errorf("signals:\n got %q\nwant %q", sent, tc.signals)
				}
				if len(crashes) > 0 {
					t.Errorf("the process actor crashed: %q", crashes)
				}
				// laststart, laststop and now come from the runtime's clock.
				in := m.info()
				clock := m.t0.Add(clockSkew)
				if want := clock.Add(tc.until); !in.Now.Equal(want) {
					t.Errorf("now %v, want %v", in.Now, want)
				}
				var lastStart time.Duration
				for _, st := range states {
					if at, ok := strings.CutSuffix(st, " STARTING"); ok {
						lastStart, _ = time.ParseDuration(at)
					}
				}
				if want := clock.Add(lastStart); !in.Start.Equal(want) {
					t.Errorf("laststart %v, want %v", in.Start.Sub(clock), lastStart)
				}
				if tc.stopAt != 0 {
					if want := clock.Add(tc.stopAt); !in.Stop.Equal(want) {
						t.Errorf("laststop %v, want %v", in.Stop.Sub(clock), tc.stopAt)
					}
				} else if !in.Stop.IsZero() {
					t.Errorf("laststop %v, want none", in.Stop.Sub(clock))
				}
			})
		})
	}
}

// The bus's TICK events fall on whole multiples of their period, carry
// that instant, and arrive at it.
func TestBusTicksOnTheClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now() // the bubble starts at midnight, a multiple of every period
		time.Sleep(2500 * time.Millisecond)
		sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
			return slog.New(slog.DiscardHandler)
		}))
		defer sys.Shutdown()
		var mu sync.Mutex
		var got []string
		var serials []int64
		sub := sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
			if m, ok := c.Message().(*poolEvent); ok {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, fmt.Sprintf("%v %s %s", time.Since(t0), m.ev.EventType(), m.ev.Payload()))
				serials = append(serials, m.serial)
			}
		}))
		bus := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return newBus(time.Now, 0) }))
		sys.Root.Send(bus, &subscribe{pool: sub, types: []events.Type{events.TypeTick5, events.TypeTick60}})
		time.Sleep(2*time.Minute + 7*time.Second - time.Since(t0))
		synctest.Wait()

		var want []string
		for at := 5 * time.Second; at <= 2*time.Minute+7*time.Second; at += 5 * time.Second {
			when := t0.Add(at).Unix()
			want = append(want, fmt.Sprintf("%v TICK_5 when:%d", at, when))
			if at%time.Minute == 0 {
				want = append(want, fmt.Sprintf("%v TICK_60 when:%d", at, when))
			}
		}
		mu.Lock()
		defer mu.Unlock()
		// TICK_5 and TICK_60 of the same instant come in either order.
		sorted := slices.Clone(got)
		slices.Sort(sorted)
		slices.Sort(want)
		if !slices.Equal(sorted, want) {
			t.Errorf("ticks:\n got %q\nwant %q", got, want)
		}
		for i, s := range serials {
			if s != int64(i) {
				t.Errorf("serials %v, want 0, 1, 2, …", serials)
				break
			}
		}
	})
}

// timedRecorder keeps "TIME LEVEL message" lines, TIME the (fake) time
// since t0 at which the line was logged.
type timedRecorder struct {
	t0 time.Time
	recorder
}

func (r *timedRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *timedRecorder) WithGroup(string) slog.Handler      { return r }
func (r *timedRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf("%v %s %s", rec.Time.Sub(r.t0), rec.Level, rec.Message))
	return nil
}

// A whole tree on the fake clock, with its spawner, clock and output hub
// given in Options: the shutdown waits for the stubborn program exactly
// stopwaitsecs, reporting every 3 s what it waits for, and the tree takes
// its times from the clock it was given.
func TestTreeOnTheClock(t *testing.T) {
	hub, err := output.New() // outside the bubble: its goroutine waits on the netpoller
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		spawner := newFakeSpawner(map[string][]fakeRun{"stubborn": {{stubborn: true}}})
		rec := &timedRecorder{t0: t0}
		web := program("web", "exec web")
		stubborn := program("stubborn", "exec stubborn", func(p *conf.Process) {
			p.StartSecs = 3 * time.Second
			p.StopWaitSecs = 10 * time.Second
		})
		stubborn.Priority = 1 // stopped last
		cfg := &conf.Config{Groups: []*conf.Group{stubborn, web}}
		cfg.Supervisord.Identifier = "supervisor"
		d, err := Start(cfg, Options{Log: slog.New(rec), Spawner: spawner, Output: hub,
			Clock: func() time.Time { return time.Now().Add(clockSkew) }})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		infos, err := d.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range infos {
			if want := t0.Add(clockSkew); !in.Start.Equal(want) || !in.Now.Equal(want.Add(5*time.Second)) {
				t.Errorf("%s: laststart %v and now %v, want %v and %v", in.Name, in.Start, in.Now, want, want.Add(5*time.Second))
			}
			if in.State != Running {
				t.Errorf("%s is %s", in.Name, in.State)
			}
		}
		d.Shutdown()
		<-d.Done()
		if el := time.Since(t0); el != 15*time.Second {
			t.Errorf("the tree was down %v after the start, want 15s", el)
		}
		for _, want := range []string{
			"1s INFO success: web entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)",
			"3s INFO success: stubborn entered RUNNING state, process has stayed up for > than 3 seconds (startsecs)",
			"5s INFO waiting for stubborn, web to die",
			"5s WARN stopped: web (terminated by SIGTERM)",
			"8s INFO waiting for stubborn to die",
			"11s INFO waiting for stubborn to die",
			"14s INFO waiting for stubborn to die",
			"15s WARN killing 'stubborn' (1001) with SIGKILL",
			"15s WARN stopped: stubborn (terminated by SIGKILL)",
		} {
			if len(rec.matching(want)) != 1 {
				t.Errorf("no line %q", want)
			}
		}
		if n := len(rec.matching("waiting for")); n != 4 {
			t.Errorf("%d waiting lines, want 4", n)
		}
		if sent, want := spawner.sent(), []string{"5s SIGTERM to web", "5s SIGTERM to stubborn", "15s SIGKILL to stubborn"}; !slices.Equal(sent, want) {
			t.Errorf("signals %q, want %q", sent, want)
		}
		if t.Failed() {
			t.Logf("main log:\n%s", &rec.recorder)
		}
	})
}
