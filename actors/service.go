package actors

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"supervisord/conf"
	"supervisord/internal/logfile"
	"supervisord/protocol/events"
)

// The service API: what the control surfaces (the XML-RPC API, the web
// page, the config watcher) ask of the tree. Every method takes a context
// and returns Go values and *Error; each is one or a few requests to the
// supervisor actor, which answers from its registry or carries the request
// to the one process or group actor that can. A slow request (a stop
// waiting out stopwaitsecs) holds only its own caller.

// Target is what a namespec names: one process, or a whole group when
// Process is nil.
type Target struct {
	Group   *conf.Group
	Process *conf.Process
}

// Outcome is what a request about several processes did to one of them.
type Outcome struct {
	Group, Name string
	Err         error // nil when it succeeded
}

// Stream names a process's output stream.
type Stream string

// The streams a process has.
const (
	Stdout Stream = "stdout"
	Stderr Stream = "stderr"
)

// Groups is the running groups, in start order.
func (d *Daemon) Groups(ctx context.Context) ([]*conf.Group, error) {
	v, err := d.ask(ctx, &listGroups{}, askTimeout)
	if err != nil {
		return nil, err
	}
	return v.(*groupList).groups, nil
}

// Resolve reads a namespec ("name", "group:name", "group:*", "group:")
// against what runs: ErrBadName when it names nothing.
func (d *Daemon) Resolve(ctx context.Context, spec string) (Target, error) {
	v, err := d.ask(ctx, &resolve{spec: spec}, askTimeout)
	if err != nil {
		return Target{}, err
	}
	r := v.(*resolved)
	return Target{Group: r.group, Process: r.proc}, nil
}

// Status is every process's state, in start order. A process whose actor
// does not answer in time is reported UNKNOWN.
func (d *Daemon) Status(ctx context.Context) ([]ProcessInfo, error) {
	s, err := d.Snapshot(ctx)
	return s.Processes, err
}

// Snapshot is what metrics read of the tree in one request: every
// process's state and counters (Status), and every eventlistener pool's
// counters, in start order.
type Snapshot struct {
	Processes []ProcessInfo
	Pools     []PoolStats
}

// Snapshot is Status with the pools' counters: it costs what Status does.
func (d *Daemon) Snapshot(ctx context.Context) (Snapshot, error) {
	v, err := d.ask(ctx, &getStatus{}, 2*askTimeout)
	if err != nil {
		return Snapshot{}, err
	}
	l := v.(*statusList)
	return Snapshot{Processes: l.infos, Pools: l.pools}, nil
}

// Info is one process's state.
func (d *Daemon) Info(ctx context.Context, group, name string) (ProcessInfo, error) {
	v, err := d.askProcess(ctx, group, name, &getInfo{}, askTimeout)
	if err != nil {
		return ProcessInfo{}, err
	}
	return *v.(*ProcessInfo), nil
}

func (d *Daemon) askProcess(ctx context.Context, group, name string, msg message, timeout time.Duration) (any, error) {
	return d.ask(ctx, &toProcess{group: group, name: name, msg: msg}, timeout)
}

// Start starts a process that is not running and, with wait, waits until
// it is RUNNING. It fails with NoFile or NotExecutable when the command
// cannot run, AlreadyStarted, SpawnError when the spawn fails, and (when
// waiting) Abnormal when the process does not get to RUNNING. A disabled
// process is not started (Disabled); a start clears a remembered stop.
//
// A process with depends_on pulls its dependencies in: those that do not
// meet their condition are started first (theirs before them), and the
// process starts once every condition holds. Waiting covers that too, and
// fails with Abnormal when a dependency cannot get there (it is FATAL).
func (d *Daemon) Start(ctx context.Context, group, name string, wait bool) error {
	waitFor, err := d.starter(wait)(ctx, &conf.Process{Group: group, Name: name})
	if err != nil || waitFor == nil {
		return err
	}
	return waitFor()
}

// Stop sends a running process its stop signal and, with wait, waits until
// it is in a stopped state (SIGKILL after stopwaitsecs at the latest);
// NotRunning when it is not running. A stop the process takes is
// remembered: an update, an automatic reload or a daemon restart does not
// start it again until a start asks for it (intent.go). The running processes that depend on
// it (transitively) are stopped first, each level waited for, whether or
// not the stop itself is waited for.
func (d *Daemon) Stop(ctx context.Context, group, name string, wait bool) error {
	levels, err := d.stopLevels(ctx, []*conf.Process{{Group: group, Name: name}})
	if err != nil {
		return err
	}
	if len(levels) > 1 {
		if in, err := d.Info(ctx, group, name); err == nil && in.State.IsRunning() {
			for _, level := range levels[:len(levels)-1] {
				d.forEach(ctx, level, canStop, d.stopper(true))
			}
		}
	}
	waitFor, err := d.stopper(wait)(ctx, &conf.Process{Group: group, Name: name})
	if err != nil || waitFor == nil {
		return err
	}
	return waitFor()
}

