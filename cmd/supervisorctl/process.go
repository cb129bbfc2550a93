package main

// The commands that act on processes: status, pid, start, stop, restart,
// signal and clear.

import (
	"slices"
	"strconv"
	"strings"

	"supervisord/conf"
	"supervisord/protocol/xmlrpc"
)

func (c *CLI) doStatus(arg string) (bool, error) {
	ok, err := c.upcheck()
	if err != nil {
		return false, err
	}
	if !ok {
		// status reports an unreachable daemon with the LSB status code.
		c.exitStatus = statusUnknown
		return false, nil
	}
	v, err := c.call("getAllProcessInfo")
	if err != nil {
		return false, err
	}
	all := infos(v)
	names := fields(arg)
	matching := all
	if len(names) > 0 && !slices.Contains(names, "all") {
		matching = nil
		for _, name := range names {
			group, proc := conf.SplitNamespec(name)
			found := false
			for _, info := range all {
				if info.str("group") == group && (proc == "" || info.str("name") == proc) {
					found = true
					matching = append(matching, info)
				}
			}
			if !found {
				if proc != "" {
					c.output(name + ": ERROR (no such process)")
				} else {
					c.output(group + ": ERROR (no such group)")
				}
				c.exitStatus = statusUnknown
			}
		}
	}
	c.showStatuses(matching)
	for _, info := range matching {
		switch info.num("state") {
		case stateStopped, stateExited, stateFatal, stateUnknown:
			c.exitStatus = statusNotRunning
		}
	}
	return false, nil
}

// Process states as the daemon numbers them.
const (
	stateStopped = 0
	stateRunning = 20
	stateExited  = 100
	stateFatal   = 200
	stateUnknown = 1000
)

