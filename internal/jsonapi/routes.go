package jsonapi

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/auth"
	"supervisord/internal/faults"
	"supervisord/internal/mainlog"
	"supervisord/internal/rpcinterface"
	"supervisord/internal/sse"
	"supervisord/protocol/xmlrpc"
)

// table is every route the API serves. Reads need the read role, actions
// on processes (this node's or the fleet's) operate, changes to the daemon
// and its config admin.
func table() []route {
	wait := params{"wait": kindBool}
	readLog := params{"offset": kindInt, "length": kindInt}
	follow := params{"offset": kindInt}
	signal := func() body { return &signalBody{} }
	stdin := func() body { return &stdinBody{} }
	fleetAct := func() body { return &fleetBody{} }
	fleetSignal := func() body { return &fleetSignalBody{} }
	rolling := func() body { return &rollingBody{} }
	scale := func() body { return &scaleBody{} }
	return []route{
		{method: "GET", path: "/processes", role: auth.Read, summary: "Every process's state", serve: (*Handler).listProcesses},
		{method: "GET", path: "/processes/{name}", role: auth.Read, summary: "One process's state", serve: (*Handler).getProcess},
		{method: "GET", path: "/processes/{name}/why", role: auth.Read, summary: "Why a process is in its state, in words", serve: (*Handler).whyProcess},
		{method: "POST", path: "/processes/{name}/start", role: auth.Operate, summary: "Start a process", query: wait, serve: onProcess((*actors.Daemon).Start)},
		{method: "POST", path: "/processes/{name}/stop", role: auth.Operate, summary: "Stop a process", query: wait, serve: onProcess((*actors.Daemon).Stop)},
		{method: "POST", path: "/processes/{name}/restart", role: auth.Operate, summary: "Stop a process if it runs, then start it", query: wait, serve: onProcess((*actors.Daemon).Restart)},
		{method: "POST", path: "/processes/{name}/disable", role: auth.Operate, summary: "Stop a process and keep it from starting until enabled", serve: onIntent((*actors.Daemon).Disable)},
		{method: "POST", path: "/processes/{name}/enable", role: auth.Operate, summary: "Let a disabled process start again", serve: onIntent((*actors.Daemon).Enable)},
		{method: "POST", path: "/processes/{name}/signal", role: auth.Operate, summary: "Send a process a signal", body: signal, serve: (*Handler).signalProcess},
		{method: "POST", path: "/processes/{name}/stdin", role: auth.Operate, summary: "Write to a process's stdin", body: stdin, serve: (*Handler).stdinProcess},
		{method: "GET", path: "/processes/{name}/config", role: auth.Read, summary: "The config sections that define a process, as its files write them", serve: (*Handler).processConfig},
		{method: "GET", path: "/processes/{name}/log/{stream}", role: auth.Read, summary: "Read a range of a process's log", query: readLog, serve: readLogOf((*Handler).processLog)},
		{method: "GET", path: "/processes/{name}/log/{stream}/tail", role: auth.Read, summary: "The end of a process's log", query: readLog, serve: tailLogOf((*Handler).processLog)},
		{method: "GET", path: "/processes/{name}/log/{stream}/follow", role: auth.Read, summary: "Follow a process's log as it grows (server-sent events)", query: follow, serve: followLogOf((*Handler).processLog)},

		{method: "GET", path: "/groups", role: auth.Read, summary: "Every group and its processes", serve: (*Handler).listGroups},
		{method: "GET", path: "/groups/{name}", role: auth.Read, summary: "One group and its processes", serve: (*Handler).getGroup},
		{method: "POST", path: "/groups/{name}/start", role: auth.Operate, summary: "Start every process of a group", query: wait, serve: onGroup((*actors.Daemon).StartGroup)},
		{method: "POST", path: "/groups/{name}/stop", role: auth.Operate, summary: "Stop every process of a group", query: wait, serve: onGroup((*actors.Daemon).StopGroup)},
		{method: "POST", path: "/groups/{name}/restart", role: auth.Operate, summary: "Stop, then start, every process of a group", query: wait, serve: onGroup((*actors.Daemon).RestartGroup)},
		{method: "POST", path: "/groups/{name}/scale", role: auth.Operate, summary: "Run a number of instances of a program group", body: scale, serve: (*Handler).scaleGroup},
		{method: "POST", path: "/groups/{name}/disable", role: auth.Operate, summary: "Disable every process of a group", serve: onGroupIntent((*actors.Daemon).DisableGroup)},
		{method: "POST", path: "/groups/{name}/enable", role: auth.Operate, summary: "Enable every process of a group", serve: onGroupIntent((*actors.Daemon).EnableGroup)},
		{method: "POST", path: "/groups/{name}/signal", role: auth.Operate, summary: "Send every process of a group a signal", body: signal, serve: (*Handler).signalGroup},
		{method: "POST", path: "/groups/{name}/stdin", role: auth.Operate, summary: "Write to the stdin of every running process of a group", body: stdin, serve: (*Handler).stdinGroup},

		{method: "POST", path: "/all/start", role: auth.Operate, summary: "Start every process", query: wait, serve: onAll((*actors.Daemon).StartAll)},
		{method: "POST", path: "/all/stop", role: auth.Operate, summary: "Stop every process", query: wait, serve: onAll((*actors.Daemon).StopAll)},
		{method: "POST", path: "/all/restart", role: auth.Operate, summary: "Stop, then start, every process", query: wait, serve: onAll((*actors.Daemon).RestartAll)},
		{method: "POST", path: "/all/signal", role: auth.Operate, summary: "Send every process a signal", body: signal, serve: (*Handler).signalAll},
		{method: "POST", path: "/rolling-restart", role: auth.Operate, summary: "Restart processes a few at a time, each batch running before the next", body: rolling, serve: (*Handler).rollingRestart},
		{method: "POST", path: "/all/stdin", role: auth.Operate, summary: "Write to the stdin of every running process", body: stdin, serve: (*Handler).stdinAll},

		{method: "POST", path: "/config/reread", role: auth.Admin, summary: "Read the config file again and report what changed", serve: (*Handler).reread},
		{method: "POST", path: "/config/update", role: auth.Admin, summary: "Read the config file again and apply it", serve: (*Handler).update},
		{method: "GET", path: "/config/reload", role: auth.Read, summary: "What automatic reload did last", serve: (*Handler).reloadStatus},

		{method: "GET", path: "/daemon", role: auth.Read, summary: "The daemon's state, pid, version and identification", serve: (*Handler).getDaemon},
		{method: "POST", path: "/daemon/shutdown", role: auth.Admin, summary: "Stop every process and exit", status: http.StatusAccepted, serve: (*Handler).shutdown},
		{method: "POST", path: "/daemon/restart", role: auth.Admin, summary: "Stop every process and start again on the config file", status: http.StatusAccepted, serve: (*Handler).restart},
		{method: "GET", path: "/daemon/log", role: auth.Read, summary: "Read a range of the main log", query: readLog, serve: readLogOf((*Handler).mainLog)},
		{method: "GET", path: "/daemon/log/tail", role: auth.Read, summary: "The end of the main log", query: readLog, serve: tailLogOf((*Handler).mainLog)},
		{method: "GET", path: "/daemon/log/follow", role: auth.Read, summary: "Follow the main log as it grows (server-sent events)", query: follow, serve: followLogOf((*Handler).mainLog)},

		{method: "GET", path: "/fleet/nodes", role: auth.Read, summary: "The fleet's nodes, this one included", serve: (*Handler).fleetNodes},
		{method: "GET", path: "/fleet/processes", role: auth.Read, summary: "The processes of the selected nodes", query: params{"selector": kindText, "name": kindText}, serve: (*Handler).fleetProcesses},
		{method: "POST", path: "/fleet/start", role: auth.Operate, summary: "Start processes on the selected nodes", body: fleetAct, serve: fleetAction("start")},
		{method: "POST", path: "/fleet/stop", role: auth.Operate, summary: "Stop processes on the selected nodes", body: fleetAct, serve: fleetAction("stop")},
		{method: "POST", path: "/fleet/restart", role: auth.Operate, summary: "Stop, then start, processes on the selected nodes", body: fleetAct, serve: fleetAction("restart")},
		{method: "POST", path: "/fleet/signal", role: auth.Operate, summary: "Send processes on the selected nodes a signal", body: fleetSignal, serve: fleetAction("signal")},
		{method: "GET", path: "/fleet/events", role: auth.Read, summary: "The events of the selected nodes, live (server-sent events)", query: params{"selector": kindText, "types": kindText}, serve: (*Handler).fleetEvents},
		{method: "GET", path: "/fleet/log", role: auth.Read, summary: "Follow a process's log, or the main log, on the selected nodes (server-sent events)", query: params{"selector": kindText, "name": kindText, "stream": kindText}, serve: (*Handler).fleetLog},

		{method: "GET", path: "/events", role: auth.Read, summary: "Every event, live, with replay (server-sent events)", query: params{"since": kindText, "types": kindText}, serve: (*Handler).events},
		{method: "GET", path: "/openapi.json", role: auth.None, summary: "This API's OpenAPI document", serve: (*Handler).openAPI},
	}
}