// stopLevels orders processes to stop, with the running processes that
// depend on them, so that each comes in a level after its dependents; one
// level (ps) when nothing depends on them.
func (d *Daemon) stopLevels(ctx context.Context, ps []*conf.Process) ([][]*conf.Process, error) {
	refs := make([]conf.ProcessRef, len(ps))
	for i, p := range ps {
		refs[i] = conf.ProcessRef{Group: p.Group, Name: p.Name}
	}
	v, err := d.ask(ctx, &stopPlan{refs: refs}, askTimeout)
	if err != nil {
		return nil, err
	}
	if levels := v.(*planned).levels; len(levels) > 1 {
		return levels, nil
	}
	return [][]*conf.Process{ps}, nil
}

// Signal sends a signal, named ("HUP", "SIGHUP") or numbered ("1"), to a
// process that is STARTING, RUNNING or STOPPING: BadSignal when there is
// no such signal, NotRunning when the process is in another state.
func (d *Daemon) Signal(ctx context.Context, group, name, sig string) error {
	n, err := parseSignal(sig)
	if err != nil {
		return err
	}
	_, err = d.askProcess(ctx, group, name, &signalProcess{sig: n}, askTimeout)
	return err
}

func parseSignal(sig string) (syscall.Signal, error) {
	n, err := conf.ParseSignal(sig)
	if err != nil {
		return 0, &Error{Kind: BadSignal, Detail: sig}
	}
	return n, nil
}

// SendStdin writes data to a process's stdin: NotRunning when it has no OS
// process (or is being stopped), NoFile when its stdin is closed.
func (d *Daemon) SendStdin(ctx context.Context, group, name string, data []byte) error {
	_, err := d.askProcess(ctx, group, name, &writeStdin{data: data}, askTimeout)
	return err
}

// Restart stops a process if it runs, waiting until it has stopped, and
// starts it again, as `supervisorctl restart` does; with wait it waits
// until it is RUNNING (see Start).
func (d *Daemon) Restart(ctx context.Context, group, name string, wait bool) error {
	if err := d.Stop(ctx, group, name, true); err != nil && !errors.Is(err, ErrNotRunning) {
		return err
	}
	return d.Start(ctx, group, name, wait)
}

// ClearLogs empties a process's stdout and stderr log files.
func (d *Daemon) ClearLogs(ctx context.Context, group, name string) error {
	_, err := d.askProcess(ctx, group, name, &clearLog{}, askTimeout)
	return err
}

// LogPath is the file a process's stream is logged to, "" when it is not
// logged to a file.
func (d *Daemon) LogPath(ctx context.Context, group, name string, stream Stream) (string, error) {
	in, err := d.Info(ctx, group, name)
	if err != nil {
		return "", err
	}
	if stream == Stderr {
		return in.StderrLogfile, nil
	}
	return in.StdoutLogfile, nil
}

// ReadLog reads length bytes of a process's log from offset (a negative
// offset counts from the end, as the reference's readProcessLog does):
// NoFile (naming the path, if any) when there is no log file,
// BadArguments for an offset and length it cannot serve.
func (d *Daemon) ReadLog(ctx context.Context, group, name string, stream Stream, offset, length int64) ([]byte, error) {
	path, err := d.LogPath(ctx, group, name, stream)
	if err != nil {
		return nil, err
	}
	return ReadFile(path, offset, length)
}

// ReadFile is ReadLog once the file is known; the main log is read with it
// too.
func ReadFile(path string, offset, length int64) ([]byte, error) {
	if _, err := os.Stat(path); path == "" || err != nil {
		return nil, &Error{Kind: NoFile, Detail: path}
	}
	data, err := logfile.Read(path, offset, length)
	switch {
	case errors.Is(err, logfile.ErrBadArguments):
		return nil, ErrBadArguments
	case err != nil:
		return nil, errorf(Failed, "%v", err)
	}
	return data, nil
}

