package webui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/auth"
	"supervisord/internal/rpcinterface"
)

// row is one process as the table shows it.
type row struct {
	Namespec, Group, Name string
	StateName             string // "RUNNING"
	Description           string // the reference's, e.g. "pid 12, uptime 0:00:03"
	PID                   int
	Start, Now            int64    // epoch seconds; Start is 0 before the first start
	Actions               []string // the buttons the viewer may use
	Hidden                bool     // filtered out
}

// Status is the state as the reference's page shows it, in lower case.
func (r row) Status() string { return strings.ToLower(r.StateName) }

// actionLabels are the buttons' texts.
var actionLabels = map[string]string{
	"start": "Start", "stop": "Stop", "restart": "Restart", "clearlog": "Clear log", "enable": "Enable",
}

// Label is an action's button text.
func (row) Label(action string) string { return actionLabels[action] }

// actionsFor are the buttons a process in state s gets: the reference's,
// plus stop for a process still starting or backing off (stopProcess
// accepts both); a viewer below Operate gets none, one below Admin no
// clearlog.
func actionsFor(in actors.ProcessInfo, role auth.Role) []string {
	var acts []string
	switch s := in.State; s {
	case actors.Running:
		acts = []string{"restart", "stop"}
	case actors.Starting, actors.Backoff:
		acts = []string{"stop"}
	case actors.Stopped, actors.Exited, actors.Fatal:
		acts = []string{"start"}
	case actors.Stopping, actors.Unknown:
	}
	if in.Intent.Disabled { // enable, not start: a start is refused
		acts = []string{"enable"}
	}
	switch {
	case role >= auth.Admin:
		return append(acts, "clearlog")
	case role >= auth.Operate:
		return acts
	}
	return nil
}

func epoch(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// rowOf is a process's row as a viewer of this role sees it.
func rowOf(in actors.ProcessInfo, role auth.Role) row {
	return row{Namespec: conf.Namespec(in.Group, in.Name), Group: in.Group, Name: in.Name,
		StateName: in.State.String(), Description: in.Description(), PID: in.PID,
		Start: epoch(in.Start), Now: epoch(in.Now), Actions: actionsFor(in, role)}
}

// group is a process group in the table. Header is false for a program
// alone in its group of the same name: its own buttons are the group's.
type group struct {
	Name    string
	Header  bool
	Rows    []row
	Hidden  bool // every row filtered out
	Operate bool // the viewer may start and stop the group
	// Scalable: the group is one [program:x], which scale can run more
	// or fewer instances of; Count is how many it runs.
	Scalable bool
	Count    int
}

// table is every process, ordered by group then name as the reference
// orders them, as the request's principal sees them.
func (h *Handler) table(ctx context.Context) []group {
	role := auth.From(ctx).Role
	infos, _ := h.opts.Tree.Status(ctx) // none: the tree is going down
	sort.SliceStable(infos, func(i, j int) bool {
		if infos[i].Group != infos[j].Group {
			return infos[i].Group < infos[j].Group
		}
		return infos[i].Name < infos[j].Name
	})
	scalable := map[string]bool{}
	if role >= auth.Operate {
		if cfgs, err := h.opts.Tree.Groups(ctx); err == nil {
			for _, g := range cfgs {
				scalable[g.Name] = g.Scale != nil
			}
		}
	}
	var out []group
	for _, in := range infos {
		if len(out) == 0 || out[len(out)-1].Name != in.Group {
			out = append(out, group{Name: in.Group, Operate: role >= auth.Operate, Scalable: scalable[in.Group]})
		}
		out[len(out)-1].Count++
		g := &out[len(out)-1]
		g.Rows = append(g.Rows, rowOf(in, role))
		g.Header = len(g.Rows) > 1 || in.Name != in.Group
	}
	return out
}

// filtered hides the rows whose name does not hold q, as the page's
// script does while one types.
func filtered(groups []group, q string) []group {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return groups
	}
	for i := range groups {
		g := &groups[i]
		g.Hidden = true
		for j := range g.Rows {
			g.Rows[j].Hidden = !strings.Contains(strings.ToLower(g.Rows[j].Namespec), q)
			g.Hidden = g.Hidden && g.Rows[j].Hidden
		}
	}
	return groups
}

