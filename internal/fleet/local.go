package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"supervisord/actors"
	"supervisord/internal/faults"
	"supervisord/internal/logfile"
	"supervisord/protocol/events"
	"supervisord/protocol/xmlrpc"
)

// Local is what a node's agent asks of its own daemon; DaemonLocal is the
// real one, a simulation fakes it.
type Local interface {
	// Status is the processes the names pick (all for none), in start order.
	Status(ctx context.Context, names []string) ([]Process, error)
	// Act does a to the named processes, waiting as supervisorctl does.
	Act(ctx context.Context, a Action, names []string) ([]Result, error)
	// Events calls emit with each event of types (names; none for all)
	// from now on, until cancel.
	Events(types []string, emit func(Line)) (cancel func(), err error)
	// Tail calls emit with each line the named process writes to stream
	// ("stdout", "stderr"), or the main log for name "", from now on,
	// until cancel.
	Tail(name, stream string, emit func(Line)) (cancel func(), err error)
}

// DaemonLocal is a node's own tree, with the path of its main log.
type DaemonLocal struct {
	Tree    *actors.Daemon
	MainLog string // "" when the main log is not a file
}

// Status: the processes the names pick, each name as supervisorctl's status
// takes it; a name this node does not have picks nothing.
func (l DaemonLocal) Status(ctx context.Context, names []string) ([]Process, error) {
	infos, err := l.Tree.Status(ctx)
	if err != nil {
		return nil, err
	}
	var out []Process
	for _, in := range infos {
		if len(names) == 0 || slices.ContainsFunc(names, func(n string) bool { return specMatches(n, in.Group, in.Name) }) {
			out = append(out, processOf(in))
		}
	}
	return out, nil
}

// specMatches reports whether a process spec ("name", "group:name",
// "group:*", "group:") names the process, as supervisorctl reads it.
func specMatches(spec, group, name string) bool {
	g, n, found := strings.Cut(spec, ":")
	if !found {
		return g == name && (group == name || group == g)
	}
	return g == group && (n == "*" || n == "" || n == name)
}

func processOf(in actors.ProcessInfo) Process {
	p := Process{Group: in.Group, Name: in.Name, State: int(in.State), StateName: in.State.String(),
		Description: in.Description(), PID: in.PID, ExitStatus: in.ExitStatus, SpawnErr: in.SpawnErr}
	if !in.Start.IsZero() {
		p.Start = in.Start
	}
	if !in.Stop.IsZero() {
		p.Stop = in.Stop
	}
	return p
}

// Act: each name is resolved as the XML-RPC calls resolve it; a group spec
// acts on the group, one result per process, and "all" on every process.
func (l DaemonLocal) Act(ctx context.Context, a Action, names []string) ([]Result, error) {
	var out []Result
	for _, spec := range names {
		if spec == "all" {
			outcomes, err := l.all(ctx, a)
			if err != nil {
				return nil, err
			}
			out = append(out, results(outcomes)...)
			continue
		}
		t, err := l.Tree.Resolve(ctx, spec)
		if err != nil {
			out = append(out, failure("", spec, err))
			continue
		}
		if t.Process == nil {
			outcomes, err := l.group(ctx, a, t.Group.Name)
			if err != nil {
				out = append(out, failure(t.Group.Name, t.Group.Name, err))
				continue
			}
			out = append(out, results(outcomes)...)
			continue
		}
		g, n := t.Process.Group, t.Process.Name
		if err := l.one(ctx, a, g, n); err != nil {
			out = append(out, failure(g, n, err))
		} else {
			out = append(out, success(g, n))
		}
	}
	return out, nil
}

// all acts on every process, as supervisorctl's "all" does.
func (l DaemonLocal) all(ctx context.Context, a Action) ([]actors.Outcome, error) {
	switch a.Verb {
	case "start":
		return l.Tree.StartAll(ctx, true)
	case "stop":
		return l.Tree.StopAll(ctx, true)
	case "restart":
		return l.Tree.RestartAll(ctx, true)
	case "signal":
		return l.Tree.SignalAll(ctx, a.Signal)
	}
	return nil, ErrBadVerb
}

