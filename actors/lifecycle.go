package actors

import (
	"context"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/internal/notify"
	"supervisord/internal/probe"
	"supervisord/protocol/events"
	"supervisord/protocol/sdnotify"
)

// The process actor's part of readiness, health checks, the sd_notify
// socket, backoff curves, restart limits and waiting for dependencies. A
// program that sets none of these options never reaches any of it.
//
// Checks run in goroutines that report back with *probeDone, one at a time
// per process, each bounded by health_timeout; the notify socket's reader
// reports with *notified and a logger watching for ready=log:REGEX with
// *logMatched. Every report carries the generation of the run it is
// about, so one from an earlier run is dropped.

// runChecks is the lifecycle state of one run of the process, reset at
// each spawn.
type runChecks struct {
	startsecsUp bool // startsecs has passed
	ready       bool // ready= holds (set at once when there is none)
	// notReady is why ready_timeout ended the start, once it has: the
	// process is being killed and its exit is a failed start.
	notReady   string
	readyDelay time.Duration // until the next readiness check
	lastErr    string        // the last failed check's reason
	probing    bool          // a check goroutine is out
	cancel     context.CancelFunc

	healthy  bool // the last health check passed
	failures int  // consecutive failed health checks
	pinged   bool // a WATCHDOG=1 came in the current watchdog period
	status   string

	sock notifySocket // NOTIFY_SOCKET, when ready=notify
}

// notifySocket is a *notify.Socket; tests on a fake clock give one that
// reads nothing, since a real reader would keep their clock from moving.
type notifySocket interface {
	Addr() string
	SetOwner(pid int)
	Serve(handle func(notify.Message))
	Close() error
}

func listenNotify(name string) (notifySocket, error) { return notify.Listen(name) }

// notifyMsg is what one sd_notify datagram says, as far as it matters here.
type notifyMsg struct {
	ready, watchdog, trigger bool
	status                   string
	hasStatus                bool
	mainPID                  string
}

func readNotify(fs []sdnotify.Field) notifyMsg {
	var m notifyMsg
	for _, f := range fs {
		switch f.Key {
		case "READY":
			m.ready = f.Value == "1"
		case "STATUS":
			m.status, m.hasStatus = f.Value, true
		case "WATCHDOG":
			m.watchdog = f.Value == "1"
			m.trigger = f.Value == "trigger"
		case "MAINPID":
			m.mainPID = f.Value
		}
	}
	return m
}

// openNotify makes the run's notify socket when the program uses
// ready=notify, and returns what the child's environment gets for it.
func (p *process) openNotify(gen uint64) ([]string, error) {
	lc := &p.cfg.Lifecycle
	if lc.Ready.Kind != conf.ProbeNotify {
		return nil, nil
	}
	sock, err := p.rt.listenNotify(fmt.Sprintf("supervisord/%d/%d", os.Getpid(), gen))
	if err != nil {
		return nil, fmt.Errorf("cannot open the notify socket: %w", err)
	}
	p.run.sock = sock
	env := []string{"NOTIFY_SOCKET=" + sock.Addr()}
	if lc.Watchdog > 0 {
		env = append(env, "WATCHDOG_USEC="+strconv.FormatInt(lc.Watchdog.Microseconds(), 10))
	}
	return env, nil
}

// serveNotify starts reading the notify socket once the child's pid is
// known.
func (p *process) serveNotify(c actor.Context, pid int) {
	if p.run.sock == nil {
		return
	}
	p.run.sock.SetOwner(pid)
	gen, self, root := p.gen, c.Self(), c.ActorSystem().Root
	p.run.sock.Serve(func(m notify.Message) {
		root.Send(self, &notified{gen: gen, pid: m.PID, owner: m.FromOwner, msg: readNotify(m.Fields)})
	})
}

// beginChecks starts what decides when STARTING becomes RUNNING, right
// after a spawn.
func (p *process) beginChecks(c actor.Context) {
	lc := &p.cfg.Lifecycle
	switch lc.Ready.Kind {
	case conf.ProbeNone:
		p.run.ready = true
		return
	case conf.ProbeTCP, conf.ProbeHTTP, conf.ProbeExec:
		p.run.readyDelay = 100 * time.Millisecond
		p.probe(c, false)
	case conf.ProbeLog:
		re, err := regexp.Compile(lc.Ready.Target)
		if err != nil { // conf compiled it already
			panic(err)
		}
		p.watchLogs(c, re)
	case conf.ProbeNotify:
	}
	p.after(lc.ReadyTimeout, readyTimeoutTimer)
}