// Processes and groups.

// Process is a process's state: getProcessInfo's members, and what the
// lifecycle options add.
type Process struct {
	Name          string `json:"name"`
	Group         string `json:"group"`
	Namespec      string `json:"namespec"`
	State         int    `json:"state"`
	Statename     string `json:"statename"`
	Description   string `json:"description"`
	Start         int64  `json:"start"` // Unix seconds, 0 for never
	Stop          int64  `json:"stop"`
	Now           int64  `json:"now"`
	PID           int    `json:"pid"`
	ExitStatus    int    `json:"exitstatus"`
	SpawnErr      string `json:"spawnerr"`
	StdoutLogfile string `json:"stdout_logfile"`
	StderrLogfile string `json:"stderr_logfile"`
	WaitingFor    string `json:"waiting_for,omitempty"`
	Health        string `json:"health,omitempty"`
	Status        string `json:"status,omitempty"`
	// NextRun is a scheduled program's next due time (schedule=), Unix
	// seconds; absent for other programs.
	NextRun int64 `json:"next_run,omitempty"`
}

// stamp is a time as Unix seconds, 0 for never.
func stamp(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func processOf(in actors.ProcessInfo) Process {
	return Process{
		Name: in.Name, Group: in.Group, Namespec: conf.Namespec(in.Group, in.Name),
		State: int(in.State), Statename: in.State.String(), Description: in.Description(),
		Start: stamp(in.Start), Stop: stamp(in.Stop), Now: stamp(in.Now),
		PID: in.PID, ExitStatus: in.ExitStatus, SpawnErr: in.SpawnErr,
		StdoutLogfile: in.StdoutLogfile, StderrLogfile: in.StderrLogfile,
		WaitingFor: in.WaitingFor, Health: in.Health, Status: in.Status,
		NextRun: stamp(in.NextRun),
	}
}

// processes is every process's state, by group then name (as
// getAllProcessInfo orders them).
func (h *Handler) processes(ctx context.Context) ([]Process, error) {
	infos, err := h.opts.Tree.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Process, len(infos))
	for i, in := range infos {
		out[i] = processOf(in)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Group != out[j].Group {
			return out[i].Group < out[j].Group
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

func (h *Handler) listProcesses(c *call) (any, error) {
	ps, err := h.processes(c.ctx)
	if err != nil {
		return nil, err
	}
	return map[string]any{"processes": ps}, nil
}

// process is the process the path names ("group:name", or "name" for a
// process alone in its group of the same name): BAD_NAME when it names no
// process (a group too).
func (h *Handler) process(c *call) (*conf.Process, string, error) {
	spec := c.r.PathValue("name")
	t, err := h.opts.Tree.Resolve(c.ctx, spec)
	if err == nil && t.Process == nil {
		err = actors.ErrBadName
	}
	if err != nil {
		return nil, spec, apiError(err, spec)
	}
	return t.Process, spec, nil
}

func (h *Handler) getProcess(c *call) (any, error) {
	p, spec, err := h.process(c)
	if err != nil {
		return nil, err
	}
	in, err := h.opts.Tree.Info(c.ctx, p.Group, p.Name)
	if err != nil {
		return nil, apiError(err, spec)
	}
	return processOf(in), nil
}

// Why is why a process is in its state: ok when it is where its config
// wants it.
type Why struct {
	Name  string `json:"name"`
	Group string `json:"group"`
	OK    bool   `json:"ok"`
	Text  string `json:"text"`
}

func (h *Handler) whyProcess(c *call) (any, error) {
	p, spec, err := h.process(c)
	if err != nil {
		return nil, err
	}
	var disk *conf.Config
	if h.opts.Reread != nil {
		disk, _ = h.opts.Reread() // a config that does not load is not compared
	}
	ex, err := h.opts.Tree.Why(c.ctx, []string{conf.Namespec(p.Group, p.Name)}, disk)
	if err != nil || len(ex) != 1 {
		return nil, apiError(err, spec)
	}
	return Why{Name: ex[0].Name, Group: ex[0].Group, OK: ex[0].OK, Text: ex[0].Text}, nil
}

// ProcessConfig is what /processes/{name}/config answers: the process's
// own section, then its [group:x]'s.
type ProcessConfig struct {
	Sections []Section `json:"sections"`
}

// Section is a config section that defines a process (conf.Source): where
// its header is, its options as the files write them (expanded for the
// process, defaults absent), and the same as ini text.
type Section struct {
	Section string          `json:"section"`
	File    string          `json:"file"`
	Line    int             `json:"line"`
	Options []SectionOption `json:"options"`
	Text    string          `json:"text"`
}

// SectionOption is one option of a Section, with the line it is on.
type SectionOption struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	File  string `json:"file"`
	Line  int    `json:"line"`
}

func sectionOf(s conf.Source) Section {
	out := Section{Section: s.Section, File: s.File, Line: s.Line, Options: []SectionOption{}, Text: s.Text()}
	for _, o := range s.Options {
		out.Options = append(out.Options, SectionOption{Name: o.Name, Value: o.Value, File: o.File, Line: o.Line})
	}
	return out
}

// processConfig is the sections behind a process (or, for group:*, behind
// each of the group's processes), from the config it runs with.
func (h *Handler) processConfig(c *call) (any, error) {
	spec := c.r.PathValue("name")
	srcs, err := h.opts.Tree.ProcessSources(c.ctx, spec)
	if err != nil {
		return nil, apiError(err, spec)
	}
	out := ProcessConfig{Sections: make([]Section, len(srcs))}
	for i, s := range srcs {
		out.Sections[i] = sectionOf(s)
	}
	return out, nil
}

// Group is a group and its processes.
type Group struct {
	Name      string    `json:"name"`
	Kind      string    `json:"kind"` // program, eventlistener or fcgi-program
	Priority  int       `json:"priority"`
	Processes []Process `json:"processes"`
}

var kindNames = map[conf.GroupKind]string{conf.KindProgram: "program", conf.KindEventListener: "eventlistener",
	conf.KindFCGIProgram: "fcgi-program"}

// groups is every group in start order, with its processes; only the
// named one when name is not "".
func (h *Handler) groups(ctx context.Context, name string) ([]Group, error) {
	gs, err := h.opts.Tree.Groups(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := h.processes(ctx)
	if err != nil {
		return nil, err
	}
	out := []Group{}
	for _, g := range gs {
		if name != "" && g.Name != name {
			continue
		}
		grp := Group{Name: g.Name, Kind: kindNames[g.Kind], Priority: g.Priority, Processes: []Process{}}
		for _, p := range ps {
			if p.Group == g.Name {
				grp.Processes = append(grp.Processes, p)
			}
		}
		out = append(out, grp)
	}
	return out, nil
}

func (h *Handler) listGroups(c *call) (any, error) {
	gs, err := h.groups(c.ctx, "")
	if err != nil {
		return nil, err
	}
	return map[string]any{"groups": gs}, nil
}

func (h *Handler) getGroup(c *call) (any, error) {
	name := c.r.PathValue("name")
	gs, err := h.groups(c.ctx, name)
	if err != nil {
		return nil, apiError(err, name)
	}
	if len(gs) == 0 {
		return nil, apiError(actors.ErrBadName, name)
	}
	return gs[0], nil
}

// Actions.

// Outcome is what an action did to one process: code SUCCESS and message
// OK, or the fault it failed with.
type Outcome struct {
	Group   string `json:"group"`
	Name    string `json:"name"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func outcomeOf(group, name string, err error) Outcome {
	o := Outcome{Group: group, Name: name, Code: xmlrpc.FaultName(xmlrpc.FaultSuccess), Message: "OK"}
	if err != nil {
		f := faults.Of(err, conf.Namespec(group, name))
		o.Code, o.Message = f.Name(), f.Text
	}
	return o
}

// results is an action on several processes answered: one outcome each,
// in the order they settled.
func results(outs []actors.Outcome, err error, name string) (any, error) {
	if err != nil {
		return nil, apiError(err, name)
	}
	list := make([]Outcome, len(outs))
	for i, o := range outs {
		list[i] = outcomeOf(o.Group, o.Name, o.Err)
	}
	return map[string]any{"results": list}, nil
}

// onProcess is a route doing act to the process the path names, waiting
// as ?wait= says (by default it waits, as XML-RPC does).
func onProcess(act func(*actors.Daemon, context.Context, string, string, bool) error) func(*Handler, *call) (any, error) {
	return func(h *Handler, c *call) (any, error) {
		return h.toProcess(c, func(p *conf.Process) error {
			return act(h.opts.Tree, c.ctx, p.Group, p.Name, c.q.flag("wait", true))
		})
	}
}

// onIntent is a route changing one process's lasting intent, recording
// who asked.
func onIntent(act func(*actors.Daemon, context.Context, string, string, actors.Operator) error) func(*Handler, *call) (any, error) {
	return func(h *Handler, c *call) (any, error) {
		return h.toProcess(c, func(p *conf.Process) error {
			return act(h.opts.Tree, c.ctx, p.Group, p.Name, actors.OperatorFrom(c.ctx))
		})
	}
}

// onGroupIntent is onIntent for every process of a group.
func onGroupIntent(act func(*actors.Daemon, context.Context, string, actors.Operator) ([]actors.Outcome, error)) func(*Handler, *call) (any, error) {
	return func(h *Handler, c *call) (any, error) {
		name := c.r.PathValue("name")
		outs, err := act(h.opts.Tree, c.ctx, name, actors.OperatorFrom(c.ctx))
		return results(outs, err, name)
	}
}

func (h *Handler) toProcess(c *call, act func(p *conf.Process) error) (any, error) {
	p, spec, err := h.process(c)
	if err != nil {
		return nil, err
	}
	if err := act(p); err != nil {
		return nil, apiError(err, spec)
	}
	return outcomeOf(p.Group, p.Name, nil), nil
}

func (h *Handler) signalProcess(c *call) (any, error) {
	return h.toProcess(c, func(p *conf.Process) error {
		return h.opts.Tree.Signal(c.ctx, p.Group, p.Name, c.body.(*signalBody).Signal)
	})
}

func (h *Handler) stdinProcess(c *call) (any, error) {
	return h.toProcess(c, func(p *conf.Process) error {
		return h.opts.Tree.SendStdin(c.ctx, p.Group, p.Name, []byte(*c.body.(*stdinBody).Data))
	})
}

// onGroup is a route doing act to every process of the group the path
// names.
func onGroup(act func(*actors.Daemon, context.Context, string, bool) ([]actors.Outcome, error)) func(*Handler, *call) (any, error) {
	return func(h *Handler, c *call) (any, error) {
		name := c.r.PathValue("name")
		outs, err := act(h.opts.Tree, c.ctx, name, c.q.flag("wait", true))
		return results(outs, err, name)
	}
}

func (h *Handler) scaleGroup(c *call) (any, error) {
	name := c.r.PathValue("name")
	if err := h.opts.Tree.Scale(c.ctx, name, *c.body.(*scaleBody).Instances); err != nil {
		return nil, apiError(err, name)
	}
	return map[string]any{"group": name, "instances": *c.body.(*scaleBody).Instances}, nil
}

func (h *Handler) rollingRestart(c *call) (any, error) {
	b := c.body.(*rollingBody)
	outs, err := h.opts.Tree.RollingRestart(c.ctx, b.Names, b.MaxUnavailable, nil)
	return results(outs, err, strings.Join(b.Names, " "))
}

func (h *Handler) signalGroup(c *call) (any, error) {
	name := c.r.PathValue("name")
	outs, err := h.opts.Tree.SignalGroup(c.ctx, name, c.body.(*signalBody).Signal)
	return results(outs, err, name)
}

func (h *Handler) stdinGroup(c *call) (any, error) {
	name := c.r.PathValue("name")
	outs, err := h.opts.Tree.SendStdinGroup(c.ctx, name, []byte(*c.body.(*stdinBody).Data))
	return results(outs, err, name)
}

// onAll is a route doing act to every process.
func onAll(act func(*actors.Daemon, context.Context, bool) ([]actors.Outcome, error)) func(*Handler, *call) (any, error) {
	return func(h *Handler, c *call) (any, error) {
		outs, err := act(h.opts.Tree, c.ctx, c.q.flag("wait", true))
		return results(outs, err, "")
	}
}

func (h *Handler) signalAll(c *call) (any, error) {
	outs, err := h.opts.Tree.SignalAll(c.ctx, c.body.(*signalBody).Signal)
	return results(outs, err, "")
}

func (h *Handler) stdinAll(c *call) (any, error) {
	outs, err := h.opts.Tree.SendStdinAll(c.ctx, []byte(*c.body.(*stdinBody).Data))
	return results(outs, err, "")
}

// Logs.

// logOf finds the log file a route reads: its path ("" when there is
// none) and the subject failures name.
type logOf func(h *Handler, c *call) (path, subject string, err error)

// processLog is the log of the process and stream (stdout or stderr) the
// path names.
func (h *Handler) processLog(c *call) (string, string, error) {
	stream := actors.Stream(c.r.PathValue("stream"))
	if stream != actors.Stdout && stream != actors.Stderr {
		return "", "", &Error{Code: codeNotFound, Message: "no stream " + string(stream) + " (stdout or stderr)"}
	}
	p, spec, err := h.process(c)
	if err != nil {
		return "", spec, err
	}
	path, err := h.opts.Tree.LogPath(c.ctx, p.Group, p.Name, stream)
	if err != nil {
		return "", spec, apiError(err, spec)
	}
	return path, spec, nil
}

// mainLog is the daemon's main log, "" when it goes to syslog.
func (h *Handler) mainLog(*call) (string, string, error) {
	return mainlog.FilePath(h.opts.Config.Supervisord.Logfile), "", nil
}

// readLogOf reads length bytes from offset, as readProcessStdoutLog does:
// a negative offset counts from the end, length 0 reads to the end.
func readLogOf(of logOf) func(*Handler, *call) (any, error) {
	return func(h *Handler, c *call) (any, error) {
		path, subject, err := of(h, c)
		if err != nil {
			return nil, err
		}
		data, err := actors.ReadFile(path, c.q.int("offset", 0), c.q.int("length", 0))
		if err != nil {
			return nil, apiError(faults.OfRead(err, subject), subject)
		}
		return map[string]any{"data": string(data)}, nil
	}
}

// tailLogOf is the end of a log as tailProcessStdoutLog reads it: at most
// length bytes (default 1024) from offset, moved on to the last length
// bytes when the log has grown past them (overflow); offset is where the
// next tail goes on.
func tailLogOf(of logOf) func(*Handler, *call) (any, error) {
	return func(h *Handler, c *call) (any, error) {
		path, _, err := of(h, c)
		if err != nil {
			return nil, err
		}
		length := c.q.int("length", 1024)
		if length < 0 {
			return nil, badRequest("query parameter length must not be negative")
		}
		data, next, overflow := actors.TailFile(path, c.q.int("offset", 0), length)
		return map[string]any{"data": string(data), "offset": next, "overflow": overflow}, nil
	}
}

// followLogOf streams a log as it grows, from offset (default: its last
// KiB), or from the Last-Event-ID of a client that reconnects: see
// sse.FollowLog.
func followLogOf(of logOf) func(*Handler, *call) (any, error) {
	return func(h *Handler, c *call) (any, error) {
		path, subject, err := of(h, c)
		if err != nil {
			return nil, err
		}
		if path == "" {
			return nil, apiError(actors.ErrNoFile, subject)
		}
		off := c.q.int("offset", -1024)
		if id := c.r.Header.Get("Last-Event-ID"); id != "" {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil || n < 0 {
				return nil, badRequest("Last-Event-ID " + strconv.Quote(id) + " is not an offset in the log")
			}
			off = n
		}
		out := sse.Start(c.w)
		defer out.End()
		sse.FollowLog(out, path, off, h.streamDone(c.ctx))
		return nil, nil
	}
}

// Config.

// Changes are the groups a reread found, as `supervisorctl reread` shows
// them.
type Changes struct {
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Removed []string `json:"removed"`
}

// Update is what an update applied, and what went wrong applying it.
type Update struct {
	Changes
	Errors []string `json:"errors"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// reread reads the config file again, records it as the config last read
// and reports how it differs from what runs.
func (h *Handler) reread(c *call) (any, error) {
	_, ch, err := h.rereadConfig(c.ctx)
	if err != nil {
		return nil, err
	}
	return ch, nil
}

func (h *Handler) rereadConfig(ctx context.Context) (*conf.Config, Changes, error) {
	cfg, err := h.opts.Reread()
	if err != nil {
		return nil, Changes{}, apiError(faults.CantReread(err), "")
	}
	added, changed, removed, err := h.opts.Tree.Reread(ctx, cfg)
	if err != nil {
		return nil, Changes{}, err
	}
	return cfg, Changes{Added: nonNil(added), Changed: nonNil(changed), Removed: nonNil(removed)}, nil
}

// update rereads and applies the config as `supervisorctl update` does:
// removed groups stopped and dropped, changed ones updated, new ones added.
// What could not be applied is listed in errors (the rest is applied).
func (h *Handler) update(c *call) (any, error) {
	cfg, _, err := h.rereadConfig(c.ctx)
	if err != nil {
		return nil, err
	}
	added, changed, removed, err := h.opts.Tree.Update(c.ctx, cfg)
	ch := Update{Changes{Added: nonNil(added), Changed: nonNil(changed), Removed: nonNil(removed)}, []string{}}
	var joined interface{ Unwrap() []error }
	switch {
	case errors.As(err, &joined):
		for _, e := range joined.Unwrap() {
			ch.Errors = append(ch.Errors, e.Error())
		}
	case err != nil:
		return nil, err // the diff failed: nothing was applied
	}
	return ch, nil
}

// ReloadStatus is what automatic reload did last (config.getReloadStatus).
type ReloadStatus struct {
	Enabled     bool     `json:"enabled"`
	Files       []string `json:"files"`
	LastRead    int64    `json:"last_read"` // Unix seconds, 0 for never
	Error       string   `json:"error"`     // why the change last read was not applied; "" when it was
	LastApplied int64    `json:"last_applied"`
	Added       []string `json:"added"`
	Changed     []string `json:"changed"`
	Removed     []string `json:"removed"`
}

func (h *Handler) reloadStatus(c *call) (any, error) {
	r, err := h.opts.Tree.ReloadStatus(c.ctx)
	if err != nil {
		return nil, err
	}
	s := ReloadStatus{Enabled: r.Watching, Files: nonNil(r.Files), LastRead: stamp(r.Read),
		LastApplied: stamp(r.Applied), Added: nonNil(r.Added), Changed: nonNil(r.Changed),
		Removed: nonNil(r.Removed)}
	if r.Err != nil {
		s.Error = r.Err.Error()
	}
	return s, nil
}

// The daemon.

// Daemon is the daemon's state and who it is.
type Daemon struct {
	State struct {
		Code int    `json:"code"`
		Name string `json:"name"`
	} `json:"state"`
	PID            int    `json:"pid"`
	Version        string `json:"version"`
	Identification string `json:"identification"`
}

func (h *Handler) getDaemon(*call) (any, error) {
	d := Daemon{PID: h.opts.PID, Version: rpcinterface.Version, Identification: h.opts.Config.Supervisord.Identifier}
	d.State.Code, d.State.Name = h.opts.Control.State()
	return d, nil
}

// shutdown and restart answer at once (202), with the state they put the
// daemon in; the daemon goes on stopping its processes.
func (h *Handler) shutdown(c *call) (any, error) {
	h.opts.Control.Shutdown()
	return h.getDaemon(c)
}

func (h *Handler) restart(c *call) (any, error) {
	h.opts.Control.Restart()
	return h.getDaemon(c)
}