func (l DaemonLocal) group(ctx context.Context, a Action, name string) ([]actors.Outcome, error) {
	switch a.Verb {
	case "start":
		return l.Tree.StartGroup(ctx, name, true)
	case "stop":
		return l.Tree.StopGroup(ctx, name, true)
	case "restart":
		return l.Tree.RestartGroup(ctx, name, true)
	case "signal":
		return l.Tree.SignalGroup(ctx, name, a.Signal)
	}
	return nil, ErrBadVerb
}

func (l DaemonLocal) one(ctx context.Context, a Action, group, name string) error {
	switch a.Verb {
	case "start":
		return l.Tree.Start(ctx, group, name, true)
	case "stop":
		return l.Tree.Stop(ctx, group, name, true)
	case "restart":
		return l.Tree.Restart(ctx, group, name, true)
	case "signal":
		return l.Tree.Signal(ctx, group, name, a.Signal)
	}
	return ErrBadVerb
}

// results are the outcomes of a request about several processes.
func results(outcomes []actors.Outcome) []Result {
	out := make([]Result, len(outcomes))
	for i, o := range outcomes {
		if o.Err != nil {
			out[i] = failure(o.Group, o.Name, o.Err)
		} else {
			out[i] = success(o.Group, o.Name)
		}
	}
	return out
}

func success(group, name string) Result {
	return Result{Group: group, Name: name, Code: xmlrpc.FaultSuccess, Description: "OK"}
}

func failure(group, name string, err error) Result {
	f := faults.Of(err, joinName(group, name))
	return Result{Group: group, Name: name, Code: f.Code, Description: f.Text}
}

func joinName(group, name string) string {
	if group == "" || group == name {
		return name
	}
	return group + ":" + name
}

// Events: the tree's bus hands each event to emit, its fields as JSON
// (as the JSON API's events carry them).
func (l DaemonLocal) Events(types []string, emit func(Line)) (func(), error) {
	var ts []events.Type
	for _, name := range types {
		t, ok := events.TypeByName(name)
		if !ok {
			return nil, errors.New("fleet: no event type " + name)
		}
		ts = append(ts, t)
	}
	if len(ts) == 0 {
		ts = []events.Type{events.TypeEvent}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return l.Tree.Subscribe(ctx, ts, func(_ int64, ev events.Event) {
		text, err := json.Marshal(events.Fields(ev))
		if err != nil {
			text = []byte(strconv.Quote(ev.Payload()))
		}
		emit(Line{Event: ev.EventType().String(), Text: string(text)})
	})
}

// Tail follows the log file of a process's stream, or the main log, from
// its end, across rotation.
func (l DaemonLocal) Tail(name, stream string, emit func(Line)) (func(), error) {
	path := l.MainLog
	if name != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		t, err := l.Tree.Resolve(ctx, name)
		if err != nil {
			return nil, err
		}
		if t.Process == nil {
			return nil, errors.New("fleet: " + name + " is a group; tail one process")
		}
		if path, err = l.Tree.LogPath(ctx, t.Process.Group, t.Process.Name, actors.Stream(stream)); err != nil {
			return nil, err
		}
	}
	if path == "" {
		return nil, errors.New("fleet: no log file to follow")
	}
	return followLines(path, emit), nil
}

// followLines emits each whole line appended to the log at path, starting
// with the last tailBytes of it (as supervisorctl's tail -f does), across
// rotation, until the returned cancel.
func followLines(path string, emit func(Line)) func() {
	const tailBytes = 1600
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		fl := logfile.Follow(path, -tailBytes)
		defer fl.Close()
		buf := make([]byte, 64<<10)
		var partial []byte
		first := true
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			for {
				n, _, err := fl.Next(buf)
				if err != nil || n == 0 {
					break
				}
				partial = append(partial, buf[:n]...)
				if first && fl.Offset() > int64(n) {
					// Started inside the file: the first line is cut.
					if i := bytes.IndexByte(partial, '\n'); i >= 0 {
						partial = partial[i+1:]
					}
				}
				first = false
				for {
					i := bytes.IndexByte(partial, '\n')
					if i < 0 {
						break
					}
					emit(Line{Text: string(partial[:i])})
					partial = partial[i+1:]
				}
			}
			select {
			case <-quit:
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(quit); <-done }) }
}
