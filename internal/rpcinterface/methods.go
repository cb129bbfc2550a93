package rpcinterface

import (
	"context"
	"errors"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/fsutil"
	"supervisord/internal/logfile"
	"supervisord/protocol/events"
	"supervisord/protocol/xmlrpc"
)

// Version is what getSupervisorVersion reports: the reference release
// whose behaviour this daemon matches, so clients that check it keep working.
const Version = "4.2.5"

// apiVersion is the reference's XML-RPC API version.
const apiVersion = "3.0"

type method struct {
	fn func(ctx context.Context, params []any) (any, error)
	// sig is the return type then the parameter types, as methodSignature
	// reports them; required is how many parameters must be given.
	sig      []string
	required int
	names    []string // parameter names, for methodHelp
	help     string
	guarded  bool // fails with SHUTDOWN_STATE once the daemon is stopping
	unlisted bool // one of ours, not in listMethods (extensions.go)
}

func (h *Handler) table() map[string]method {
	s := func(fn func(context.Context, []any) (any, error), help string, sig []string, names ...string) method {
		return method{fn: fn, sig: sig, required: len(sig) - 1, names: names, help: help, guarded: true}
	}
	optionalWait := func(m method) method { m.required--; return m }
	m := map[string]method{
		"supervisor.getAPIVersion":        s(h.getAPIVersion, "Version of the XML-RPC API.", []string{"string"}),
		"supervisor.getSupervisorVersion": s(h.getSupervisorVersion, "Version of the supervisor the daemon matches.", []string{"string"}),
		"supervisor.getIdentification":    s(h.getIdentification, "The identifier option of [supervisord].", []string{"string"}),
		"supervisor.getState":             s(h.getState, "The daemon's state as {statecode, statename}.", []string{"struct"}),
		"supervisor.getPID":               s(h.getPID, "The daemon's process id.", []string{"int"}),
		"supervisor.readLog":              s(h.readLog, "Read length bytes of the main log from offset.", []string{"string", "int", "int"}, "offset", "length"),
		"supervisor.clearLog":             s(h.clearLog, "Empty the main log.", []string{"boolean"}),
		"supervisor.shutdown":             s(h.shutdown, "Stop every process and exit.", []string{"boolean"}),
		"supervisor.restart":              s(h.restart, "Stop every process and start again on the config file.", []string{"boolean"}),
		"supervisor.reloadConfig":         s(h.reloadConfig, "Read the config file again and report [[added, changed, removed]] groups.", []string{"array"}),
		"supervisor.addProcessGroup":      s(h.addProcessGroup, "Start a group the last reloadConfig found.", []string{"boolean", "string"}, "name"),
		"supervisor.removeProcessGroup":   s(h.removeProcessGroup, "Remove a stopped group.", []string{"boolean", "string"}, "name"),
		"supervisor.startProcess":         optionalWait(s(h.startProcess, "Start a process (name, group:name or group:*).", []string{"boolean", "string", "boolean"}, "name", "wait")),
		"supervisor.startProcessGroup":    optionalWait(s(h.inGroup(notRunning, h.startOne), "Start every process of a group.", []string{"array", "string", "boolean"}, "name", "wait")),
		"supervisor.startAllProcesses":    optionalWait(s(h.inAll(notRunning, h.startOne), "Start every process.", []string{"array", "boolean"}, "wait")),
		"supervisor.stopProcess":          optionalWait(s(h.stopProcess, "Stop a process (name, group:name or group:*).", []string{"boolean", "string", "boolean"}, "name", "wait")),
		"supervisor.stopProcessGroup":     optionalWait(s(h.inGroup(running, h.stopOne), "Stop every process of a group.", []string{"array", "string", "boolean"}, "name", "wait")),
		"supervisor.stopAllProcesses":     optionalWait(s(h.inAll(running, h.stopOne), "Stop every process.", []string{"array", "boolean"}, "wait")),
		"supervisor.signalProcess":        s(h.signalProcess, "Send a signal (name or number) to a process.", []string{"boolean", "string", "string"}, "name", "signal"),
		"supervisor.signalProcessGroup":   s(h.signalProcessGroup, "Send a signal to every process of a group.", []string{"array", "string", "string"}, "name", "signal"),
		"supervisor.signalAllProcesses":   s(h.signalAllProcesses, "Send a signal to every process.", []string{"array", "string"}, "signal"),
		"supervisor.getAllConfigInfo":     s(h.getAllConfigInfo, "The config of every process.", []string{"array"}),
		"supervisor.getProcessInfo":       s(h.getProcessInfo, "The state of one process.", []string{"struct", "string"}, "name"),
		"supervisor.getAllProcessInfo":    s(h.getAllProcessInfo, "The state of every process.", []string{"array"}),
		"supervisor.readProcessStdoutLog": s(h.readLogOf("stdout"), "Read length bytes of a process's stdout log from offset.", []string{"string", "string", "int", "int"}, "name", "offset", "length"),
		"supervisor.readProcessStderrLog": s(h.readLogOf("stderr"), "Read length bytes of a process's stderr log from offset.", []string{"string", "string", "int", "int"}, "name", "offset", "length"),
		"supervisor.tailProcessStdoutLog": s(h.tailLogOf("stdout"), "Tail a process's stdout log: [bytes, offset, overflow].", []string{"array", "string", "int", "int"}, "name", "offset", "length"),
		"supervisor.tailProcessStderrLog": s(h.tailLogOf("stderr"), "Tail a process's stderr log: [bytes, offset, overflow].", []string{"array", "string", "int", "int"}, "name", "offset", "length"),
		"supervisor.clearProcessLogs":     s(h.clearProcessLogs, "Empty a process's logs.", []string{"boolean", "string"}, "name"),
		"supervisor.clearAllProcessLogs":  s(h.clearAllProcessLogs, "Empty every process's logs.", []string{"array"}),
		"supervisor.sendProcessStdin":     s(h.sendProcessStdin, "Write chars to a process's stdin.", []string{"boolean", "string", "string"}, "name", "chars"),
		"supervisor.sendRemoteCommEvent":  s(h.sendRemoteCommEvent, "Emit a REMOTE_COMMUNICATION event.", []string{"boolean", "string", "string"}, "type", "data"),
		"system.listMethods":              s(h.listMethods, "Every method's name.", []string{"array"}),
		"system.methodHelp":               s(h.methodHelp, "A method's documentation.", []string{"string", "string"}, "name"),
		"system.methodSignature":          s(h.methodSignature, "A method's [return type, parameter types...].", []string{"array", "string"}, "name"),
		"system.multicall":                s(h.multicall, "Run an array of {methodName, params} calls.", []string{"array", "array"}, "calls"),
	}
	// The reference's aliases, kept for old clients.
	for alias, of := range map[string]string{
		"supervisor.getVersion":      "supervisor.getAPIVersion",
		"supervisor.readMainLog":     "supervisor.readLog",
		"supervisor.readProcessLog":  "supervisor.readProcessStdoutLog",
		"supervisor.tailProcessLog":  "supervisor.tailProcessStdoutLog",
		"supervisor.clearProcessLog": "supervisor.clearProcessLogs",
	} {
		m[alias] = m[of]
	}
	h.extensions(m)
	for name, me := range m {
		if strings.HasPrefix(name, "system.") || name == "supervisor.sendRemoteCommEvent" {
			me.guarded = false
			m[name] = me
		}
	}
	return m
}

