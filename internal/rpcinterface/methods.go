package rpcinterface

import (
	"context"
	"os"
	"sort"
	"strconv"
	"strings"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/faults"
	"supervisord/internal/fsutil"
	"supervisord/internal/mainlog"
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
		"supervisor.startProcessGroup":    optionalWait(s(h.startProcessGroup, "Start every process of a group.", []string{"array", "string", "boolean"}, "name", "wait")),
		"supervisor.startAllProcesses":    optionalWait(s(h.startAllProcesses, "Start every process.", []string{"array", "boolean"}, "wait")),
		"supervisor.stopProcess":          optionalWait(s(h.stopProcess, "Stop a process (name, group:name or group:*).", []string{"boolean", "string", "boolean"}, "name", "wait")),
		"supervisor.stopProcessGroup":     optionalWait(s(h.stopProcessGroup, "Stop every process of a group.", []string{"array", "string", "boolean"}, "name", "wait")),
		"supervisor.stopAllProcesses":     optionalWait(s(h.stopAllProcesses, "Stop every process.", []string{"array", "boolean"}, "wait")),
		"supervisor.signalProcess":        s(h.signalProcess, "Send a signal (name or number) to a process.", []string{"boolean", "string", "string"}, "name", "signal"),
		"supervisor.signalProcessGroup":   s(h.signalProcessGroup, "Send a signal to every process of a group.", []string{"array", "string", "string"}, "name", "signal"),
		"supervisor.signalAllProcesses":   s(h.signalAllProcesses, "Send a signal to every process.", []string{"array", "string"}, "signal"),
		"supervisor.getAllConfigInfo":     s(h.getAllConfigInfo, "The config of every process.", []string{"array"}),
		"supervisor.getProcessInfo":       s(h.getProcessInfo, "The state of one process.", []string{"struct", "string"}, "name"),
		"supervisor.getAllProcessInfo":    s(h.getAllProcessInfo, "The state of every process.", []string{"array"}),
		"supervisor.readProcessStdoutLog": s(h.readLogOf(actors.Stdout), "Read length bytes of a process's stdout log from offset.", []string{"string", "string", "int", "int"}, "name", "offset", "length"),
		"supervisor.readProcessStderrLog": s(h.readLogOf(actors.Stderr), "Read length bytes of a process's stderr log from offset.", []string{"string", "string", "int", "int"}, "name", "offset", "length"),
		"supervisor.tailProcessStdoutLog": s(h.tailLogOf(actors.Stdout), "Tail a process's stdout log: [bytes, offset, overflow].", []string{"array", "string", "int", "int"}, "name", "offset", "length"),
		"supervisor.tailProcessStderrLog": s(h.tailLogOf(actors.Stderr), "Tail a process's stderr log: [bytes, offset, overflow].", []string{"array", "string", "int", "int"}, "name", "offset", "length"),
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

// lookup resolves a namespec against what runs: BAD_NAME naming spec when
// it names nothing.
func (h *Handler) lookup(ctx context.Context, spec string) (actors.Target, error) {
	t, err := h.opts.Tree.Resolve(ctx, spec)
	if err != nil {
		return t, asFault(err, spec)
	}
	return t, nil
}

// lookupProcess is lookup for methods that need one process.
func (h *Handler) lookupProcess(ctx context.Context, params []any) (*conf.Process, string, error) {
	spec, ok := str(params[0])
	if !ok {
		return nil, "", internal("a process name must be a string, not %T", params[0])
	}
	t, err := h.lookup(ctx, spec)
	if err != nil {
		return nil, spec, err
	}
	if t.Process == nil {
		return nil, spec, fault(xmlrpc.FaultBadName, spec)
	}
	return t.Process, spec, nil
}

func (h *Handler) getAPIVersion(context.Context, []any) (any, error) { return apiVersion, nil }

func (h *Handler) getSupervisorVersion(context.Context, []any) (any, error) { return Version, nil }

func (h *Handler) getIdentification(context.Context, []any) (any, error) {
	return h.opts.Config.Supervisord.Identifier, nil
}

func (h *Handler) getState(context.Context, []any) (any, error) {
	code, name := h.State()
	return xmlrpc.Struct{{Name: "statecode", Value: code}, {Name: "statename", Value: name}}, nil
}

func (h *Handler) getPID(context.Context, []any) (any, error) { return h.opts.PID, nil }

func (h *Handler) mainLogPath() string { return mainlog.FilePath(h.opts.Config.Supervisord.Logfile) }

func (h *Handler) readLog(_ context.Context, params []any) (any, error) {
	return readWith("", params[0], params[1], func(off, n int64) ([]byte, error) {
		return actors.ReadFile(h.mainLogPath(), off, n)
	})
}

// readWith reads offset and length and runs read with them, wording its
// failures as the reference's readLog and readProcess*Log do.
func readWith(spec string, offset, length any, read func(off, n int64) ([]byte, error)) (any, error) {
	off, err := integer(offset)
	if err != nil {
		return nil, err
	}
	n, err := integer(length)
	if err != nil {
		return nil, err
	}
	data, err := read(off, n)
	if err != nil {
		return nil, faults.OfRead(err, spec)
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
	h.Shutdown()
	return true, nil
}

func (h *Handler) restart(context.Context, []any) (any, error) {
	h.Restart()
	return true, nil
}

func (h *Handler) startProcess(ctx context.Context, params []any) (any, error) {
	return h.one(ctx, params, h.opts.Tree.Start, h.startProcessGroup)
}

func (h *Handler) stopProcess(ctx context.Context, params []any) (any, error) {
	return h.one(ctx, params, h.opts.Tree.Stop, h.stopProcessGroup)
}

// one starts or stops the process params[0] names, waiting if params[1]
// (default true) says so; "group:*" goes to the group method.
func (h *Handler) one(ctx context.Context, params []any, act func(ctx context.Context, group, name string, wait bool) error,
	group func(context.Context, []any) (any, error)) (any, error) {
	spec, _ := str(params[0])
	t, err := h.lookup(ctx, spec)
	if err != nil {
		return nil, err
	}
	wait := waitParam(params, 1)
	if t.Process == nil {
		return group(ctx, []any{t.Group.Name, wait})
	}
	if err := act(ctx, t.Process.Group, t.Process.Name, wait); err != nil {
		return nil, asFault(err, spec)
	}
	return true, nil
}

// results is a several-process call's answer: a struct per process, with
// its fault code and text.
func results(outs []actors.Outcome, err error, name string) (any, error) {
	if err != nil {
		return nil, asFault(err, name)
	}
	list := make([]xmlrpc.Struct, len(outs))
	for i, o := range outs {
		code, text := xmlrpc.FaultSuccess, "OK"
		if o.Err != nil {
			f := asFault(o.Err, conf.Namespec(o.Group, o.Name))
			code, text = f.Code, f.Text
		}
		list[i] = xmlrpc.Struct{{Name: "name", Value: o.Name}, {Name: "group", Value: o.Group},
			{Name: "status", Value: code}, {Name: "description", Value: text}}
	}
	return list, nil
}

func (h *Handler) startProcessGroup(ctx context.Context, params []any) (any, error) {
	name, _ := str(params[0])
	outs, err := h.opts.Tree.StartGroup(ctx, name, waitParam(params, 1))
	return results(outs, err, name)
}

func (h *Handler) stopProcessGroup(ctx context.Context, params []any) (any, error) {
	name, _ := str(params[0])
	outs, err := h.opts.Tree.StopGroup(ctx, name, waitParam(params, 1))
	return results(outs, err, name)
}

func (h *Handler) startAllProcesses(ctx context.Context, params []any) (any, error) {
	outs, err := h.opts.Tree.StartAll(ctx, waitParam(params, 0))
	return results(outs, err, "")
}

func (h *Handler) stopAllProcesses(ctx context.Context, params []any) (any, error) {
	outs, err := h.opts.Tree.StopAll(ctx, waitParam(params, 0))
	return results(outs, err, "")
}

// signalName is a signal parameter as the tree takes it: a name or a
// number, written out.
func signalName(v any) string {
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x)
	case string:
		return x
	}
	return pyStr(v)
}

