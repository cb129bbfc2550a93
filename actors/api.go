package actors

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/protocol/events"
)

// The requests below are how the control surface (XML-RPC, later the web UI
// and the ctl) reaches into the tree: each is a message to one actor and an
// answer, so a slow one (a stop waiting out stopwaitsecs) holds only its own
// caller.

// askTimeout bounds a request that an actor answers at once.
const askTimeout = 10 * time.Second

// waitTimeout bounds a wait for a state; a start or stop always ends (in
// RUNNING, a failure, or SIGKILL), so this is only a backstop.
const waitTimeout = 24 * time.Hour

// Groups returns the process groups of the running tree, in start order.
func (d *Daemon) Groups() []*conf.Group {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.groups
}

// AddGroup adds a group (from a re-read config) to the running tree and
// autostarts it: ErrAlreadyAdded if a group of that name runs.
func (d *Daemon) AddGroup(ctx context.Context, g *conf.Group) error {
	d.mu.Lock() // one change at a time, so the list follows the tree
	defer d.mu.Unlock()
	if _, err := d.ask(ctx, d.root, &addGroup{cfg: g}, askTimeout); err != nil {
		return err
	}
	d.groups = append(slices.Clip(d.groups), g)
	return nil
}

// RemoveGroup removes a group whose processes are all stopped
// (ErrStillRunning otherwise, ErrBadName when there is none).
func (d *Daemon) RemoveGroup(ctx context.Context, name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.ask(ctx, d.root, &removeGroup{name: name}, askTimeout); err != nil {
		return err
	}
	d.groups = slices.DeleteFunc(slices.Clone(d.groups), func(g *conf.Group) bool { return g.Name == name })
	return nil
}

// Process returns the config of group's process name, or ErrBadName.
func (d *Daemon) Process(group, name string) (*conf.Process, error) {
	for _, g := range d.Groups() {
		if g.Name != group {
			continue
		}
		for _, p := range g.Processes {
			if p.Name == name {
				return p, nil
			}
		}
	}
	return nil, ErrBadName
}

func (d *Daemon) processPID(group, name string) (*actor.PID, error) {
	if _, err := d.Process(group, name); err != nil {
		return nil, err
	}
	return d.sys.NewLocalPID(d.root.Id + "/" + group + "/" + name), nil
}

// ask sends msg to pid and waits for its *Result or *ProcessInfo, for ctx or
// timeout, whichever ends first.
func (d *Daemon) ask(ctx context.Context, pid *actor.PID, msg message, timeout time.Duration) (any, error) {
	f := d.request(pid, msg, timeout)
	type answer struct {
		v   any
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		v, err := f.Result()
		ch <- answer{v, err}
	}()
	select {
	case a := <-ch:
		if a.err != nil {
			return nil, fmt.Errorf("%w: %s did not answer: %v", ErrFailed, pid.Id, a.err)
		}
		if r, ok := a.v.(*Result); ok {
			return r, r.Err
		}
		return a.v, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-d.done: // nothing answers any more
		return nil, ErrShuttingDown
	}
}

func (d *Daemon) askProcess(ctx context.Context, group, name string, msg message, timeout time.Duration) (any, error) {
	pid, err := d.processPID(group, name)
	if err != nil {
		return nil, err
	}
	return d.ask(ctx, pid, msg, timeout)
}

// Info is a snapshot of one process.
func (d *Daemon) Info(ctx context.Context, group, name string) (ProcessInfo, error) {
	v, err := d.askProcess(ctx, group, name, &getInfo{}, askTimeout)
	if err != nil {
		return ProcessInfo{}, err
	}
	return *v.(*ProcessInfo), nil
}

// StartProcess starts a process that is not running. It fails with
// ErrNoFile or ErrNotExecutable when the command cannot run, ErrAlreadyStarted,
// or ErrSpawn when the spawn fails at once. Use AwaitStarted to wait for
// RUNNING.
func (d *Daemon) StartProcess(ctx context.Context, group, name string) error {
	_, err := d.askProcess(ctx, group, name, &startProcess{}, askTimeout)
	return err
}