// TailLog reads the end of a process's log as the reference's
// tailProcessLog does: at most length bytes from offset, moved on to the
// last length bytes when the log has grown past them (overflow). A
// process without a log file has an empty tail.
func (d *Daemon) TailLog(ctx context.Context, group, name string, stream Stream, offset, length int64) (data []byte, next int64, overflow bool, err error) {
	path, err := d.LogPath(ctx, group, name, stream)
	if err != nil {
		return nil, 0, false, err
	}
	data, next, overflow = TailFile(path, offset, length)
	return data, next, overflow, nil
}

// TailFile is TailLog once the file is known; the main log is tailed with
// it too. A file that is not there (or cannot be read) has an empty tail.
func TailFile(path string, offset, length int64) (data []byte, next int64, overflow bool) {
	if _, err := os.Stat(path); path == "" || err != nil {
		return []byte{}, 0, false
	}
	data, next, overflow, err := logfile.Tail(path, offset, length)
	if err != nil {
		return []byte{}, offset, false
	}
	return data, next, overflow
}

// Publish puts an event on the bus (sendRemoteCommEvent's
// REMOTE_COMMUNICATION).
func (d *Daemon) Publish(ev events.Event) { d.tell(&toBus{msg: &publish{ev: ev}}) }

// Several processes at once.

// StartGroup starts every process of a group that is not running, in
// priority order, and with wait waits for all of them; see Start. A
// disabled process is skipped, its outcome Disabled.
func (d *Daemon) StartGroup(ctx context.Context, name string, wait bool) ([]Outcome, error) {
	return d.onGroup(ctx, name, canStart, d.starter(wait))
}

// StopGroup stops every running process of a group, and with wait waits
// for all of them; see Stop. Processes of other groups that depend on them
// are stopped first, and reported too.
func (d *Daemon) StopGroup(ctx context.Context, name string, wait bool) ([]Outcome, error) {
	t, err := d.Resolve(ctx, name+":*")
	if err != nil {
		return nil, err
	}
	return d.stopInLevels(ctx, byPriority(t.Group.Processes), wait)
}

// stopInLevels stops ps and what depends on them level by level (see
// stopLevels), waiting for every level but the last unless wait.
func (d *Daemon) stopInLevels(ctx context.Context, ps []*conf.Process, wait bool) ([]Outcome, error) {
	levels, err := d.stopLevels(ctx, ps)
	if err != nil {
		return nil, err
	}
	outcomes := []Outcome{}
	for i, level := range levels {
		outcomes = append(outcomes, d.forEach(ctx, level, canStop, d.stopper(wait || i < len(levels)-1))...)
	}
	return outcomes, nil
}

// RestartGroup stops every running process of a group, waiting until all
// have stopped, then starts them all (StartGroup); the outcomes are the
// starts'.
func (d *Daemon) RestartGroup(ctx context.Context, name string, wait bool) ([]Outcome, error) {
	if _, err := d.StopGroup(ctx, name, true); err != nil {
		return nil, err
	}
	return d.StartGroup(ctx, name, wait)
}

// SendStdinGroup writes data to the stdin of every process of a group
// that runs (see SendStdin).
func (d *Daemon) SendStdinGroup(ctx context.Context, name string, data []byte) ([]Outcome, error) {
	return d.onGroup(ctx, name, hasProcess, d.stdinWriter(data))
}

// SignalGroup signals every process of a group that can take a signal.
func (d *Daemon) SignalGroup(ctx context.Context, name, sig string) ([]Outcome, error) {
	return d.onGroup(ctx, name, signallable, d.signaller(sig))
}

// StartAll is StartGroup for every group, by group priority.
func (d *Daemon) StartAll(ctx context.Context, wait bool) ([]Outcome, error) {
	return d.onAll(ctx, canStart, d.starter(wait))
}

// StopAll is StopGroup for every group, by group priority; with
// depends_on, dependents stop before what they depend on.
func (d *Daemon) StopAll(ctx context.Context, wait bool) ([]Outcome, error) {
	ps, err := d.allProcesses(ctx)
	if err != nil {
		return nil, err
	}
	return d.stopInLevels(ctx, ps, wait)
}

// RestartAll is RestartGroup for every group: every running process is
// stopped (StopAll), then every process started (StartAll).
func (d *Daemon) RestartAll(ctx context.Context, wait bool) ([]Outcome, error) {
	if _, err := d.StopAll(ctx, true); err != nil {
		return nil, err
	}
	return d.StartAll(ctx, wait)
}

