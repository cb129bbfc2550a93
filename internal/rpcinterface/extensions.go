package rpcinterface

import (
	"context"
	"strings"
	"time"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/protocol/xmlrpc"
)

// Methods of our own, beyond the reference's API. They live in the config.
// namespace and are left out of system.listMethods, so everything the
// reference answers stays byte-for-byte the same; methodHelp and
// methodSignature describe them.
func (h *Handler) extensions(m map[string]method) {
	x := func(fn func(context.Context, []any) (any, error), help string, sig []string, names ...string) method {
		return method{fn: fn, sig: sig, required: len(sig) - 1, names: names, help: help, guarded: true, unlisted: true}
	}
	m["config.getReloadStatus"] = x(h.getReloadStatus,
		"What automatic reload did last: {enabled, files, last_read, error, last_applied, added, changed, removed}; "+
			"error is why the change last read was not applied, empty when it was.", []string{"struct"})
	m["config.updateProcessGroup"] = x(h.updateProcessGroup,
		"Apply the config last read by reloadConfig to a changed group, restarting only its changed processes.",
		[]string{"boolean", "string"}, "name")
	m["supervisor.upgrade"] = x(h.upgrade,
		"Re-execute the daemon in the same pid, as path (an absolute path; empty for its own binary), "+
			"keeping every process, its pid and its log; answers the attempt's number at once.",
		[]string{"int", "string"}, "path")
	m["supervisor.rotateProcessLogs"] = x(h.rotateProcessLogs,
		"Rotate a process's log files now (name, group:name or group:*), as reaching maxbytes would: "+
			"same names, backups and compression; an empty log stays as it is.",
		[]string{"boolean", "string"}, "name")
	m["supervisor.rotateProcessGroupLogs"] = x(h.rotateProcessGroupLogs,
		"Rotate the log files of every process of a group now: [{name, group, status, description}].",
		[]string{"array", "string"}, "name")
	m["supervisor.rotateAllProcessLogs"] = x(h.rotateAllProcessLogs,
		"Rotate every process's log files now: [{name, group, status, description}].", []string{"array"})
	m["supervisor.rotateLog"] = x(h.rotateLog, "Rotate the main log now.", []string{"boolean"})
	m["supervisor.getUpgradeStatus"] = x(h.getUpgradeStatus,
		"How upgrades went: {pid, binary, version, upgrades, attempt, completed, failed, error}; "+
			"an attempt is over once completed or failed has reached its number.", []string{"struct"})
	m["supervisor.rollingRestart"] = x(h.rollingRestart,
		"Restart the named processes (name, group:name, group:*) at most maxUnavailable at a time, each batch "+
			"RUNNING (ready) before the next; stops at the first that does not come back, leaving the rest running: "+
			"[{name, group, status, description}] in restart order.",
		[]string{"array", "array", "int"}, "names", "maxUnavailable")
	m["supervisor.why"] = x(h.why,
		"Explain why each named process (name, group:name, group:*; none or all: every process) is in its state: "+
			"[{name, group, ok, text}], ok when it is where its config wants it.",
		[]string{"array", "array"}, "names")
	m["supervisor.getSchedule"] = x(h.getSchedule,
		"A scheduled program's schedule (name or group:name): {name, group, schedule, timezone, overlap, catchup, "+
			"next_run, last_run, queued}; times are Unix seconds, 0 for none. BAD_NAME when it has no schedule=.",
		[]string{"struct", "string"}, "name")
	m["supervisor.disableProcess"] = x(h.disableProcess,
		"Disable a process (name, group:name or group:*): stop it, waiting, and keep it from starting "+
			"(autostart, start of all or its group, update, reload, daemon restart) until enableProcess; "+
			"a start naming it fails with FAILED. Remembered in the state file.",
		[]string{"boolean", "string"}, "name")
	m["supervisor.disableProcessGroup"] = x(h.disableProcessGroup,
		"Disable every process of a group: [{name, group, status, description}].", []string{"array", "string"}, "name")
	m["supervisor.enableProcess"] = x(h.enableProcess,
		"Lift a process's disable and its remembered stop (name, group:name or group:*); it is not started.",
		[]string{"boolean", "string"}, "name")
	m["supervisor.enableProcessGroup"] = x(h.enableProcessGroup,
		"Enable every process of a group: [{name, group, status, description}].", []string{"array", "string"}, "name")
	m["supervisor.getProcessConfig"] = x(h.getProcessConfig,
		"The config sections that define a process (name, group:name; for group:* each of its processes'): "+
			"[{section, file, line, text}], text the section as its file writes it, %(...)s expanded for the "+
			"process, options left at their defaults absent.",
		[]string{"array", "string"}, "name")
	m["supervisor.scaleProcessGroup"] = x(h.scaleProcessGroup,
		"Run n instances of a group made of one [program:x] (numprocs at runtime): those that stay are not "+
			"touched, new ones start, surplus ones stop. Remembered in the state file while the config's numprocs "+
			"stays what it was.", []string{"boolean", "string", "int"}, "name", "n")
	h.fleetMethods(m)
}

