package main

// fleet: the nodes of the fleet the daemon is in, and their processes,
// through the daemon's fleet.* methods, and the nodes' logs and events
// merged, through its JSON API's streams (/api/v1/fleet/log and
// /api/v1/fleet/events) on the same server.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"supervisord/conf"
	"supervisord/protocol/selector"
	"supervisord/protocol/xmlrpc"
)

// fleetSubcommands are fleet's subcommands, which the shell completes.
var fleetSubcommands = []string{"events", "nodes", "restart", "signal", "start", "status", "stop", "tail"}

func (c *CLI) doFleet(arg string) (bool, error) {
	words := splitQuoted(arg)
	if len(words) == 0 {
		c.badArgs("Error: fleet requires a subcommand", helpFleet)
		return false, nil
	}
	sub, rest := words[0], words[1:]
	if !slices.Contains(fleetSubcommands, sub) {
		c.badArgs("Error: unknown fleet subcommand "+conf.PyRepr(sub), helpFleet)
		return false, nil
	}
	args, err := parseFleetArgs(rest, sub == "tail")
	if err != nil {
		c.badArgs("Error: "+err.Error(), nil)
		return false, nil
	}
	if ok, err := c.upcheck(); !ok {
		if sub == "status" && err == nil {
			c.exitStatus = statusUnknown // as status says of a daemon it cannot reach
		}
		return false, err
	}
	switch sub {
	case "nodes":
		return false, c.fleetNodes(args)
	case "status":
		return false, c.fleetStatus(args)
	case "start", "stop", "restart":
		return false, c.fleetAct(sub, args)
	case "signal":
		return false, c.fleetSignal(args)
	case "tail":
		return false, c.fleetTail(args)
	default: // events
		return false, c.fleetEvents(args)
	}
}

// fleetArgs are a fleet subcommand's words: -l SELECTOR, -f, and the rest.
type fleetArgs struct {
	selector string
	follow   bool
	words    []string
}

// parseFleetArgs reads -l SELECTOR (or -lSELECTOR) anywhere among words,
// and -f where follow is taken. A selector's words are taken together as
// far as the selector goes on ("role in (web, api)" arrives as four words
// once the command line is joined and split again), and it must parse.
func parseFleetArgs(words []string, follow bool) (fleetArgs, error) {
	var a fleetArgs
	given := false
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "-f" && follow:
			a.follow = true
		case strings.HasPrefix(w, "-l"):
			if given {
				return a, errors.New("-l is given twice")
			}
			given = true
			sel := strings.TrimPrefix(w, "-l")
			if sel == "" {
				if i++; i == len(words) {
					return a, errors.New("-l requires a selector, such as role=web")
				}
				sel = words[i]
			}
			for i+1 < len(words) && selectorGoesOn(sel, words[i+1]) {
				i++
				sel += " " + words[i]
			}
			if _, err := selector.Parse(sel); err != nil {
				return a, err
			}
			a.selector = sel
		case len(w) > 1 && w[0] == '-':
			return a, errors.New("unknown option " + w)
		default:
			a.words = append(a.words, w)
		}
	}
	return a, nil
}

// selectorGoesOn reports whether the word next continues the selector
// read so far: inside parentheses, around in, notin, = and !=, and after
// or before a comma.
func selectorGoesOn(sel, next string) bool {
	fs := fields(sel)
	last := fs[len(fs)-1]
	return strings.Count(sel, "(") > strings.Count(sel, ")") ||
		next == "in" || next == "notin" || last == "in" || last == "notin" ||
		strings.HasPrefix(next, "(") || strings.HasPrefix(next, ",") || strings.HasSuffix(sel, ",") ||
		strings.HasPrefix(next, "=") || strings.HasPrefix(next, "!=") || strings.HasSuffix(sel, "=")
}