func (c *CLI) doPid(arg string) (bool, error) {
	if _, err := c.client(); err != nil {
		return false, err
	}
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	names := fields(arg)
	switch {
	case len(names) == 0:
		v, err := c.call("getPID")
		if err != nil {
			return false, err
		}
		c.output(pyStr(v))
	case slices.Contains(names, "all"):
		v, err := c.call("getAllProcessInfo")
		if err != nil {
			return false, err
		}
		for _, info := range infos(v) {
			c.output(pyStr(info["pid"]))
		}
	default:
		for _, name := range names {
			v, err := c.call("getProcessInfo", name)
			if err != nil {
				c.exitStatus = exitGeneric
				if f := asFault(err); f != nil && f.Code == xmlrpc.FaultBadName {
					c.output("No such process " + name)
					continue
				}
				return false, err
			}
			info := procInfo(asMap(v))
			c.output(pyStr(info["pid"]))
			if info.num("pid") == 0 {
				c.exitStatus = exitNotRunning
			}
		}
	}
	return false, nil
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// The words for each result code of a process's start, stop, signal and
// clear, after "<name>: "; "" stands for the fault's own description,
// alone.
var (
	startWords = map[int]string{
		xmlrpc.FaultBadName:             "ERROR (no such process)",
		xmlrpc.FaultNoFile:              "ERROR (no such file)",
		xmlrpc.FaultNotExecutable:       "ERROR (file is not executable)",
		xmlrpc.FaultAlreadyStarted:      "ERROR (already started)",
		xmlrpc.FaultSpawnError:          "ERROR (spawn error)",
		xmlrpc.FaultAbnormalTermination: "ERROR (abnormal termination)",
		xmlrpc.FaultFailed:              errorWithText, // a disabled process, refused
		xmlrpc.FaultSuccess:             "started",
	}
	stopWords      = signalWords("stopped")
	signalledWords = signalWords("signalled")
	clearWords     = map[int]string{
		xmlrpc.FaultBadName: "ERROR (no such process)",
		xmlrpc.FaultFailed:  "ERROR (failed)",
		xmlrpc.FaultSuccess: "cleared",
	}
)

func signalWords(success string) map[int]string {
	return map[int]string{
		xmlrpc.FaultBadName:    "ERROR (no such process)",
		xmlrpc.FaultBadSignal:  "ERROR (bad signal name)",
		xmlrpc.FaultNotRunning: "ERROR (not running)",
		xmlrpc.FaultSuccess:    success,
		xmlrpc.FaultFailed:     "",
	}
}

// errorWithText words a fault as "ERROR (its text)", without the code's
// name: "web: ERROR (disabled; enable it first)".
const errorWithText = "ERROR (text)"

// result is the line for one process's result code. A code words does
// not know is the reference's assertion failure, but for FORBIDDEN, our
// daemon's refusal of a role, shown with its text.
func result(words map[int]string, name string, code int, description string) (string, error) {
	w, ok := words[code]
	switch {
	case code == xmlrpc.FaultForbidden:
		return name + ": ERROR (" + description + ")", nil
	case !ok:
		return "", &pyError{class: "ValueError", msg: "Unknown result code " + pyStr(code) + " for " + name, where: whereCtl}
	case w == "":
		return description, nil
	case w == errorWithText:
		return name + ": ERROR (" + strings.TrimPrefix(description, "FAILED: ") + ")", nil
	}
	return name + ": " + w, nil
}

// showResults prints the per-process results of an "all" or group
// command, line by line, setting the exit status from each.
func (c *CLI) showResults(v any, ignored int, words map[int]string) error {
	for _, r := range infos(v) {
		s, err := result(words, r.namespec(), r.num("status"), r.str("description"))
		if err != nil {
			return err
		}
		c.output(s)
		c.setExitFromFault(r.num("status"), ignored)
	}
	return nil
}

// processAction is what start, stop and signal do with the names they
// are given, which the reference's commands each spell out: "all" is one
// call, a whole group ("g:*") its group call, a process its own.
type processAction struct {
	all, group, process string // the methods
	params              []any  // after the name: signal's signal
	words               map[int]string
	ignored             int // the fault that leaves the exit status alone; -1 for none
	noGroupExit         int // the exit status when a group does not exist
	groupFailExit       int // when a group call fails otherwise; -1 leaves it
}

func (c *CLI) act(a processAction, names []string) error {
	if slices.Contains(names, "all") {
		v, err := c.call(a.all, a.params...)
		if err != nil {
			return err
		}
		return c.showResults(v, a.ignored, a.words)
	}
	for _, name := range names {
		group, proc := conf.SplitNamespec(name)
		if proc == "" {
			v, err := c.call(a.group, append([]any{group}, a.params...)...)
			if err != nil {
				if f := asFault(err); f != nil && f.Code == xmlrpc.FaultBadName {
					c.output(group + ": ERROR (no such group)")
					c.exitStatus = a.noGroupExit
					continue
				}
				if a.groupFailExit >= 0 {
					c.exitStatus = a.groupFailExit
				}
				return err
			}
			if err := c.showResults(v, a.ignored, a.words); err != nil {
				return err
			}
			continue
		}
		code, description := xmlrpc.FaultSuccess, ""
		if _, err := c.call(a.process, append([]any{name}, a.params...)...); err != nil {
			f := asFault(err)
			if f == nil {
				return err
			}
			code, description = f.Code, f.String
		}
		s, err := result(a.words, conf.Namespec(group, proc), code, description)
		if err != nil {
			return err
		}
		c.output(s)
		c.setExitFromFault(code, a.ignored)
	}
	return nil
}

func (c *CLI) doStart(arg string) (bool, error) {
	return c.startOrStop(arg, "start", exitInvalidArgs, helpStart, processAction{all: "startAllProcesses",
		group: "startProcessGroup", process: "startProcess", words: startWords, ignored: xmlrpc.FaultAlreadyStarted,
		noGroupExit: exitInvalidArgs, groupFailExit: exitGeneric})
}

func (c *CLI) doStop(arg string) (bool, error) {
	return c.startOrStop(arg, "stop", exitGeneric, helpStop, processAction{all: "stopAllProcesses",
		group: "stopProcessGroup", process: "stopProcess", words: stopWords, ignored: xmlrpc.FaultNotRunning,
		noGroupExit: exitGeneric, groupFailExit: exitGeneric})
}

// startOrStop runs start or stop (cmd), which need a name: without one
// they say so with their help and exit status noNameExit.
func (c *CLI) startOrStop(arg, cmd string, noNameExit int, help func(*CLI), a processAction) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	names := fields(arg)
	if _, err := c.client(); err != nil {
		return false, err
	}
	if len(names) == 0 {
		c.output("Error: " + cmd + " requires a process name")
		c.exitStatus = noNameExit
		help(c)
		return false, nil
	}
	return false, c.act(a, names)
}