// SendStdinAll is SendStdinGroup for every group, by group priority.
func (d *Daemon) SendStdinAll(ctx context.Context, data []byte) ([]Outcome, error) {
	return d.onAll(ctx, hasProcess, d.stdinWriter(data))
}

// SignalAll is SignalGroup for every group, by group priority.
func (d *Daemon) SignalAll(ctx context.Context, sig string) ([]Outcome, error) {
	return d.onAll(ctx, signallable, d.signaller(sig))
}

// ClearAllLogs empties every process's log files.
func (d *Daemon) ClearAllLogs(ctx context.Context) ([]Outcome, error) {
	return d.onAll(ctx, anyState, d.logAction(d.ClearLogs))
}

// RotateLogs rotates a process's stdout and stderr log files now, as
// reaching maxbytes would: same names, backups and compression. An empty
// log, or none, is left as it is.
func (d *Daemon) RotateLogs(ctx context.Context, group, name string) error {
	_, err := d.askProcess(ctx, group, name, &rotateLogs{}, askTimeout)
	return err
}

// RotateGroupLogs is RotateLogs for every process of a group.
func (d *Daemon) RotateGroupLogs(ctx context.Context, name string) ([]Outcome, error) {
	return d.onGroup(ctx, name, anyState, d.logAction(d.RotateLogs))
}

// RotateAllLogs is RotateLogs for every process.
func (d *Daemon) RotateAllLogs(ctx context.Context) ([]Outcome, error) {
	return d.onAll(ctx, anyState, d.logAction(d.RotateLogs))
}

// logAction is a step doing act to a process's logs, any failure of
// which is Failed.
func (d *Daemon) logAction(act func(ctx context.Context, group, name string) error) step {
	return func(ctx context.Context, p *conf.Process) (func() error, error) {
		if err := act(ctx, p.Group, p.Name); err != nil {
			return nil, ErrFailed
		}
		return nil, nil
	}
}

func anyState(State) bool { return true }

func canStart(s State) bool    { return !s.IsRunning() }
func canStop(s State) bool     { return s.IsRunning() }
func signallable(s State) bool { return s == Running || s == Starting || s == Stopping }
func hasProcess(s State) bool  { return s == Running || s == Starting }

// step acts on one process and returns, when there is more to wait for, a
// function that waits for it.
type step func(ctx context.Context, p *conf.Process) (wait func() error, err error)

// starter starts a process; one with depends_on pulls its dependencies in
// and starts once they meet their conditions (see Start).
func (d *Daemon) starter(wait bool) step {
	return func(ctx context.Context, p *conf.Process) (func() error, error) {
		v, err := d.ask(ctx, &startTarget{ref: conf.ProcessRef{Group: p.Group, Name: p.Name}}, askTimeout)
		if plan, ok := v.(*planned); ok && err == nil {
			// One after another, each start accepted before the next is
			// asked, so the process never finds a dependency not yet asked.
			for _, dep := range plan.levels[0] {
				// Its failure shows in the wait: the process waits for it.
				_, _ = d.askProcess(ctx, dep.Group, dep.Name, &startWhenMet{}, askTimeout)
			}
			_, err = d.askProcess(ctx, p.Group, p.Name, &startWhenMet{}, askTimeout)
		}
		if err != nil || !wait {
			return nil, err
		}
		return func() error {
			_, err := d.askProcess(ctx, p.Group, p.Name, &awaitStarted{}, waitTimeout)
			return err
		}, nil
	}
}

// stopper stops a process as asked by hand: a stop the process takes is
// remembered (intent.go), with who asked (OperatorFrom).
func (d *Daemon) stopper(wait bool) step {
	return func(ctx context.Context, p *conf.Process) (func() error, error) {
		by := OperatorFrom(ctx)
		if _, err := d.askProcess(ctx, p.Group, p.Name, &stopProcess{by: &by}, askTimeout); err != nil || !wait {
			return nil, err
		}
		return func() error {
			_, err := d.askProcess(ctx, p.Group, p.Name, &awaitStopped{}, waitTimeout)
			return err
		}, nil
	}
}

func (d *Daemon) stdinWriter(data []byte) step {
	return func(ctx context.Context, p *conf.Process) (func() error, error) {
		return nil, d.SendStdin(ctx, p.Group, p.Name, data)
	}
}

func (d *Daemon) signaller(sig string) step {
	return func(ctx context.Context, p *conf.Process) (func() error, error) {
		return nil, d.Signal(ctx, p.Group, p.Name, sig)
	}
}