// splitQuoted splits a line into words at white space, as fields does,
// except inside single or double quotes, which are taken out: a selector
// with spaces can be quoted in the shell.
func splitQuoted(s string) []string {
	var words []string
	var w strings.Builder
	in, quote := false, rune(0)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

// fleetCall calls a fleet.* method. A fault is said as "ERROR: <fault>"
// with exit status 1 and comes back as ok false; a daemon without the
// fleet.* methods is said so.
func (c *CLI) fleetCall(method string, params ...any) (v any, ok bool, err error) {
	cl, err := c.client()
	if err != nil {
		return nil, false, err
	}
	v, err = cl.Call("fleet."+method, params...)
	f := asFault(err)
	switch {
	case f != nil && f.Code == xmlrpc.FaultUnknownMethod:
		c.output("ERROR: this supervisord cannot answer for a fleet")
	case f != nil:
		c.output("ERROR: " + f.String)
	case err != nil:
		return nil, false, err
	default:
		return v, true, nil
	}
	c.exitStatus = exitGeneric
	return nil, false, nil
}

func (c *CLI) fleetNodes(a fleetArgs) error {
	if a.selector != "" || len(a.words) > 0 {
		c.badArgs("Error: fleet nodes accepts no arguments", helpFleet)
		return nil
	}
	v, ok, err := c.fleetCall("getNodes")
	if !ok {
		return err
	}
	for _, line := range formatNodes(infos(v), c.now()) {
		c.output(line)
	}
	return nil
}

// formatNodes is fleet nodes' table: a header, then a line per node, its
// columns two spaces apart; this node's name is marked with a *.
func formatNodes(nodes []procInfo, now time.Time) []string {
	rows := [][]string{{"NAME", "LABELS", "ADDRESS", "STATE", "LAST SEEN"}}
	for _, n := range nodes {
		name, seen := n.str("name"), "never"
		if truthy(n["self"]) {
			name, seen = name+"*", "-"
		} else if at := n.num("last_seen"); at > 0 {
			seen = ago(now.Sub(time.Unix(int64(at), 0)))
		}
		var labels []string
		m, _ := n["labels"].(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			labels = append(labels, k+"="+pyStr(m[k]))
		}
		shown := strings.Join(labels, ",")
		rows = append(rows, []string{name, orDash(shown), orDash(n.str("address")), orDash(n.str("state")), seen})
	}
	return table(rows)
}

// orDash is s, or "-" for nothing, so that every column has a word.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// table lays rows out in columns two spaces apart, each as wide as its
// widest cell (the last one not padded).
func table(rows [][]string) []string {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	out := make([]string, len(rows))
	for r, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			if i == len(row)-1 {
				b.WriteString(cell)
				break
			}
			b.WriteString(ljust(cell, widths[i]+2))
		}
		out[r] = b.String()
	}
	return out
}

// ago is how long ago something was, in its largest whole unit: "2s ago",
// "5m ago", "3h ago", "4d ago" (hours up to two days).
func ago(d time.Duration) string {
	d = max(d, 0)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
}

func (c *CLI) fleetStatus(a fleetArgs) error {
	names := a.words
	if slices.Contains(names, "all") {
		names = nil
	}
	v, ok, err := c.fleetCall("getAllProcessInfo", a.selector, stringsAny(names))
	if !ok {
		return err
	}
	lines, status := formatFleetStatus(infos(v))
	for _, line := range lines {
		c.output(line)
	}
	c.exitStatus = status
	return nil
}

func stringsAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// nodeProblem is what a node's entry says when it did not answer: the
// state word (UNREACHABLE, or ERROR for another failure) and its error;
// "" for a node that answered.
func nodeProblem(n procInfo) (word, text string) {
	text = n.str("error")
	switch {
	case truthy(n["unreachable"]):
		return "UNREACHABLE", text
	case text != "":
		return "ERROR", text
	}
	return "", ""
}

// formatFleetStatus is fleet status's lines: a line per node and process,
// the node first, then the name, state and description columns as status
// lays them out (the name column three wider than the longest name, at
// least 33; the state column 10, wider when a node is UNREACHABLE). A
// node that did not answer has one line, "-" for its name. The exit
// status is 4 when a node did not answer (its processes' states are
// unknown, as status says of a daemon it cannot reach), else 3 when a
// process is not running, as status's, else 0.
func formatFleetStatus(nodes []procInfo) (lines []string, status int) {
	type row struct{ node, name, state, desc string }
	var rows []row
	for _, n := range nodes {
		node := n.str("node")
		if word, text := nodeProblem(n); word != "" {
			rows = append(rows, row{node, "-", word, text})
			status = statusUnknown
			continue
		}
		procs, _ := n["processes"].([]any)
		for _, p := range infos(procs) {
			rows = append(rows, row{node, p.namespec(), p.str("statename"), p.str("description")})
			switch p.num("state") {
			case stateStopped, stateExited, stateFatal, stateUnknown:
				if status == 0 {
					status = statusNotRunning
				}
			}
		}
	}
	nodeWidth, nameWidth, stateWidth := 0, 30, 10
	for _, r := range rows {
		nodeWidth = max(nodeWidth, utf8.RuneCountInString(r.node))
		nameWidth = max(nameWidth, utf8.RuneCountInString(r.name))
		stateWidth = max(stateWidth, utf8.RuneCountInString(r.state)+2)
	}
	for _, r := range rows {
		lines = append(lines, ljust(r.node, nodeWidth+2)+ljust(r.name, nameWidth+3)+ljust(r.state, stateWidth)+r.desc)
	}
	return lines, status
}