// AwaitStarted waits until a just-started process is RUNNING; ErrSpawn or
// ErrAbnormal when it will not get there.
func (d *Daemon) AwaitStarted(ctx context.Context, group, name string) error {
	_, err := d.askProcess(ctx, group, name, &awaitStarted{}, waitTimeout)
	return err
}

// StopProcess sends the stop signal to a running process (ErrNotRunning
// otherwise). Use AwaitStopped to wait for it to be gone.
func (d *Daemon) StopProcess(ctx context.Context, group, name string) error {
	_, err := d.askProcess(ctx, group, name, &stopProcess{}, askTimeout)
	return err
}

// AwaitStopped waits until the process is in a stopped state.
func (d *Daemon) AwaitStopped(ctx context.Context, group, name string) error {
	_, err := d.askProcess(ctx, group, name, &awaitStopped{}, waitTimeout)
	return err
}

// SignalProcess sends sig to a process that is STARTING, RUNNING or STOPPING.
func (d *Daemon) SignalProcess(ctx context.Context, group, name string, sig syscall.Signal) error {
	_, err := d.askProcess(ctx, group, name, &signalProcess{sig: sig}, askTimeout)
	return err
}

// SendStdin queues data for the process's stdin: ErrNotRunning when it has
// no OS process (or is being stopped), ErrNoFile once its stdin is closed.
func (d *Daemon) SendStdin(ctx context.Context, group, name string, data []byte) error {
	_, err := d.askProcess(ctx, group, name, &writeStdin{data: data}, askTimeout)
	return err
}

// ClearProcessLogs empties the process's stdout and stderr log files.
func (d *Daemon) ClearProcessLogs(ctx context.Context, group, name string) error {
	pid, err := d.processPID(group, name)
	if err != nil {
		return err
	}
	in, err := d.Info(ctx, group, name)
	if err != nil {
		return err
	}
	var errs []error
	for _, stream := range []string{"stdout", "stderr"} {
		path := in.StdoutLogfile
		if stream == "stderr" {
			path = in.StderrLogfile
		}
		if path == "" {
			continue
		}
		logger := d.sys.NewLocalPID(pid.Id + "/" + stream)
		if _, err := d.ask(ctx, logger, &clearLog{}, askTimeout); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Publish puts an event on the bus (sendRemoteCommEvent's
// REMOTE_COMMUNICATION).
func (d *Daemon) Publish(ev events.Event) {
	d.tell(d.sys.NewLocalPID(d.root.Id+"/"+busName), &publish{ev: ev})
}

// StopGroup stops every process of a group and waits until all are in a
// stopped state.
func (d *Daemon) StopGroup(ctx context.Context, name string) error {
	if !slices.ContainsFunc(d.Groups(), func(g *conf.Group) bool { return g.Name == name }) {
		return ErrBadName
	}
	_, err := d.ask(ctx, d.sys.NewLocalPID(d.root.Id+"/"+name), &stopGroup{}, waitTimeout)
	return err
}

// Update applies a new config's groups the way `supervisorctl update`
// does: removed groups are stopped and dropped, changed ones updated with
// UpdateGroup (only their changed processes restart), new ones added (and
// autostarted). Unchanged groups are not touched. It returns the group
// names of each.
func (d *Daemon) Update(ctx context.Context, cfg *conf.Config) (added, changed, removed []string, err error) {
	added, changed, removed = conf.Diff(&conf.Config{Groups: d.Groups()}, cfg)
	byName := map[string]*conf.Group{}
	for _, g := range cfg.Groups {
		byName[g.Name] = g
	}
	var errs []error
	for _, name := range removed {
		if err := d.StopGroup(ctx, name); err != nil {
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