func (c *CLI) doSignal(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	args := fields(arg)
	if len(args) < 2 {
		c.badArgs("Error: signal requires a signal name and a process name", helpSignal)
		return false, nil
	}
	return false, c.act(processAction{all: "signalAllProcesses", group: "signalProcessGroup", process: "signalProcess",
		params: []any{args[0]}, words: signalledWords, ignored: -1, noGroupExit: exitGeneric, groupFailExit: -1}, args[1:])
}

func (c *CLI) doRestart(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	if len(fields(arg)) == 0 {
		c.badArgs("Error: restart requires a process name", helpRestart)
		return false, nil
	}
	if args := fields(arg); slices.Contains(args, "--rolling") {
		return false, c.rollingRestart(args)
	}
	if _, err := c.doStop(arg); err != nil {
		return false, err
	}
	return c.doStart(arg)
}

// rollingRestart is restart --rolling [--max-unavailable K] NAME...:
// the daemon restarts K at a time, each batch running before the next,
// and stops at the first that does not come back.
func (c *CLI) rollingRestart(args []string) error {
	k := 1
	var names []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--rolling":
		case a == "--max-unavailable" || strings.HasPrefix(a, "--max-unavailable="):
			v, ok := strings.CutPrefix(a, "--max-unavailable=")
			if !ok {
				if i+1 == len(args) {
					c.badArgs("Error: --max-unavailable needs a number", helpRestart)
					return nil
				}
				i++
				v = args[i]
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				c.badArgs("Error: --max-unavailable takes a number of 1 or more, not "+pyStr(v), helpRestart)
				return nil
			}
			k = n
		case strings.HasPrefix(a, "--"):
			c.badArgs("Error: restart does not take "+a, helpRestart)
			return nil
		default:
			names = append(names, a)
		}
	}
	if len(names) == 0 {
		c.badArgs("Error: restart requires a process name", helpRestart)
		return nil
	}
	v, err := c.call("rollingRestart", names, k)
	if err != nil {
		return err
	}
	for _, r := range infos(v) {
		code := r.num("status")
		line := r.namespec() + ": ERROR (" + r.str("description") + ")"
		if code != xmlrpc.FaultFailed {
			if line, err = result(restartWords, r.namespec(), code, r.str("description")); err != nil {
				return err
			}
		}
		c.output(line)
		c.setExitFromFault(code, -1)
	}
	return nil
}

func (c *CLI) doClear(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	names := fields(arg)
	if len(names) == 0 {
		c.badArgs("Error: clear requires a process name", helpClear)
		return false, nil
	}
	if slices.Contains(names, "all") {
		v, err := c.call("clearAllProcessLogs")
		if err != nil {
			return false, err
		}
		return false, c.showResults(v, -1, clearWords)
	}
	for _, name := range names {
		shown := pyNamespec(conf.SplitNamespec(name))
		code := xmlrpc.FaultSuccess
		if _, err := c.call("clearProcessLogs", name); err != nil {
			f := asFault(err)
			if f == nil {
				return false, err
			}
			code = f.Code
		}
		s, err := result(clearWords, shown, code, "")
		if err != nil {
			return false, err
		}
		c.output(s)
		c.setExitFromFault(code, -1)
	}
	return false, nil
}
