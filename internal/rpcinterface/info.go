package rpcinterface

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"supervisord/actors"
	"supervisord/conf"
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
		{Name: "description", Value: Description(in)},
	}
}

// Description is the reference's one-line summary of a process state:
// "pid 123, uptime 0:01:02", the spawn error, the stop time or "Not started".
func Description(in actors.ProcessInfo) string {
	switch in.State {
	case actors.Running:
		up := in.Now.Truncate(time.Second).Sub(in.Start.Truncate(time.Second))
		return fmt.Sprintf("pid %d, uptime %s", in.PID, pyTimedelta(max(up, 0)))
	case actors.Fatal, actors.Backoff:
		if in.SpawnErr != "" {
			return in.SpawnErr
		}
		return fmt.Sprintf(`unknown error (try "tail %s")`, in.Name)
	case actors.Stopped, actors.Exited:
		if in.Start.IsZero() {
			return "Not started"
		}
		return in.Stop.Local().Format("Jan 02 03:04 PM")
	}
	return ""
}

// pyTimedelta prints whole seconds like str(datetime.timedelta):
// "0:01:02", "1 day, 2:03:04", "3 days, 0:00:00".
func pyTimedelta(d time.Duration) string {
	s := int64(d / time.Second)
	days, s := s/86400, s%86400
	hms := fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	switch days {
	case 0:
		return hms
	case 1:
		return "1 day, " + hms
	}
	return fmt.Sprintf("%d days, %s", days, hms)
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
	active := map[string]bool{}
	for _, g := range h.opts.Tree.Groups() {
		active[g.Name] = true
	}
	cfg := h.opts.Tree.Config()
	type entry struct {
		name string
		s    xmlrpc.Struct
	}
	var entries []entry
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			var in actors.ProcessInfo
			if active[g.Name] {
				in, _ = h.opts.Tree.Info(ctx, p.Group, p.Name)
			}
			entries = append(entries, entry{p.Name, configStruct(g, p, active[g.Name], in)})
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

func (h *Handler) reloadConfig(context.Context, []any) (any, error) {
	cfg, err := h.opts.Reread()
	if err != nil {
		msg := err.Error()
		var ce *conf.Error
		if errors.As(err, &ce) {
			msg = ce.Reference()
		}
		return nil, fault(xmlrpc.FaultCantReread, msg)
	}
	h.opts.Tree.SetConfig(cfg)
	added, changed, removed := conf.Diff(&conf.Config{Groups: h.opts.Tree.Groups()}, cfg)
	return []any{[]any{nonNil(added), nonNil(changed), nonNil(removed)}}, nil
}

func (h *Handler) addProcessGroup(ctx context.Context, params []any) (any, error) {
	name, _ := str(params[0])
	for _, g := range h.opts.Tree.Config().Groups {
		if g.Name == name {
			if err := h.opts.Tree.AddGroup(ctx, g); err != nil {
				return nil, asFault(err, name)
			}
			return true, nil
		}
	}
	return nil, fault(xmlrpc.FaultBadName, name)
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