// Parameter readers: the reference converts loosely (int("12") works), so
// these do too.

func str(v any) (string, bool) {
	switch s := v.(type) {
	case string:
		return s, true
	case []byte:
		return string(s), true
	}
	return "", false
}

func integer(v any) (int64, error) {
	switch n := v.(type) {
	case int:
		return int64(n), nil
	case bool:
		if n {
			return 1, nil
		}
		return 0, nil
	case float64:
		return int64(n), nil
	case string:
		var x int64
		var neg bool
		t := strings.TrimSpace(n)
		if strings.HasPrefix(t, "-") {
			neg, t = true, t[1:]
		}
		if t == "" {
			return 0, internal("invalid literal for int() with base 10: %s", conf.PyRepr(n))
		}
		for _, c := range t {
			if c < '0' || c > '9' {
				return 0, internal("invalid literal for int() with base 10: %s", conf.PyRepr(n))
			}
			x = x*10 + int64(c-'0')
		}
		if neg {
			x = -x
		}
		return x, nil
	}
	return 0, internal("int() argument must be a string or a number, not %T", v)
}

// truthy is Python's truth of an XML-RPC value.
func truthy(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case int:
		return b != 0
	case string:
		return b != ""
	case nil:
		return false
	}
	return true
}

func waitParam(params []any, i int) bool {
	if len(params) > i {
		return truthy(params[i])
	}
	return true
}