// fleetVerbs are the actions' methods, words and the fault each leaves
// the exit status alone for, as start, stop and signal have them.
var fleetVerbs = map[string]struct {
	method  string
	words   map[int]string
	ignored int
}{
	"start":   {"startProcesses", startWords, xmlrpc.FaultAlreadyStarted},
	"stop":    {"stopProcesses", stopWords, xmlrpc.FaultNotRunning},
	"restart": {"restartProcesses", restartWords, -1},
	"signal":  {"signalProcesses", signalledWords, -1},
}

// restartWords are start's, a success being "restarted".
var restartWords = func() map[int]string {
	m := map[int]string{xmlrpc.FaultNotRunning: "ERROR (not running)"}
	for code, w := range startWords {
		m[code] = w
	}
	m[xmlrpc.FaultSuccess] = "restarted"
	return m
}()

func (c *CLI) fleetAct(verb string, a fleetArgs) error {
	if len(a.words) == 0 {
		c.badArgs("Error: fleet "+verb+" requires a process name", helpFleet)
		return nil
	}
	return c.fleetDo(verb, a.selector, a.words)
}

func (c *CLI) fleetSignal(a fleetArgs) error {
	if len(a.words) < 2 {
		c.badArgs("Error: fleet signal requires a signal name and a process name", helpFleet)
		return nil
	}
	return c.fleetDo("signal", a.selector, a.words[1:], a.words[0])
}

// fleetDo runs an action (signal: its signal before the names) and shows
// its results.
func (c *CLI) fleetDo(verb, sel string, names []string, signal ...string) error {
	vb := fleetVerbs[verb]
	params := []any{sel}
	for _, s := range signal {
		params = append(params, s)
	}
	v, ok, err := c.fleetCall(vb.method, append(params, stringsAny(names))...)
	if !ok {
		return err
	}
	lines, codes := formatFleetResults(infos(v), vb.words)
	for _, line := range lines {
		c.output(line)
	}
	for _, code := range codes {
		c.setExitFromFault(code, vb.ignored)
	}
	return nil
}

// nodeFailed stands for a node that did not answer among the result
// codes formatFleetResults returns: a failure, as setExitFromFault has it.
const nodeFailed = -2

// formatFleetResults is an action's lines: "node  name: word" per process,
// the node column as wide as the longest node's name plus two, the words
// those of the local command, and "ERROR (description)" for a code it has
// none for; a result for a whole group (no name) is named by the group,
// as start names a group it does not find. A node that did not answer is
// "node  UNREACHABLE (error)" or "node  ERROR (error)". codes are the
// results' codes, nodeFailed for such a node.
func formatFleetResults(nodes []procInfo, words map[int]string) (lines []string, codes []int) {
	width := 0
	for _, n := range nodes {
		width = max(width, utf8.RuneCountInString(n.str("node")))
	}
	for _, n := range nodes {
		node := ljust(n.str("node"), width+2)
		if word, text := nodeProblem(n); word != "" {
			lines = append(lines, node+word+" ("+text+")")
			codes = append(codes, nodeFailed)
			continue
		}
		results, _ := n["results"].([]any)
		for _, r := range infos(results) {
			code := r.num("status")
			name, w := r.namespec(), words[code]
			if r.str("name") == "" { // a whole group
				name = r.str("group")
				if code == xmlrpc.FaultBadName {
					w = "ERROR (no such group)"
				}
			}
			if w == "" {
				w = "ERROR (" + r.str("description") + ")"
			}
			lines = append(lines, node+name+": "+w)
			codes = append(codes, code)
		}
	}
	return lines, codes
}

// fleetTail follows a process's log (stdout unless told), or the main
// logs, on the selected nodes: each line "node | text".
func (c *CLI) fleetTail(a fleetArgs) error {
	if !a.follow {
		c.badArgs("Error: fleet tail only follows: fleet tail -f [-l SELECTOR] [NAME [stdout|stderr]]", helpFleet)
		return nil
	}
	q := url.Values{}
	if a.selector != "" {
		q.Set("selector", a.selector)
	}
	switch len(a.words) {
	case 0:
	case 1, 2:
		q.Set("name", a.words[0])
		if len(a.words) == 2 {
			stream := strings.ToLower(a.words[1])
			if stream != "stdout" && stream != "stderr" {
				c.badArgs("Error: bad channel "+conf.PyRepr(a.words[1]), nil)
				return nil
			}
			q.Set("stream", stream)
		}
	default:
		c.badArgs("Error: too many arguments", helpFleet)
		return nil
	}
	return c.fleetFollow("/api/v1/fleet/log", q, func(_, data string) {
		var l struct{ Node, Text string }
		if json.Unmarshal([]byte(data), &l) != nil {
			return
		}
		for _, line := range tailLines(l.Node, l.Text) {
			c.output(line)
		}
	})
}