// only keeps the row of one process (namespec), without its group's
// header: the process page's table. "" keeps them all.
func only(groups []group, namespec string) []group {
	if namespec == "" {
		return groups
	}
	for _, g := range groups {
		for _, r := range g.Rows {
			if r.Namespec == namespec {
				g.Header, g.Rows = false, []row{r}
				return []group{g}
			}
		}
	}
	return nil
}

// page is what status.html renders.
type page struct {
	Identifier, Version string
	Message             string
	MessageIsError      bool
	Filter              string
	Groups              []group
	Operate             bool // the viewer may start and stop processes
	// Confirm holds an action refused because it came from another
	// site, offered again as a form the user can submit from here.
	Confirm url.Values
	Fleet   bool // the daemon is a node of a fleet: link its view
}

// status serves the status page. With an action (the reference's GET
// index.html?processname=x&action=stop, or our forms' POST) it acts and
// redirects to the page showing the outcome; a script's fetch asking for
// JSON gets the outcome as {"message", "error"} instead.
func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// HEAD only looks, as the reference does not act on it either.
	if action := r.Form.Get("action"); action != "" && r.Method != http.MethodHead {
		if err := h.crossSite(r); err != nil {
			h.refuse(w, r, err)
			return
		}
		if !known(action, r.Form) {
			http.Error(w, "unknown action "+action, http.StatusBadRequest)
			return
		}
		if need := actionRole(action); !auth.Allowed(r.Context(), need) {
			h.forbid(w, r, action, need)
			return
		} else if need > auth.Read && auth.From(r.Context()).User != "" {
			h.audit(r, action) // as for XML-RPC: not on a server without authentication
		}
		msg, failed, ok := h.act(r.Context(), r.Form)
		if !ok {
			http.Error(w, "unknown action "+action, http.StatusBadRequest)
			return
		}
		if wantsJSON(r) {
			writeJSON(w, http.StatusOK, map[string]any{"message": msg, "error": failed})
			return
		}
		// The reference sends 301 to the page with ?message=; a form's POST
		// gets 303 so the browser follows with a GET either way.
		code := http.StatusMovedPermanently
		if r.Method == http.MethodPost {
			code = http.StatusSeeOther
		}
		w.Header().Set("Location", "./?message="+quote(msg))
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(code)
		return
	}
	msg := r.Form.Get("message")
	h.render(w, r, http.StatusOK, page{Message: msg, MessageIsError: isError(msg), Filter: r.Form.Get("filter")})
}

// actionMethods name, for each page action, the XML-RPC method whose role
// it takes (rpcinterface's table is the one list of roles); refresh only
// looks.
var actionMethods = map[string]string{
	"start": "supervisor.startProcess", "stop": "supervisor.stopProcess", "restart": "supervisor.startProcess",
	"clearlog": "supervisor.clearProcessLogs",
	"startall": "supervisor.startAllProcesses", "stopall": "supervisor.stopAllProcesses", "restartall": "supervisor.startAllProcesses",
	"startgroup": "supervisor.startProcessGroup", "stopgroup": "supervisor.stopProcessGroup", "restartgroup": "supervisor.startProcessGroup",
	"rollinggroup": "supervisor.rollingRestart", "scalegroup": "supervisor.scaleProcessGroup", "enable": "supervisor.enableProcess",
}

// actionRole is the role a page action takes: read for refresh, admin for
// an action the page does not know (it is refused as unknown anyway).
func actionRole(action string) auth.Role {
	if action == "refresh" {
		return auth.Read
	}
	if m, ok := actionMethods[action]; ok {
		return rpcinterface.MethodRole(m)
	}
	return auth.Admin
}

// known says the page has the action, with the process it needs.
func known(action string, form url.Values) bool {
	switch action {
	case "refresh", "stopall", "startall", "restartall", "startgroup", "stopgroup", "restartgroup", "rollinggroup", "scalegroup":
		return true
	case "start", "stop", "restart", "clearlog", "enable":
		return form.Get("processname") != "" // the reference fails such a request
	}
	return false
}