func (h *Handler) scaleProcessGroup(ctx context.Context, params []any) (any, error) {
	name, _ := str(params[0])
	n, err := integer(params[1])
	if err != nil {
		return nil, err
	}
	if err := h.opts.Tree.Scale(ctx, name, int(n)); err != nil {
		return nil, asFault(err, name)
	}
	return true, nil
}

func (h *Handler) why(ctx context.Context, params []any) (any, error) {
	names, err := fleetNames(params[0])
	if err != nil {
		return nil, err
	}
	var disk *conf.Config
	if h.opts.Reread != nil {
		disk, _ = h.opts.Reread() // a config that does not load is not compared
	}
	ex, err := h.opts.Tree.Why(ctx, names, disk)
	if err != nil {
		return nil, asFault(err, strings.Join(names, " "))
	}
	out := make([]xmlrpc.Struct, len(ex))
	for i, e := range ex {
		out[i] = xmlrpc.Struct{{Name: "name", Value: e.Name}, {Name: "group", Value: e.Group},
			{Name: "ok", Value: e.OK}, {Name: "text", Value: e.Text}}
	}
	return out, nil
}

func (h *Handler) getProcessConfig(ctx context.Context, params []any) (any, error) {
	spec, _ := str(params[0])
	srcs, err := h.opts.Tree.ProcessSources(ctx, spec)
	if err != nil {
		return nil, asFault(err, spec)
	}
	out := make([]any, len(srcs))
	for i, s := range srcs {
		out[i] = xmlrpc.Struct{
			{Name: "section", Value: s.Section},
			{Name: "file", Value: s.File},
			{Name: "line", Value: s.Line},
			{Name: "text", Value: s.Text()},
		}
	}
	return out, nil
}

func (h *Handler) rollingRestart(ctx context.Context, params []any) (any, error) {
	names, err := fleetNames(params[0])
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fault(xmlrpc.FaultBadArguments, "names is empty: name the processes to restart")
	}
	k, err := integer(params[1])
	if err != nil {
		return nil, err
	}
	if k < 1 {
		return nil, fault(xmlrpc.FaultBadArguments, "maxUnavailable must be 1 or more")
	}
	outs, err := h.opts.Tree.RollingRestart(ctx, names, int(k), nil)
	return results(outs, err, strings.Join(names, " "))
}

func (h *Handler) getSchedule(ctx context.Context, params []any) (any, error) {
	p, spec, err := h.lookupProcess(ctx, params)
	if err != nil {
		return nil, err
	}
	s, err := h.opts.Tree.Schedule(ctx, p.Group, p.Name)
	if err != nil {
		return nil, asFault(err, spec)
	}
	stamp := func(t time.Time) int {
		if t.IsZero() {
			return 0
		}
		return int(t.Unix())
	}
	return xmlrpc.Struct{
		{Name: "name", Value: p.Name},
		{Name: "group", Value: p.Group},
		{Name: "schedule", Value: s.Schedule},
		{Name: "timezone", Value: s.TimeZone},
		{Name: "overlap", Value: s.Overlap},
		{Name: "catchup", Value: s.Catchup},
		{Name: "next_run", Value: stamp(s.NextRun)},
		{Name: "last_run", Value: stamp(s.LastRun)},
		{Name: "queued", Value: s.Queued},
	}, nil
}

// disableProcess disables one process, or a group's for "group:*"
// (answered as disableProcessGroup, the way startProcess answers for a
// group).
func (h *Handler) disableProcess(ctx context.Context, params []any) (any, error) {
	return h.intent(ctx, params, h.opts.Tree.Disable, h.disableProcessGroup)
}