// tailLines is a log line of a node as fleet tail shows it: "node | text",
// a line each if the text holds several.
func tailLines(node, text string) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		out = append(out, node+" | "+line)
	}
	return out
}

// fleetEvents shows the events of the selected nodes (of the types given,
// and their subtypes): "node TYPE {payload}".
func (c *CLI) fleetEvents(a fleetArgs) error {
	q := url.Values{}
	if a.selector != "" {
		q.Set("selector", a.selector)
	}
	if len(a.words) > 0 {
		q.Set("types", strings.Join(a.words, ","))
	}
	return c.fleetFollow("/api/v1/fleet/events", q, func(event, data string) {
		if line, ok := eventLine(event, data); ok {
			c.output(line)
		}
	})
}

// eventLine is an event of the fleet's stream as fleet events shows it.
func eventLine(event, data string) (string, bool) {
	var e struct {
		Node    string
		Payload json.RawMessage
	}
	if event == "" || json.Unmarshal([]byte(data), &e) != nil {
		return "", false
	}
	return e.Node + " " + event + " " + string(e.Payload), true
}

// fleetFollow asks the daemon whether it is in a fleet, then shows the
// stream at path until it ends or Ctrl-C, each event handed to show.
func (c *CLI) fleetFollow(path string, q url.Values, show func(event, data string)) error {
	if _, ok, err := c.fleetCall("getNodes"); !ok {
		return err
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	ctx, release := c.catchInterrupt()
	defer release()
	c.output("==> Press Ctrl-C to exit <==")
	c.followEvents(ctx, path, show)
	if ctx.Err() != nil {
		c.output("")
	}
	return nil
}

// followEvents reads the server-sent events at path until the stream ends
// or ctx is done. A stream that does not open is said so: the API's own
// message when it sends one, exit status 1.
func (c *CLI) followEvents(ctx context.Context, path string, show func(event, data string)) {
	resp, ok := c.openStream(ctx, path)
	if !ok {
		if ctx.Err() == nil {
			c.exitStatus = exitGeneric
		}
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct{ Message string }
		if json.NewDecoder(resp.Body).Decode(&e) == nil && e.Message != "" {
			c.output("ERROR: " + e.Message)
		} else {
			c.output(fmt.Sprintf("ERROR: %s answered %d", c.opts.ServerURL+path, resp.StatusCode))
		}
		c.exitStatus = exitGeneric
		return
	}
	r := bufio.NewReader(resp.Body)
	var event, data string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		switch {
		case line == "":
			if data != "" {
				show(event, data)
			}
			event, data = "", ""
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimPrefix(strings.TrimPrefix(line, "event:"), " ")
		case strings.HasPrefix(line, "data:"):
			data = strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")
		}
	}
}

func helpFleet(c *CLI) {
	helpLines(c,
		"fleet nodes\t\t\t\tList the fleet's nodes (* marks this one)",
		"fleet status [-l SELECTOR] [<name> ...]\tShow the processes of the selected nodes",
		"fleet start [-l SELECTOR] <name> ...\tStart processes on the selected nodes",
		"fleet stop [-l SELECTOR] <name> ...\tStop processes on the selected nodes",
		"fleet restart [-l SELECTOR] <name> ...\tStop, then start, processes on the selected nodes",
		"fleet signal <signal> [-l SELECTOR] <name> ...",
		"\t\t\t\t\tSend processes on the selected nodes a signal",
		"fleet tail -f [-l SELECTOR] [<name> [stdout|stderr]]",
		"\t\t\t\t\tFollow a process's output (or, without a name,",
		"\t\t\t\t\tthe main logs) on the selected nodes until Ctrl-C",
		"fleet events [-l SELECTOR] [<type> ...]\tShow the selected nodes' events until Ctrl-C",
		"SELECTOR picks nodes by their labels: role=web, zone!=b, role in (web,api),",
		"canary, !canary; several joined by commas must all hold. Without -l, every node.",
		"Names are as start takes them: <name>, <gname>:<name>, <gname>:*.")
}