// endChecks stops every check of the run: at exit, and when the actor goes.
func (p *process) endChecks(c actor.Context) {
	if p.run.cancel != nil {
		p.run.cancel()
	}
	if p.run.sock != nil {
		p.run.sock.Close()
	}
	if p.cfg.Lifecycle.Ready.Kind == conf.ProbeLog && c != nil {
		p.watchLogs(c, nil)
	}
	p.run = runChecks{}
}

func (p *process) watchLogs(c actor.Context, re *regexp.Regexp) {
	for _, l := range []*actor.PID{p.stdout, p.stderr} {
		if l != nil {
			c.Send(l, &watchLog{gen: p.gen, re: re})
		}
	}
}

// probe runs one check in a goroutine: the readiness check, or with
// health the health check.
func (p *process) probe(c actor.Context, health bool) {
	if p.run.probing {
		return
	}
	lc := &p.cfg.Lifecycle
	pr := lc.Ready
	if health {
		pr = lc.Health
	}
	ctx, cancel := context.WithTimeout(context.Background(), lc.HealthTimeout)
	p.run.probing, p.run.cancel = true, cancel
	as := probe.As{Env: p.environ(), Dir: p.cfg.Directory, UID: p.cfg.UID, GID: p.cfg.GID}
	gen, self, root, check := p.gen, c.Self(), c.ActorSystem().Root, p.rt.check
	go func() {
		err := check(ctx, pr, as)
		cancel()
		root.Send(self, &probeDone{gen: gen, health: health, err: err})
	}()
}