func (h *Handler) enableProcess(ctx context.Context, params []any) (any, error) {
	return h.intent(ctx, params, h.opts.Tree.Enable, h.enableProcessGroup)
}

func (h *Handler) intent(ctx context.Context, params []any, act func(ctx context.Context, group, name string, who actors.Operator) error,
	group func(context.Context, []any) (any, error)) (any, error) {
	spec, _ := str(params[0])
	t, err := h.lookup(ctx, spec)
	if err != nil {
		return nil, err
	}
	if t.Process == nil {
		return group(ctx, []any{t.Group.Name})
	}
	if err := act(ctx, t.Process.Group, t.Process.Name, actors.OperatorFrom(ctx)); err != nil {
		return nil, asFault(err, spec)
	}
	return true, nil
}

func (h *Handler) disableProcessGroup(ctx context.Context, params []any) (any, error) {
	name, _ := str(params[0])
	outs, err := h.opts.Tree.DisableGroup(ctx, name, actors.OperatorFrom(ctx))
	return results(outs, err, name)
}

func (h *Handler) enableProcessGroup(ctx context.Context, params []any) (any, error) {
	name, _ := str(params[0])
	outs, err := h.opts.Tree.EnableGroup(ctx, name, actors.OperatorFrom(ctx))
	return results(outs, err, name)
}

func (h *Handler) getReloadStatus(ctx context.Context, _ []any) (any, error) {
	r, err := h.opts.Tree.ReloadStatus(ctx)
	if err != nil {
		return nil, asFault(err, "")
	}
	stamp := func(t time.Time) int {
		if t.IsZero() {
			return 0
		}
		return int(t.Unix())
	}
	errText := ""
	if r.Err != nil {
		errText = r.Err.Error()
	}
	return xmlrpc.Struct{
		{Name: "enabled", Value: r.Watching},
		{Name: "files", Value: nonNil(r.Files)},
		{Name: "last_read", Value: stamp(r.Read)},
		{Name: "error", Value: errText},
		{Name: "last_applied", Value: stamp(r.Applied)},
		{Name: "added", Value: nonNil(r.Added)},
		{Name: "changed", Value: nonNil(r.Changed)},
		{Name: "removed", Value: nonNil(r.Removed)},
	}, nil
}

func (h *Handler) updateProcessGroup(ctx context.Context, params []any) (any, error) {
	name, _ := str(params[0])
	g, err := h.lastRead(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := h.opts.Tree.UpdateGroup(ctx, g); err != nil {
		return nil, asFault(err, name)
	}
	return true, nil
}

// rotateProcessLogs rotates one process's logs, or a group's for
// "group:*" (answered as rotateProcessGroupLogs, the way startProcess
// answers for a group).
func (h *Handler) rotateProcessLogs(ctx context.Context, params []any) (any, error) {
	spec, _ := str(params[0])
	t, err := h.lookup(ctx, spec)
	if err != nil {
		return nil, err
	}
	if t.Process == nil {
		return h.rotateProcessGroupLogs(ctx, []any{t.Group.Name})
	}
	if err := h.opts.Tree.RotateLogs(ctx, t.Process.Group, t.Process.Name); err != nil {
		return nil, fault(xmlrpc.FaultFailed, spec)
	}
	return true, nil
}

func (h *Handler) rotateProcessGroupLogs(ctx context.Context, params []any) (any, error) {
	name, _ := str(params[0])
	outs, err := h.opts.Tree.RotateGroupLogs(ctx, name)
	return results(outs, err, name)
}

func (h *Handler) rotateAllProcessLogs(ctx context.Context, _ []any) (any, error) {
	outs, err := h.opts.Tree.RotateAllLogs(ctx)
	return results(outs, err, "")
}

// rotateLog rotates the main log: NO_FILE when it goes to syslog or
// nowhere, as clearLog says.
func (h *Handler) rotateLog(context.Context, []any) (any, error) {
	if h.mainLogPath() == "" || h.opts.RotateMainLog == nil {
		return nil, fault(xmlrpc.FaultNoFile)
	}
	if err := h.opts.RotateMainLog(); err != nil {
		return nil, fault(xmlrpc.FaultFailed, err.Error())
	}
	return true, nil
}