// audit writes the main-log line of an action about to be taken.
func (h *Handler) audit(r *http.Request, action string) {
	var target []string
	for _, k := range []string{"processname", "group"} {
		if v := r.Form.Get(k); v != "" {
			target = append(target, conf.PyRepr(v))
		}
	}
	auth.Audit(h.opts.Log, r.Context(), "page "+action, target...)
}

// forbid answers an action the request's role may not take with 403: the
// page with the refusal, or for a script's fetch the JSON outcome.
func (h *Handler) forbid(w http.ResponseWriter, r *http.Request, action string, need auth.Role) {
	msg := refusal(r.Context(), action, need)
	if wantsJSON(r) {
		writeJSON(w, http.StatusForbidden, map[string]any{"message": msg, "error": true})
		return
	}
	h.render(w, r, http.StatusForbidden, page{Message: msg, MessageIsError: true})
}

// refuse answers an action a browser sent from another site: a fetch or
// form POST gets 403, a followed link the page with a button that does it.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, err error) {
	msg := "ERROR: refused a request from another site (" + err.Error() + ")"
	if wantsJSON(r) || r.Method == http.MethodPost {
		writeJSON(w, http.StatusForbidden, map[string]any{"message": msg, "error": true})
		return
	}
	confirm := url.Values{}
	for _, k := range []string{"action", "processname", "group"} {
		if v := r.Form.Get(k); v != "" {
			confirm.Set(k, v)
		}
	}
	h.render(w, r, http.StatusForbidden, page{Message: msg + ": confirm it below if you meant it.",
		MessageIsError: true, Confirm: confirm})
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, code int, p page) {
	p.Identifier, p.Version = h.opts.Identifier, rpcinterface.Version
	p.Groups = filtered(h.table(r.Context()), p.Filter)
	p.Operate = auth.Allowed(r.Context(), auth.Operate)
	p.Fleet = h.opts.Fleet != nil
	h.writePage(w, code, "status.html", p)
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"code":"INTERNAL","message":"cannot encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(b)
}