// onCheck handles what the lifecycle's goroutines, timers and loggers
// report; it reports whether msg was one of theirs.
func (p *process) onCheck(c actor.Context, msg any) bool {
	lc := &p.cfg.Lifecycle
	switch m := msg.(type) {
	case *probeDone:
		if m.gen != p.gen {
			return true
		}
		p.run.probing, p.run.cancel = false, nil
		switch {
		case m.health && p.state == Running:
			p.healthResult(c, m.err)
			p.after(lc.HealthInterval, healthTimer)
		case !m.health && p.state == Starting && !p.run.ready && p.run.notReady == "":
			if m.err == nil {
				p.readyNow(c, lc.Ready.String())
				return true
			}
			p.run.lastErr = m.err.Error()
			p.after(p.run.readyDelay, readyTimer)
			p.run.readyDelay = min(2*p.run.readyDelay, time.Second)
		}
	case *logMatched:
		if m.gen == p.gen && p.state == Starting && !p.run.ready && p.run.notReady == "" {
			p.watchLogs(c, nil)
			p.readyNow(c, lc.Ready.String())
		}
	case *notified:
		if m.gen == p.gen {
			p.onNotify(c, m)
		}
	case *timerFired:
		if m.gen != p.gen {
			return false
		}
		switch m.kind {
		case readyTimer:
			if p.state == Starting && !p.run.ready {
				p.probe(c, false)
			}
		case readyTimeoutTimer:
			if p.state == Starting && !p.run.ready {
				p.notReadyInTime(c)
			}
		case readyKillTimer:
			if p.state == Starting && p.proc != nil {
				p.rt.log.Warn(fmt.Sprintf("killing '%s' (%d) with SIGKILL", p.cfg.Name, p.proc.Pid))
				p.signalStop(syscall.SIGKILL, p.cfg.KillAsGroup)
			}
		case healthTimer:
			if p.state == Running {
				p.probe(c, true)
			}
		case watchdogTimer:
			if p.state == Running {
				if p.run.pinged {
					p.healthResult(c, nil)
				} else {
					p.healthResult(c, fmt.Errorf("no WATCHDOG=1 within %s", lc.Watchdog))
				}
				p.run.pinged = false
				p.after(lc.Watchdog, watchdogTimer)
			}
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// onNotify acts on one sd_notify datagram.
func (p *process) onNotify(c actor.Context, m *notified) {
	if !m.owner {
		p.rt.log.Warn(fmt.Sprintf("notify: %s: ignoring a message from pid %d, which is not one of its processes", p.cfg.Name, m.pid))
		return
	}
	if m.msg.mainPID != "" {
		p.rt.log.Warn(fmt.Sprintf("notify: %s: refusing MAINPID=%s: the process supervised is the one started", p.cfg.Name, m.msg.mainPID))
	}
	if m.msg.hasStatus {
		p.run.status = m.msg.status
	}
	if m.msg.ready && p.state == Starting && !p.run.ready && p.run.notReady == "" {
		p.readyNow(c, "READY=1")
	}
	if p.state == Running {
		switch {
		case m.msg.trigger:
			p.healthResult(c, fmt.Errorf("WATCHDOG=trigger"))
		case m.msg.watchdog:
			p.run.pinged = true
		}
	}
}

// readyNow records that the program is ready; it becomes RUNNING once
// startsecs has passed too.
func (p *process) readyNow(c actor.Context, how string) {
	p.run.ready = true
	p.cancelKind(readyTimeoutTimer)
	p.cancelKind(readyTimer)
	p.rt.log.Info(fmt.Sprintf("ready: %s (%s)", p.cfg.Name, how))
	c.Send(p.rt.bus, &publish{ev: events.ProcessHealth{Type: events.TypeProcessHealthReady,
		Process: p.cfg.Name, Group: p.cfg.Group, PID: p.pid, Detail: how}})
	if p.run.startsecsUp {
		p.becomeRunning(c)
	}
}

// notReadyInTime ends a start that did not get ready within ready_timeout:
// the process is sent its stop signal (SIGKILL after stopwaitsecs), and its
// exit is a failed start.
func (p *process) notReadyInTime(c actor.Context) {
	lc := &p.cfg.Lifecycle
	why := p.run.lastErr
	switch {
	case why != "":
	case lc.Ready.Kind == conf.ProbeNotify:
		why = "no READY=1"
	case lc.Ready.Kind == conf.ProbeLog:
		why = "no line matched"
	default:
		why = "no check finished"
	}
	p.run.notReady = fmt.Sprintf("not ready within %d seconds (%s)", int(lc.ReadyTimeout/time.Second), why)
	p.rt.log.Warn(fmt.Sprintf("not ready: %s %s; stopping it", p.cfg.Name, p.run.notReady))
	p.cancelKind(readyTimer)
	if p.proc != nil {
		p.signalStop(p.cfg.StopSignal, p.cfg.StopAsGroup)
		p.after(p.cfg.StopWaitSecs, readyKillTimer)
	}
}

// signalStop sends sig to the process, or its process group.
func (p *process) signalStop(sig syscall.Signal, asGroup bool) {
	var err error
	if asGroup {
		err = p.proc.SignalGroup(sig)
	} else {
		err = p.proc.Signal(sig)
	}
	if err != nil {
		p.rt.log.Debug(fmt.Sprintf("unable to signal %s (pid %d), it probably just exited on its own: %v", p.cfg.Name, p.proc.Pid, err))
	}
}

// beginHealth starts the health checks and the watchdog of a process that
// just became RUNNING.
func (p *process) beginHealth(c actor.Context) {
	lc := &p.cfg.Lifecycle
	if lc.Health.Kind != conf.ProbeNone {
		p.probe(c, true)
	}
	if lc.Watchdog > 0 {
		p.after(lc.Watchdog, watchdogTimer)
	}
}

// healthResult counts one health check (or watchdog period): health_retries
// failures in a row make the program unhealthy, one pass makes it healthy.
func (p *process) healthResult(c actor.Context, err error) {
	lc := &p.cfg.Lifecycle
	if err == nil {
		p.run.failures = 0
		if !p.run.healthy {
			p.run.healthy = true
			p.rt.log.Info(fmt.Sprintf("healthy: %s", p.cfg.Name))
			p.healthEvent(c, events.TypeProcessHealthHealthy, "")
		}
		return
	}
	p.run.failures++
	p.run.lastErr = err.Error()
	p.rt.log.Debug(fmt.Sprintf("health check failed: %s (%d of %d): %v", p.cfg.Name, p.run.failures, lc.HealthRetries, err))
	if p.run.failures != lc.HealthRetries {
		return
	}
	p.run.healthy = false
	action := map[conf.HealthAction]string{conf.HealthRestart: "restarting it", conf.HealthStop: "stopping it",
		conf.HealthNone: "health_action is none"}[lc.HealthAction]
	p.rt.log.Warn(fmt.Sprintf("unhealthy: %s failed %d health checks in a row (%v); %s", p.cfg.Name, p.run.failures, err, action))
	p.healthEvent(c, events.TypeProcessHealthUnhealthy, err.Error())
	switch lc.HealthAction {
	case conf.HealthRestart:
		p.restartAfterStop = true
		p.kill(c, p.cfg.StopSignal)
	case conf.HealthStop:
		p.kill(c, p.cfg.StopSignal)
	case conf.HealthNone:
	}
}

func (p *process) healthEvent(c actor.Context, t events.Type, detail string) {
	c.Send(p.rt.supervisor, &healthChanged{ref: p.ref(), healthy: t == events.TypeProcessHealthHealthy})
	c.Send(p.rt.bus, &publish{ev: events.ProcessHealth{Type: t, Process: p.cfg.Name, Group: p.cfg.Group, PID: p.pid, Detail: detail}})
}

func (p *process) ref() conf.ProcessRef { return conf.ProcessRef{Group: p.cfg.Group, Name: p.cfg.Name} }

// backoffDelay is how long BACKOFF waits before retry n (1, 2, …): n
// seconds (linear, the reference's) or 2ⁿ⁻¹ seconds (exponential), capped
// at backoff_max, spread by ±jitter with r drawn from [0, 1).
func backoffDelay(lc *conf.Lifecycle, n int, r float64) time.Duration {
	d := time.Duration(n) * time.Second
	limit := lc.BackoffMax
	if lc.Backoff == conf.BackoffExponential {
		d = time.Duration(math.Pow(2, float64(min(max(n-1, 0), 40)))) * time.Second
		if limit == 0 {
			limit = conf.DefaultBackoffMax
		}
	}
	if limit > 0 && d > limit {
		d = limit
	}
	if j := lc.BackoffJitter; j > 0 {
		d = time.Duration(float64(d) * (1 + j*(2*r-1)))
		if limit > 0 && d > limit {
			d = limit
		}
	}
	return d
}

// customBackoff reports whether the program set any option that changes
// the reference's retries; only then is each delay logged.
func customBackoff(p *conf.Process) bool {
	lc := &p.Lifecycle
	return lc.Backoff != conf.BackoffLinear || lc.BackoffMax > 0 || lc.BackoffJitter > 0 ||
		p.StartRetries == conf.UnlimitedRetries || lc.RestartLimit.Set()
}

// respawn is a start nobody asked for (autorestart, a BACKOFF retry, a
// health restart): past restart_limit the program gives up instead, FATAL.
func (p *process) respawn(c actor.Context) {
	if lim := p.cfg.Lifecycle.RestartLimit; lim.Set() {
		now := p.rt.now()
		kept := p.restarts[:0]
		for _, t := range p.restarts {
			if now.Sub(t) < lim.Window {
				kept = append(kept, t)
			}
		}
		p.restarts = kept
		if len(p.restarts) >= lim.Count {
			p.restarts = nil
			p.backoff = 0
			p.spawnErr = fmt.Sprintf("restart limit reached: %d restarts within %d seconds (restart_limit=%s)",
				lim.Count, int(lim.Window/time.Second), lim)
			p.rt.log.Info(fmt.Sprintf("gave up: %s entered FATAL state, %s", p.cfg.Name, p.spawnErr))
			p.to(c, Fatal, p.stopped, true)
			return
		}
		p.restarts = append(p.restarts, now)
	}
	p.stats.restarts++
	p.spawn(c)
}

// waitForDeps makes a stopped process wait for its dependencies: the
// supervisor answers with *depsMet when they hold.
func (p *process) waitForDeps(c actor.Context) {
	p.depsToken++
	p.waiting, p.waitingFor, p.blocked = true, "dependencies", false
	c.Request(p.rt.supervisor, &awaitDeps{ref: p.ref(), token: p.depsToken})
}

// stopWaiting ends a wait for dependencies (a start or stop asked for the
// process meanwhile).
func (p *process) stopWaiting(c actor.Context) {
	if p.waiting {
		p.waiting, p.waitingFor, p.blocked = false, "", false
		c.Send(p.rt.supervisor, &cancelDeps{ref: p.ref()})
	}
}

// onDeps handles the supervisor's answers to waitForDeps.
func (p *process) onDeps(c actor.Context, msg any) bool {
	switch m := msg.(type) {
	case *depsMet:
		if m.token != p.depsToken || !p.waiting {
			return true
		}
		p.waiting, p.waitingFor, p.blocked = false, "", false
		if p.state.IsStopped() && !p.noStart {
			p.rt.log.Info(fmt.Sprintf("dependencies met: starting %s", p.cfg.Name))
			p.spawn(c)
		}
	case *depsWaiting:
		if m.token != p.depsToken || !p.waiting {
			return true
		}
		p.waitingFor, p.blocked = m.what, m.blocked
		p.answerWaiters(c)
	default:
		return false
	}
	return true
}