func (d *Daemon) onGroup(ctx context.Context, name string, pred func(State) bool, act step) ([]Outcome, error) {
	t, err := d.Resolve(ctx, name+":*")
	if err != nil {
		return nil, err
	}
	return d.forEach(ctx, byPriority(t.Group.Processes), pred, act), nil
}

func (d *Daemon) onAll(ctx context.Context, pred func(State) bool, act step) ([]Outcome, error) {
	ps, err := d.allProcesses(ctx)
	if err != nil {
		return nil, err
	}
	return d.forEach(ctx, ps, pred, act), nil
}

// allProcesses is every process in the order the reference acts on them
// all: groups by priority, each group's processes by priority.
func (d *Daemon) allProcesses(ctx context.Context) ([]*conf.Process, error) {
	groups, err := d.Groups(ctx)
	if err != nil {
		return nil, err
	}
	groups = slices.Clone(groups)
	sort.SliceStable(groups, func(i, j int) bool {
		if groups[i].Priority != groups[j].Priority {
			return groups[i].Priority < groups[j].Priority
		}
		return groups[i].Name < groups[j].Name
	})
	var ps []*conf.Process
	for _, g := range groups {
		ps = append(ps, byPriority(g.Processes)...)
	}
	return ps, nil
}

// byPriority is a group's processes in the order the reference acts on
// them: priority, then name.
func byPriority(ps []*conf.Process) []*conf.Process {
	out := slices.Clone(ps)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority < out[j].Priority
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// round is how long forEach gathers waits that finish together. The
// reference polls its waits once per pass of its main loop and reports
// those finished in one pass in process order; processes that reach a state
// within a few milliseconds of each other are reported the same way here.
const round = 20 * time.Millisecond

// forEach runs act on every process whose state passes the predicate, one
// after another, then waits for all of them at once. Outcomes come as the
// reference orders them: those settled at once first, then the waited ones
// as they finish, those finishing together (within a round) in process
// order.
func (d *Daemon) forEach(ctx context.Context, ps []*conf.Process, pred func(State) bool, act step) []Outcome {
	outcomes := []Outcome{}
	type waited struct {
		i   int // in ps
		p   *conf.Process
		err error
	}
	done := make(chan waited)
	pending := 0
	for i, p := range ps {
		in, err := d.Info(ctx, p.Group, p.Name)
		if err != nil || !pred(in.State) {
			continue
		}
		wait, err := act(ctx, p)
		if err != nil || wait == nil {
			outcomes = append(outcomes, Outcome{Group: p.Group, Name: p.Name, Err: err})
			continue
		}
		pending++
		go func() { done <- waited{i, p, wait()} }()
	}
	for pending > 0 {
		batch := []waited{<-done}
		pending--
		timer := time.NewTimer(round)
	gather:
		for pending > 0 {
			select {
			case w := <-done:
				batch = append(batch, w)
				pending--
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
		slices.SortFunc(batch, func(a, b waited) int { return a.i - b.i })
		for _, w := range batch {
			outcomes = append(outcomes, Outcome{Group: w.p.Group, Name: w.p.Name, Err: w.err})
		}
	}
	return outcomes
}

// Changes to what runs.

// Config is the config last read: the one the tree started with, or a
// newer one from SetConfig (reloadConfig) or the watcher. addProcessGroup
// and getAllConfigInfo use it, as the reference uses its last reread.
func (d *Daemon) Config(ctx context.Context) (*conf.Config, error) {
	v, err := d.ask(ctx, &getConfig{}, askTimeout)
	if err != nil {
		return nil, err
	}
	return v.(*configIs).cfg, nil
}

// SetConfig records cfg as the config last read.
func (d *Daemon) SetConfig(ctx context.Context, cfg *conf.Config) error {
	_, err := d.ask(ctx, &setConfig{cfg: cfg}, askTimeout)
	return err
}

// Reread records cfg, the config file read again, as the config last read
// (SetConfig) and reports how it differs from what runs (Diff): what
// `supervisorctl reread` shows, and what reloadConfig and the JSON API's
// reread answer.
func (d *Daemon) Reread(ctx context.Context, cfg *conf.Config) (added, changed, removed []string, err error) {
	if err := d.SetConfig(ctx, cfg); err != nil {
		return nil, nil, nil, err
	}
	return d.Diff(ctx, cfg)
}

// Diff is how cfg differs from what runs: the groups it adds, changes and
// removes, as `supervisorctl reread` reports them.
func (d *Daemon) Diff(ctx context.Context, cfg *conf.Config) (added, changed, removed []string, err error) {
	v, err := d.ask(ctx, &diffConfig{cfg: cfg}, askTimeout)
	if err != nil {
		return nil, nil, nil, err
	}
	r := v.(*configDiff)
	return r.added, r.changed, r.removed, nil
}

// AddGroup adds a group (from a re-read config) to the running tree and
// autostarts it: AlreadyAdded if a group of that name runs.
func (d *Daemon) AddGroup(ctx context.Context, g *conf.Group) error {
	_, err := d.ask(ctx, &addGroup{cfg: g}, askTimeout)
	return err
}

// RemoveGroup removes a group whose processes are all stopped
// (StillRunning otherwise, BadName when there is none). Their remembered
// stops go with them (a disable stays): the reference's supervisorctl
// updates a group by stopping, removing and adding it, and its processes
// start again as they do with the reference.
func (d *Daemon) RemoveGroup(ctx context.Context, name string) error {
	_, err := d.ask(ctx, &removeGroup{name: name}, askTimeout)
	return err
}

// replaceGroup removes a group to add it again at once: the remembered
// stops of its processes stay.
func (d *Daemon) replaceGroup(ctx context.Context, name string) error {
	_, err := d.ask(ctx, &removeGroup{name: name, keepStops: true}, askTimeout)
	return err
}

// stopWholeGroup stops every process of a group and waits until all are in
// a stopped state.
func (d *Daemon) stopWholeGroup(ctx context.Context, name string) error {
	_, err := d.ask(ctx, &toGroup{name: name, msg: &stopGroup{}}, waitTimeout)
	return err
}

// Update applies a new config's groups the way `supervisorctl update`
// does: removed groups are stopped and dropped, changed ones updated with
// UpdateGroup (only their changed processes restart), new ones added (and
// autostarted). Unchanged groups are not touched. It returns the group
// names of each.
func (d *Daemon) Update(ctx context.Context, cfg *conf.Config) (added, changed, removed []string, err error) {
	added, changed, removed, err = d.Diff(ctx, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	byName := map[string]*conf.Group{}
	for _, g := range cfg.Groups {
		byName[g.Name] = g
	}
	var errs []error
	for _, name := range removed {
		if err := d.stopWholeGroup(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("stopping %s: %w", name, err))
			continue
		}
		if err := d.RemoveGroup(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("removing %s: %w", name, err))
		}
	}
	for _, name := range changed {
		if err := d.UpdateGroup(ctx, byName[name]); err != nil {
			errs = append(errs, err)
		}
	}
	for _, name := range added {
		if err := d.AddGroup(ctx, byName[name]); err != nil {
			errs = append(errs, fmt.Errorf("adding %s: %w", name, err))
		}
	}
	return added, changed, removed, errors.Join(errs...)
}

// ReloadStatus is what the config watcher has done; zero when there is
// no watcher.
func (d *Daemon) ReloadStatus(ctx context.Context) (ReloadStatus, error) {
	v, err := d.ask(ctx, &getReloadStatus{}, askTimeout)
	if err != nil {
		return ReloadStatus{}, err
	}
	return v.(*reloadIs).status, nil
}

// ProcessSources is the sections that define what spec names, from the
// running config, as conf.Source keeps them: a process's own section
// then its [group:x]'s; for a group ("group:*", or a plain name that is
// a group's and no process's, a numprocs program say), those of each of
// its processes, each distinct section once. ErrBadName when spec names
// nothing.
func (d *Daemon) ProcessSources(ctx context.Context, spec string) ([]conf.Source, error) {
	t, err := d.Resolve(ctx, spec)
	if errors.Is(err, ErrBadName) && !strings.Contains(spec, ":") {
		t, err = d.Resolve(ctx, spec+":*")
		if err != nil {
			err = ErrBadName
		}
	}
	if err != nil {
		return nil, err
	}
	procs := t.Group.Processes
	if t.Process != nil {
		procs = []*conf.Process{t.Process}
	}
	// The processes' own sections first, then their groups'.
	var out []conf.Source
	for i := 0; i < 2; i++ {
		for _, p := range procs {
			if i >= len(p.Sources) {
				continue
			}
			s := p.Sources[i]
			if !slices.ContainsFunc(out, func(o conf.Source) bool {
				return o.File == s.File && o.Line == s.Line && o.Text() == s.Text()
			}) {
				out = append(out, s)
			}
		}
	}
	return out, nil
}