// splitNamespec reads "name", "group:name" or "group:*" (process "").
func splitNamespec(spec string) (group, process string) {
	if g, p, ok := strings.Cut(spec, ":"); ok {
		if p == "*" {
			p = ""
		}
		return g, p
	}
	return spec, spec
}

func namespec(group, process string) string {
	if group == process {
		return process
	}
	return group + ":" + process
}

func (h *Handler) group(name string) *conf.Group {
	for _, g := range h.opts.Tree.Groups() {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// lookup resolves a namespec to its group and process; process is nil for
// "group:*".
func (h *Handler) lookup(spec string) (*conf.Group, *conf.Process, error) {
	gname, pname := splitNamespec(spec)
	g := h.group(gname)
	if g == nil {
		return nil, nil, fault(xmlrpc.FaultBadName, spec)
	}
	if pname == "" {
		return g, nil, nil
	}
	for _, p := range g.Processes {
		if p.Name == pname {
			return g, p, nil
		}
	}
	return nil, nil, fault(xmlrpc.FaultBadName, spec)
}

// lookupProcess is lookup for methods that need one process.
func (h *Handler) lookupProcess(params []any) (*conf.Process, string, error) {
	spec, ok := str(params[0])
	if !ok {
		return nil, "", internal("a process name must be a string, not %T", params[0])
	}
	_, p, err := h.lookup(spec)
	if err != nil {
		return nil, spec, err
	}
	if p == nil {
		return nil, spec, fault(xmlrpc.FaultBadName, spec)
	}
	return p, spec, nil
}

func (h *Handler) getAPIVersion(context.Context, []any) (any, error) { return apiVersion, nil }

func (h *Handler) getSupervisorVersion(context.Context, []any) (any, error) { return Version, nil }

func (h *Handler) getIdentification(context.Context, []any) (any, error) {
	return h.opts.Config.Supervisord.Identifier, nil
}

func (h *Handler) getState(context.Context, []any) (any, error) {
	s := int(h.state.Load())
	return xmlrpc.Struct{{Name: "statecode", Value: s}, {Name: "statename", Value: stateNames[s]}}, nil
}

func (h *Handler) getPID(context.Context, []any) (any, error) { return h.opts.PID, nil }

func (h *Handler) mainLogPath() string {
	p := h.opts.Config.Supervisord.Logfile
	if p == "syslog" {
		return ""
	}
	return p
}

func (h *Handler) readLog(_ context.Context, params []any) (any, error) {
	path := h.mainLogPath()
	if _, err := os.Stat(path); path == "" || err != nil {
		return nil, noFile(path)
	}
	return readFile(path, params[0], params[1])
}

// readFile is readLog and readProcess*Log once the file is known.
func readFile(path string, offset, length any) (any, error) {
	off, err := integer(offset)
	if err != nil {
		return nil, err
	}
	n, err := integer(length)
	if err != nil {
		return nil, err
	}
	data, err := logfile.Read(path, off, n)
	switch {
	case errors.Is(err, logfile.ErrBadArguments):
		return nil, fault(xmlrpc.FaultBadArguments)
	case err != nil:
		return nil, fault(xmlrpc.FaultFailed)
	}
	return string(data), nil
}

func (h *Handler) clearLog(context.Context, []any) (any, error) {
	path := h.mainLogPath()
	if _, err := os.Stat(path); path == "" || err != nil {
		return nil, fault(xmlrpc.FaultNoFile)
	}
	if err := fsutil.Unlink(path); err != nil { // a directory too is FAILED, as with the reference
		return nil, fault(xmlrpc.FaultFailed)
	}
	if h.opts.ReopenMainLog != nil {
		h.opts.Log.Info("reopening log file")
		if err := h.opts.ReopenMainLog(); err != nil {
			return nil, fault(xmlrpc.FaultFailed, err.Error())
		}
	}
	return true, nil
}

func (h *Handler) shutdown(context.Context, []any) (any, error) {
	h.SetState(StateShutdown)
	h.opts.Shutdown()
	return true, nil
}

func (h *Handler) restart(context.Context, []any) (any, error) {
	h.SetState(StateRestarting)
	h.opts.Restart()
	return true, nil
}

func (h *Handler) startProcess(ctx context.Context, params []any) (any, error) {
	return h.one(ctx, params, h.startOne, h.inGroup(notRunning, h.startOne))
}

func (h *Handler) stopProcess(ctx context.Context, params []any) (any, error) {
	return h.one(ctx, params, h.stopOne, h.inGroup(running, h.stopOne))
}

// one starts or stops the process params[0] names, waiting if params[1]
// (default true) says so; "group:*" goes to the group method.
func (h *Handler) one(ctx context.Context, params []any, act func(wait bool) step,
	group func(context.Context, []any) (any, error)) (any, error) {
	spec, _ := str(params[0])
	g, p, err := h.lookup(spec)
	if err != nil {
		return nil, err
	}
	wait := waitParam(params, 1)
	if p == nil {
		return group(ctx, []any{g.Name, wait})
	}
	w, err := act(wait)(ctx, p)
	if err == nil && w != nil {
		err = w()
	}
	if err != nil {
		return nil, asFault(err, spec)
	}
	return true, nil
}

// byPriority is a group's processes in the order the reference acts on
// them: priority, then name.
func byPriority(ps []*conf.Process) []*conf.Process {
	out := append([]*conf.Process(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority < out[j].Priority
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// allProcesses is every process, groups by priority then name, each
// group's processes by priority.
func (h *Handler) allProcesses() []*conf.Process {
	groups := append([]*conf.Group(nil), h.opts.Tree.Groups()...)
	sort.SliceStable(groups, func(i, j int) bool {
		if groups[i].Priority != groups[j].Priority {
			return groups[i].Priority < groups[j].Priority
		}
		return groups[i].Name < groups[j].Name
	})
	var out []*conf.Process
	for _, g := range groups {
		out = append(out, byPriority(g.Processes)...)
	}
	return out
}

func (h *Handler) groupParam(params []any) (*conf.Group, error) {
	name, _ := str(params[0])
	g := h.group(name)
	if g == nil {
		return nil, fault(xmlrpc.FaultBadName, name)
	}
	return g, nil
}

// inGroup is a *ProcessGroup method: act on the group params[0] names,
// waiting if params[1] (default true) says so.
func (h *Handler) inGroup(pred func(actors.State) bool, act func(wait bool) step) func(context.Context, []any) (any, error) {
	return func(ctx context.Context, params []any) (any, error) {
		g, err := h.groupParam(params)
		if err != nil {
			return nil, err
		}
		return h.forEach(ctx, byPriority(g.Processes), pred, act(waitParam(params, 1))), nil
	}
}

// inAll is an *AllProcesses method, waiting if params[0] (default true) says so.
func (h *Handler) inAll(pred func(actors.State) bool, act func(wait bool) step) func(context.Context, []any) (any, error) {
	return func(ctx context.Context, params []any) (any, error) {
		return h.forEach(ctx, h.allProcesses(), pred, act(waitParam(params, 0))), nil
	}
}

func notRunning(s actors.State) bool { return !s.IsRunning() }
func running(s actors.State) bool    { return s.IsRunning() }
func signallable(s actors.State) bool {
	return s == actors.Running || s == actors.Starting || s == actors.Stopping
}

// step acts on one process and returns, when there is more to wait for, a
// function that waits for it.
type step func(ctx context.Context, p *conf.Process) (wait func() error, err error)

func (h *Handler) startOne(wait bool) step {
	return func(ctx context.Context, p *conf.Process) (func() error, error) {
		if err := h.opts.Tree.StartProcess(ctx, p.Group, p.Name); err != nil || !wait {
			return nil, err
		}
		return func() error { return h.opts.Tree.AwaitStarted(ctx, p.Group, p.Name) }, nil
	}
}

func (h *Handler) stopOne(wait bool) step {
	return func(ctx context.Context, p *conf.Process) (func() error, error) {
		if err := h.opts.Tree.StopProcess(ctx, p.Group, p.Name); err != nil || !wait {
			return nil, err
		}
		return func() error { return h.opts.Tree.AwaitStopped(ctx, p.Group, p.Name) }, nil
	}
}

// round is how long forEach gathers waits that finish together. The
// reference polls its waits once per pass of its main loop and reports
// those finished in one pass in process order; processes that reach a state
// within a few milliseconds of each other are reported the same way here.
const round = 20 * time.Millisecond

// forEach runs act on every process whose state passes the predicate, one
// after another, then waits for all of them at once. Results come as the
// reference orders them: those settled at once first, then the waited ones
// as they finish, those finishing together (within a round) in process
// order.
func (h *Handler) forEach(ctx context.Context, ps []*conf.Process, pred func(actors.State) bool, act step) []xmlrpc.Struct {
	results := []xmlrpc.Struct{}
	type waited struct {
		i   int // in ps
		p   *conf.Process
		err error
	}
	done := make(chan waited)
	pending := 0
	for i, p := range ps {
		in, err := h.opts.Tree.Info(ctx, p.Group, p.Name)
		if err != nil || !pred(in.State) {
			continue
		}
		wait, err := act(ctx, p)
		if err != nil || wait == nil {
			results = append(results, statusOf(p, err))
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
			results = append(results, statusOf(w.p, w.err))
		}
	}
	return results
}

// statusOf is one entry of a group call's result.
func statusOf(p *conf.Process, err error) xmlrpc.Struct {
	code, text := xmlrpc.FaultSuccess, "OK"
	if err != nil {
		f := asFault(err, namespec(p.Group, p.Name))
		code, text = f.Code, f.Text
	}
	return xmlrpc.Struct{{Name: "name", Value: p.Name}, {Name: "group", Value: p.Group},
		{Name: "status", Value: code}, {Name: "description", Value: text}}
}

func (h *Handler) signalProcess(ctx context.Context, params []any) (any, error) {
	spec, _ := str(params[0])
	g, p, err := h.lookup(spec)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return h.signalProcessGroup(ctx, []any{g.Name, params[1]})
	}
	sig, err := signalParam(params[1])
	if err != nil {
		return nil, err
	}
	if err := h.opts.Tree.SignalProcess(ctx, p.Group, p.Name, sig); err != nil {
		return nil, asFault(err, spec)
	}
	return true, nil
}

func signalParam(v any) (syscall.Signal, error) {
	var s string
	switch x := v.(type) {
	case int:
		s = strconv.Itoa(x)
	case string:
		s = x
	default:
		return 0, fault(xmlrpc.FaultBadSignal, pyStr(v))
	}
	n, perr := conf.ParseSignal(s)
	if perr != nil {
		return 0, fault(xmlrpc.FaultBadSignal, s)
	}
	return n, nil
}

func (h *Handler) signalEach(ctx context.Context, ps []*conf.Process, sigv any) []xmlrpc.Struct {
	return h.forEach(ctx, ps, signallable, func(ctx context.Context, p *conf.Process) (func() error, error) {
		sig, err := signalParam(sigv)
		if err != nil {
			return nil, err
		}
		return nil, h.opts.Tree.SignalProcess(ctx, p.Group, p.Name, sig)
	})
}

func (h *Handler) signalProcessGroup(ctx context.Context, params []any) (any, error) {
	g, err := h.groupParam(params)
	if err != nil {
		return nil, err
	}
	return h.signalEach(ctx, byPriority(g.Processes), params[1]), nil
}

func (h *Handler) signalAllProcesses(ctx context.Context, params []any) (any, error) {
	return h.signalEach(ctx, h.allProcesses(), params[0]), nil
}

func (h *Handler) getProcessInfo(ctx context.Context, params []any) (any, error) {
	p, spec, err := h.lookupProcess(params)
	if err != nil {
		return nil, err
	}
	in, err := h.opts.Tree.Info(ctx, p.Group, p.Name)
	if err != nil {
		return nil, asFault(err, spec)
	}
	return infoStruct(in), nil
}

func (h *Handler) getAllProcessInfo(ctx context.Context, _ []any) (any, error) {
	infos := h.opts.Tree.ProcessInfo(askTimeout)
	sort.SliceStable(infos, func(i, j int) bool {
		if infos[i].Group != infos[j].Group {
			return infos[i].Group < infos[j].Group
		}
		return infos[i].Name < infos[j].Name
	})
	out := make([]xmlrpc.Struct, len(infos))
	for i, in := range infos {
		out[i] = infoStruct(in)
	}
	return out, nil
}

const askTimeout = 10 * time.Second

// logPath is the stdout or stderr log file of the process params[0] names,
// "" when it has none.
func (h *Handler) logPath(ctx context.Context, params []any, stream string) (string, error) {
	p, spec, err := h.lookupProcess(params)
	if err != nil {
		return "", err
	}
	in, err := h.opts.Tree.Info(ctx, p.Group, p.Name)
	if err != nil {
		return "", asFault(err, spec)
	}
	if stream == "stderr" {
		return in.StderrLogfile, nil
	}
	return in.StdoutLogfile, nil
}

func (h *Handler) readLogOf(stream string) func(context.Context, []any) (any, error) {
	return func(ctx context.Context, params []any) (any, error) {
		path, err := h.logPath(ctx, params, stream)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(path); path == "" || err != nil {
			return nil, noFile(path)
		}
		return readFile(path, params[1], params[2])
	}
}

func (h *Handler) tailLogOf(stream string) func(context.Context, []any) (any, error) {
	return func(ctx context.Context, params []any) (any, error) {
		path, err := h.logPath(ctx, params, stream)
		if err != nil {
			return nil, err
		}
		off, err := integer(params[1])
		if err != nil {
			return nil, err
		}
		n, err := integer(params[2])
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(path); path == "" || err != nil {
			return []any{"", 0, false}, nil
		}
		data, newOff, overflow, err := logfile.Tail(path, off, n)
		if err != nil {
			return []any{"", int(off), false}, nil
		}
		return []any{string(data), int(newOff), overflow}, nil
	}
}

func (h *Handler) clearProcessLogs(ctx context.Context, params []any) (any, error) {
	p, spec, err := h.lookupProcess(params)
	if err != nil {
		return nil, err
	}
	if err := h.opts.Tree.ClearProcessLogs(ctx, p.Group, p.Name); err != nil {
		return nil, fault(xmlrpc.FaultFailed, spec)
	}
	return true, nil
}

func (h *Handler) clearAllProcessLogs(ctx context.Context, _ []any) (any, error) {
	return h.forEach(ctx, h.allProcesses(), func(actors.State) bool { return true },
		func(ctx context.Context, p *conf.Process) (func() error, error) {
			if err := h.opts.Tree.ClearProcessLogs(ctx, p.Group, p.Name); err != nil {
				return nil, fault(xmlrpc.FaultFailed, namespec(p.Group, p.Name))
			}
			return nil, nil
		}), nil
}

func (h *Handler) sendProcessStdin(ctx context.Context, params []any) (any, error) {
	chars, ok := str(params[1])
	if !ok {
		return nil, fault(xmlrpc.FaultIncorrectParameters, pyStr(params[1]))
	}
	p, spec, err := h.lookupProcess(params)
	if err != nil {
		return nil, err
	}
	if err := h.opts.Tree.SendStdin(ctx, p.Group, p.Name, []byte(chars)); err != nil {
		return nil, asFault(err, spec)
	}
	return true, nil
}

// sendRemoteCommEvent emits REMOTE_COMMUNICATION for listeners.
func (h *Handler) sendRemoteCommEvent(_ context.Context, params []any) (any, error) {
	typ, _ := str(params[0])
	data, _ := str(params[1])
	h.opts.Tree.Publish(events.RemoteCommunication{Type: typ, Data: data})
	return true, nil
}

func (h *Handler) listMethods(context.Context, []any) (any, error) {
	names := make([]string, 0, len(h.methods))
	for n, m := range h.methods {
		if !m.unlisted {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

func (h *Handler) methodHelp(_ context.Context, params []any) (any, error) {
	name, _ := str(params[0])
	m, ok := h.methods[name]
	if !ok {
		return nil, fault(xmlrpc.FaultSignatureUnsupported)
	}
	var b strings.Builder
	b.WriteString(m.help + "\n")
	for i, n := range m.names {
		b.WriteString("\n@param " + m.sig[i+1] + " " + n)
	}
	b.WriteString("\n@return " + m.sig[0] + " result\n")
	return b.String(), nil
}

func (h *Handler) methodSignature(_ context.Context, params []any) (any, error) {
	name, _ := str(params[0])
	m, ok := h.methods[name]
	if !ok {
		return nil, fault(xmlrpc.FaultSignatureUnsupported)
	}
	return append([]string(nil), m.sig...), nil
}

func (h *Handler) multicall(ctx context.Context, params []any) (any, error) {
	calls, ok := params[0].([]any)
	if !ok {
		return nil, internal("calls must be an array, not %T", params[0])
	}
	results := make([]any, 0, len(calls))
	for _, c := range calls {
		call, _ := c.(map[string]any)
		name, _ := call["methodName"].(string)
		args, _ := call["params"].([]any)
		var v any
		var err error
		switch {
		case name == "":
			err = fault(xmlrpc.FaultIncorrectParameters, "No methodName")
		case name == "system.multicall":
			err = fault(xmlrpc.FaultIncorrectParameters, "Recursive system.multicall forbidden")
		default:
			v, err = h.Call(ctx, name, args)
		}
		if err != nil {
			f := asFault(err, "")
			results = append(results, xmlrpc.Struct{{Name: "faultCode", Value: f.Code}, {Name: "faultString", Value: f.Text}})
			continue
		}
		results = append(results, v) // bare, as the reference sends them
	}
	return results, nil
}