// quote is Python's urllib.quote, which the reference's redirect uses:
// everything but letters, digits, "_.-~" and "/" is escaped.
func quote(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("_.-~/", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// isError tells the messages reporting a failure, for their colour.
func isError(msg string) bool {
	for _, p := range []string{"ERROR", "unexpected rpc fault", "No such "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return strings.Contains(msg, " with errors: ")
}

// ctime is Python's time.ctime(), which dates the reference's messages.
func ctime() string { return time.Now().Format(time.ANSIC) }

// act performs a page action and words its outcome as the reference does.
// ok is false for an action it does not know.
func (h *Handler) act(ctx context.Context, form url.Values) (msg string, failed bool, ok bool) {
	action, spec := form.Get("action"), form.Get("processname")
	switch action {
	case "refresh":
		return "Page refreshed at " + ctime(), false, true
	case "stopall":
		outs, err := h.opts.Tree.StopAll(ctx, true)
		return withFailures("All stopped at "+ctime(), outs, err)
	case "startall":
		outs, err := h.opts.Tree.StartAll(ctx, true)
		return withFailures("All started at "+ctime(), outs, err)
	case "restartall":
		outs, err := h.opts.Tree.RestartAll(ctx, true)
		return withFailures("All restarted at "+ctime(), outs, err)
	case "startgroup", "stopgroup", "restartgroup":
		return h.groupAction(ctx, strings.TrimSuffix(action, "group"), form.Get("group"))
	case "rollinggroup":
		name := form.Get("group")
		outs, err := h.opts.Tree.RollingRestart(ctx, []string{name + ":*"}, 1, nil)
		return withFailures("Group "+name+" restarted one at a time", outs, err)
	case "scalegroup":
		name := form.Get("group")
		n, err := strconv.Atoi(strings.TrimSpace(form.Get("instances")))
		if err != nil || n < 0 {
			return "ERROR: scale " + name + ": instances must be a number of 0 or more", true, true
		}
		if err := h.opts.Tree.Scale(ctx, name, n); err != nil {
			return unexpected(err, name), true, true
		}
		return fmt.Sprintf("Group %s scaled to %d", name, n), false, true
	case "start", "stop", "restart", "clearlog", "enable": // with a name, as known checked
	default:
		return "", false, false
	}
	t, err := h.opts.Tree.Resolve(ctx, spec)
	if err != nil || t.Process == nil {
		return "No such process named " + spec, true, true
	}
	p := t.Process
	switch action {
	case "start":
		msg, failed = h.start(ctx, spec, p)
		return msg, failed, true
	case "stop":
		msg, failed = h.stop(ctx, spec, p)
		return msg, failed, true
	case "restart":
		// The reference runs stop then start and reports success whatever
		// happened; we report a start that failed.
		if msg, failed := h.stop(ctx, spec, p); failed && !strings.Contains(msg, "NOT_RUNNING") {
			return msg, true, true
		}
		if msg, failed := h.start(ctx, spec, p); failed {
			return msg, true, true
		}
		return "Process " + spec + " restarted", false, true
	case "enable":
		if err := h.opts.Tree.Enable(ctx, p.Group, p.Name, actors.OperatorFrom(ctx)); err != nil {
			return unexpected(err, spec), true, true
		}
		return "Process " + spec + " enabled", false, true
	default: // clearlog
		if err := h.opts.Tree.ClearLogs(ctx, p.Group, p.Name); err != nil {
			return unexpected(err, spec), true, true
		}
		return "Log for " + spec + " cleared", false, true
	}
}

// startFailures words a failed start as the reference's page does.
var startFailures = map[actors.Kind]string{
	actors.NoFile:         "no such file",
	actors.NotExecutable:  "file not executable",
	actors.AlreadyStarted: "already started",
	actors.SpawnError:     "spawn error",
	actors.Abnormal:       "abnormal termination",
}

func (h *Handler) start(ctx context.Context, spec string, p *conf.Process) (string, bool) {
	err := h.opts.Tree.Start(ctx, p.Group, p.Name, true)
	if err == nil {
		return "Process " + spec + " started", false
	}
	var e *actors.Error
	if errors.As(err, &e) && startFailures[e.Kind] != "" {
		return "ERROR: Process " + spec + ": " + startFailures[e.Kind], true
	}
	return "ERROR: Process " + spec + ": " + unexpected(err, spec), true
}

func (h *Handler) stop(ctx context.Context, spec string, p *conf.Process) (string, bool) {
	if err := h.opts.Tree.Stop(ctx, p.Group, p.Name, true); err != nil {
		return unexpected(err, spec), true
	}
	return "Process " + spec + " stopped", false
}

// groupAction starts, stops or restarts every process of a group.
func (h *Handler) groupAction(ctx context.Context, verb, name string) (string, bool, bool) {
	if t, err := h.opts.Tree.Resolve(ctx, name+":*"); err != nil || t.Process != nil {
		return "No such group named " + name, true, true
	}
	act := map[string]func(context.Context, string, bool) ([]actors.Outcome, error){
		"start": h.opts.Tree.StartGroup, "stop": h.opts.Tree.StopGroup, "restart": h.opts.Tree.RestartGroup}[verb]
	outs, err := act(ctx, name, true)
	done := map[string]string{"start": "started", "stop": "stopped", "restart": "restarted"}[verb]
	return withFailures("Group "+name+" "+done, outs, err)
}

// withFailures is msg, or msg and the processes a call about several
// failed on, or the call's own fault.
func withFailures(msg string, outs []actors.Outcome, err error) (string, bool, bool) {
	if err != nil {
		return unexpected(err, ""), true, true
	}
	var failed []string
	for _, o := range outs {
		if o.Err != nil {
			spec := conf.Namespec(o.Group, o.Name)
			_, text := rpcinterface.FaultOf(o.Err, spec)
			failed = append(failed, spec+": "+text)
		}
	}
	if len(failed) > 0 {
		return msg + " with errors: " + strings.Join(failed, "; "), true, true
	}
	return msg, false, true
}

// unexpected is the reference's wording of a fault it has no message for.
func unexpected(err error, spec string) string {
	code, text := rpcinterface.FaultOf(err, spec)
	return fmt.Sprintf("unexpected rpc fault [%d] %s", code, text)
}
