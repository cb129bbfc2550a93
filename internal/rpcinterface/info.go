package rpcinterface

import (
	"context"
	"math"
	"sort"
	"time"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/faults"
	"supervisord/protocol/xmlrpc"
)

// epoch is a timestamp as the reference sends it: whole seconds, 0 for
// never, capped to what an XML-RPC int holds.
func epoch(t time.Time) int {
	if t.IsZero() {
		return 0
	}
	return int(min(t.Unix(), math.MaxInt32))
}

// infoStruct is getProcessInfo's struct, members in the reference's order.
func infoStruct(in actors.ProcessInfo) xmlrpc.Struct {
	return xmlrpc.Struct{
		{Name: "name", Value: in.Name},
		{Name: "group", Value: in.Group},
		{Name: "start", Value: epoch(in.Start)},
		{Name: "stop", Value: epoch(in.Stop)},
		{Name: "now", Value: epoch(in.Now)},
		{Name: "state", Value: int(in.State)},
		{Name: "statename", Value: in.State.String()},
		{Name: "spawnerr", Value: in.SpawnErr},
		{Name: "exitstatus", Value: in.ExitStatus},
		{Name: "logfile", Value: in.StdoutLogfile},
		{Name: "stdout_logfile", Value: in.StdoutLogfile},
		{Name: "stderr_logfile", Value: in.StderrLogfile},
		{Name: "pid", Value: in.PID},
		{Name: "description", Value: in.Description()},
	}
}

// logValue is a log option as the reference sends it: "none", "auto" or
// the path, with AUTO resolved once the process has its file.
func logValue(path string, resolved string) any {
	switch path {
	case "":
		return "none"
	case conf.AutoLog:
		if resolved != "" {
			return resolved
		}
		return "auto"
	}
	return path
}

func (h *Handler) getAllConfigInfo(ctx context.Context, _ []any) (any, error) {
	infos, err := h.opts.Tree.Status(ctx)
	if err != nil {
		return nil, asFault(err, "")
	}
	running := map[string]actors.ProcessInfo{} // by group:name
	active := map[string]bool{}
	for _, in := range infos {
		running[in.Group+":"+in.Name] = in
		active[in.Group] = true
	}
	cfg, err := h.opts.Tree.Config(ctx)
	if err != nil {
		return nil, asFault(err, "")
	}
	type entry struct {
		name string
		s    xmlrpc.Struct
	}
	var entries []entry
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			entries = append(entries, entry{p.Name, configStruct(g, p, active[g.Name], running[p.Group+":"+p.Name])})
		}
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	out := make([]xmlrpc.Struct, len(entries))
	for i, e := range entries {
		out[i] = e.s
	}
	return out, nil
}

func orNone(s string) any {
	if s == "" {
		return "none"
	}
	return s
}

func configStruct(g *conf.Group, p *conf.Process, inuse bool, in actors.ProcessInfo) xmlrpc.Struct {
	uid := any("none")
	if p.UID >= 0 {
		uid = p.UID
	}
	codes := make([]any, len(p.ExitCodes))
	for i, c := range p.ExitCodes {
		codes[i] = c
	}
	serverURL := orNone(p.ServerURL)
	return xmlrpc.Struct{
		{Name: "autostart", Value: p.AutoStart},
		{Name: "directory", Value: orNone(p.Directory)},
		{Name: "uid", Value: uid},
		{Name: "command", Value: p.Command},
		{Name: "exitcodes", Value: codes},
		{Name: "group", Value: g.Name},
		{Name: "group_prio", Value: g.Priority},
		{Name: "inuse", Value: inuse},
		{Name: "killasgroup", Value: p.KillAsGroup},
		{Name: "name", Value: p.Name},
		{Name: "process_prio", Value: p.Priority},
		{Name: "redirect_stderr", Value: p.RedirectStderr},
		{Name: "startretries", Value: p.StartRetries},
		{Name: "startsecs", Value: int(p.StartSecs / time.Second)},
		{Name: "stdout_capture_maxbytes", Value: p.Stdout.CaptureMaxBytes},
		{Name: "stdout_events_enabled", Value: p.Stdout.EventsEnabled},
		{Name: "stdout_logfile", Value: logValue(p.Stdout.Logfile, in.StdoutLogfile)},
		{Name: "stdout_logfile_backups", Value: p.Stdout.Backups},
		{Name: "stdout_logfile_maxbytes", Value: p.Stdout.MaxBytes},
		{Name: "stdout_syslog", Value: p.Stdout.Syslog},
		{Name: "stopsignal", Value: int(p.StopSignal)},
		{Name: "stopwaitsecs", Value: int(p.StopWaitSecs / time.Second)},
		{Name: "stderr_capture_maxbytes", Value: p.Stderr.CaptureMaxBytes},
		{Name: "stderr_events_enabled", Value: p.Stderr.EventsEnabled},
		{Name: "stderr_logfile", Value: logValue(p.Stderr.Logfile, in.StderrLogfile)},
		{Name: "stderr_logfile_backups", Value: p.Stderr.Backups},
		{Name: "stderr_logfile_maxbytes", Value: p.Stderr.MaxBytes},
		{Name: "stderr_syslog", Value: p.Stderr.Syslog},
		{Name: "serverurl", Value: serverURL},
	}
}

func (h *Handler) reloadConfig(ctx context.Context, _ []any) (any, error) {
	cfg, err := h.opts.Reread()
	if err != nil {
		return nil, faults.CantReread(err)
	}
	added, changed, removed, err := h.opts.Tree.Reread(ctx, cfg)
	if err != nil {
		return nil, asFault(err, "")
	}
	return []any{[]any{nonNil(added), nonNil(changed), nonNil(removed)}}, nil
}

// lastRead is the group of that name in the config last read.
func (h *Handler) lastRead(ctx context.Context, name string) (*conf.Group, error) {
	cfg, err := h.opts.Tree.Config(ctx)
	if err != nil {
		return nil, asFault(err, name)
	}
	for _, g := range cfg.Groups {
		if g.Name == name {
			return g, nil
		}
	}
	return nil, fault(xmlrpc.FaultBadName, name)
}

func (h *Handler) addProcessGroup(ctx context.Context, params []any) (any, error) {
	name, _ := str(params[0])
	g, err := h.lastRead(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := h.opts.Tree.AddGroup(ctx, g); err != nil {
		return nil, asFault(err, name)
	}
	return true, nil
}

func (h *Handler) removeProcessGroup(ctx context.Context, params []any) (any, error) {
	name, _ := str(params[0])
	if err := h.opts.Tree.RemoveGroup(ctx, name); err != nil {
		return nil, asFault(err, name)
	}
	return true, nil
}

// nonNil is s, or an empty list where s is nil: XML-RPC has no nil, and
// the reference sends [] for an empty list.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