func (h *Handler) signalProcess(ctx context.Context, params []any) (any, error) {
	spec, _ := str(params[0])
	t, err := h.lookup(ctx, spec)
	if err != nil {
		return nil, err
	}
	if t.Process == nil {
		return h.signalProcessGroup(ctx, []any{t.Group.Name, params[1]})
	}
	if err := h.opts.Tree.Signal(ctx, t.Process.Group, t.Process.Name, signalName(params[1])); err != nil {
		return nil, asFault(err, spec)
	}
	return true, nil
}

func (h *Handler) signalProcessGroup(ctx context.Context, params []any) (any, error) {
	name, _ := str(params[0])
	outs, err := h.opts.Tree.SignalGroup(ctx, name, signalName(params[1]))
	return results(outs, err, name)
}

func (h *Handler) signalAllProcesses(ctx context.Context, params []any) (any, error) {
	outs, err := h.opts.Tree.SignalAll(ctx, signalName(params[0]))
	return results(outs, err, "")
}

func (h *Handler) getProcessInfo(ctx context.Context, params []any) (any, error) {
	p, spec, err := h.lookupProcess(ctx, params)
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
	infos, err := h.opts.Tree.Status(ctx)
	if err != nil {
		return nil, asFault(err, "")
	}
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

func (h *Handler) readLogOf(stream actors.Stream) func(context.Context, []any) (any, error) {
	return func(ctx context.Context, params []any) (any, error) {
		p, spec, err := h.lookupProcess(ctx, params)
		if err != nil {
			return nil, err
		}
		return readWith(spec, params[1], params[2], func(off, n int64) ([]byte, error) {
			return h.opts.Tree.ReadLog(ctx, p.Group, p.Name, stream, off, n)
		})
	}
}

func (h *Handler) tailLogOf(stream actors.Stream) func(context.Context, []any) (any, error) {
	return func(ctx context.Context, params []any) (any, error) {
		p, spec, err := h.lookupProcess(ctx, params)
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
		data, next, overflow, err := h.opts.Tree.TailLog(ctx, p.Group, p.Name, stream, off, n)
		if err != nil {
			return nil, asFault(err, spec)
		}
		return []any{string(data), int(next), overflow}, nil
	}
}

func (h *Handler) clearProcessLogs(ctx context.Context, params []any) (any, error) {
	p, spec, err := h.lookupProcess(ctx, params)
	if err != nil {
		return nil, err
	}
	if err := h.opts.Tree.ClearLogs(ctx, p.Group, p.Name); err != nil {
		return nil, fault(xmlrpc.FaultFailed, spec)
	}
	return true, nil
}

func (h *Handler) clearAllProcessLogs(ctx context.Context, _ []any) (any, error) {
	outs, err := h.opts.Tree.ClearAllLogs(ctx)
	return results(outs, err, "")
}

func (h *Handler) sendProcessStdin(ctx context.Context, params []any) (any, error) {
	chars, ok := str(params[1])
	if !ok {
		return nil, fault(xmlrpc.FaultIncorrectParameters, pyStr(params[1]))
	}
	p, spec, err := h.lookupProcess(ctx, params)
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
