package main

// The commands that act on processes: status, pid, start, stop, restart,
// signal and clear.

import (
	"slices"

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

// startResult is the line for one process's start result.
func startResult(name string, code int) (string, error) {
	switch code {
	case xmlrpc.FaultBadName:
		return name + ": ERROR (no such process)", nil
	case xmlrpc.FaultNoFile:
		return name + ": ERROR (no such file)", nil
	case xmlrpc.FaultNotExecutable:
		return name + ": ERROR (file is not executable)", nil
	case xmlrpc.FaultAlreadyStarted:
		return name + ": ERROR (already started)", nil
	case xmlrpc.FaultSpawnError:
		return name + ": ERROR (spawn error)", nil
	case xmlrpc.FaultAbnormalTermination:
		return name + ": ERROR (abnormal termination)", nil
	case xmlrpc.FaultSuccess:
		return name + ": started", nil
	}
	return "", unknownResult(name, code)
}

// unknownResult is the reference's assertion that a result code is one
// it knows.
func unknownResult(name string, code int) error {
	return &pyError{class: "ValueError", msg: "Unknown result code " + pyStr(code) + " for " + name, where: whereCtl}
}

// signalResult is the line for one process's signal or stop result.
func signalResult(name string, code int, description, success string) (string, error) {
	switch code {
	case xmlrpc.FaultBadName:
		return name + ": ERROR (no such process)", nil
	case xmlrpc.FaultBadSignal:
		return name + ": ERROR (bad signal name)", nil
	case xmlrpc.FaultNotRunning:
		return name + ": ERROR (not running)", nil
	case xmlrpc.FaultSuccess:
		return name + ": " + success, nil
	case xmlrpc.FaultFailed:
		return description, nil
	}
	return "", unknownResult(name, code)
}

// clearResult is the line for one process's clear result.
func clearResult(name string, code int) (string, error) {
	switch code {
	case xmlrpc.FaultBadName:
		return name + ": ERROR (no such process)", nil
	case xmlrpc.FaultFailed:
		return name + ": ERROR (failed)", nil
	case xmlrpc.FaultSuccess:
		return name + ": cleared", nil
	}
	return "", unknownResult(name, code)
}

// showResults prints the per-process results of an "all" or group
// command, line by line, setting the exit status from each.
func (c *CLI) showResults(v any, ignored int, line func(name string, info procInfo) (string, error)) error {
	for _, r := range infos(v) {
		s, err := line(r.namespec(), r)
		if err != nil {
			return err
		}
		c.output(s)
		c.setExitFromFault(r.num("status"), ignored)
	}
	return nil
}

func (c *CLI) doStart(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	names := fields(arg)
	if _, err := c.client(); err != nil {
		return false, err
	}
	if len(names) == 0 {
		c.output("Error: start requires a process name")
		c.exitStatus = exitInvalidArgs
		helpStart(c)
		return false, nil
	}
	line := func(name string, r procInfo) (string, error) { return startResult(name, r.num("status")) }
	if slices.Contains(names, "all") {
		v, err := c.call("startAllProcesses")
		if err != nil {
			return false, err
		}
		return false, c.showResults(v, xmlrpc.FaultAlreadyStarted, line)
	}
	for _, name := range names {
		group, proc := conf.SplitNamespec(name)
		if proc == "" {
			v, err := c.call("startProcessGroup", group)
			if err != nil {
				if f := asFault(err); f != nil && f.Code == xmlrpc.FaultBadName {
					c.output(group + ": ERROR (no such group)")
					c.exitStatus = exitInvalidArgs
					continue
				}
				c.exitStatus = exitGeneric
				return false, err
			}
			if err := c.showResults(v, xmlrpc.FaultAlreadyStarted, line); err != nil {
				return false, err
			}
			continue
		}
		if _, err := c.call("startProcess", name); err != nil {
			f := asFault(err)
			if f == nil {
				return false, err
			}
			s, err := startResult(conf.Namespec(group, proc), f.Code)
			if err != nil {
				return false, err
			}
			c.output(s)
			c.setExitFromFault(f.Code, xmlrpc.FaultAlreadyStarted)
			continue
		}
		c.output(conf.Namespec(group, proc) + ": started")
	}
	return false, nil
}

func (c *CLI) doStop(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	names := fields(arg)
	if _, err := c.client(); err != nil {
		return false, err
	}
	if len(names) == 0 {
		c.output("Error: stop requires a process name")
		c.exitStatus = exitGeneric
		helpStop(c)
		return false, nil
	}
	line := func(name string, r procInfo) (string, error) {
		return signalResult(name, r.num("status"), r.str("description"), "stopped")
	}
	if slices.Contains(names, "all") {
		v, err := c.call("stopAllProcesses")
		if err != nil {
			return false, err
		}
		return false, c.showResults(v, xmlrpc.FaultNotRunning, line)
	}
	for _, name := range names {
		group, proc := conf.SplitNamespec(name)
		if proc == "" {
			v, err := c.call("stopProcessGroup", group)
			if err != nil {
				c.exitStatus = exitGeneric
				if f := asFault(err); f != nil && f.Code == xmlrpc.FaultBadName {
					c.output(group + ": ERROR (no such group)")
					continue
				}
				return false, err
			}
			if err := c.showResults(v, xmlrpc.FaultNotRunning, line); err != nil {
				return false, err
			}
			continue
		}
		if _, err := c.call("stopProcess", name); err != nil {
			f := asFault(err)
			if f == nil {
				return false, err
			}
			s, err := signalResult(conf.Namespec(group, proc), f.Code, f.String, "stopped")
			if err != nil {
				return false, err
			}
			c.output(s)
			c.setExitFromFault(f.Code, xmlrpc.FaultNotRunning)
			continue
		}
		c.output(conf.Namespec(group, proc) + ": stopped")
	}
	return false, nil
}

func (c *CLI) doSignal(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	args := fields(arg)
	if len(args) < 2 {
		c.output("Error: signal requires a signal name and a process name")
		helpSignal(c)
		c.exitStatus = exitGeneric
		return false, nil
	}
	sig, names := args[0], args[1:]
	line := func(name string, r procInfo) (string, error) {
		return signalResult(name, r.num("status"), r.str("description"), "signalled")
	}
	if slices.Contains(names, "all") {
		v, err := c.call("signalAllProcesses", sig)
		if err != nil {
			return false, err
		}
		return false, c.showResults(v, -1, line)
	}
	for _, name := range names {
		group, proc := conf.SplitNamespec(name)
		if proc == "" {
			v, err := c.call("signalProcessGroup", group, sig)
			if err != nil {
				if f := asFault(err); f != nil && f.Code == xmlrpc.FaultBadName {
					c.output(group + ": ERROR (no such group)")
					c.exitStatus = exitGeneric
					continue
				}
				return false, err
			}
			if err := c.showResults(v, -1, line); err != nil {
				return false, err
			}
			continue
		}
		if _, err := c.call("signalProcess", name, sig); err != nil {
			f := asFault(err)
			if f == nil {
				return false, err
			}
			s, err := signalResult(conf.Namespec(group, proc), f.Code, f.String, "signalled")
			if err != nil {
				return false, err
			}
			c.output(s)
			c.setExitFromFault(f.Code, -1)
			continue
		}
		c.output(conf.Namespec(group, proc) + ": signalled")
	}
	return false, nil
}

func (c *CLI) doRestart(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	if len(fields(arg)) == 0 {
		c.output("Error: restart requires a process name")
		c.exitStatus = exitGeneric
		helpRestart(c)
		return false, nil
	}
	if _, err := c.doStop(arg); err != nil {
		return false, err
	}
	return c.doStart(arg)
}

func (c *CLI) doClear(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	names := fields(arg)
	if len(names) == 0 {
		c.output("Error: clear requires a process name")
		c.exitStatus = exitGeneric
		helpClear(c)
		return false, nil
	}
	if slices.Contains(names, "all") {
		v, err := c.call("clearAllProcessLogs")
		if err != nil {
			return false, err
		}
		return false, c.showResults(v, -1, func(name string, r procInfo) (string, error) {
			return clearResult(name, r.num("status"))
		})
	}
	for _, name := range names {
		group, proc := conf.SplitNamespec(name)
		shown := pyNamespec(group, proc)
		if _, err := c.call("clearProcessLogs", name); err != nil {
			f := asFault(err)
			if f == nil {
				return false, err
			}
			s, err := clearResult(shown, f.Code)
			if err != nil {
				return false, err
			}
			c.output(s)
			c.setExitFromFault(f.Code, -1)
			continue
		}
		c.output(shown + ": cleared")
	}
	return false, nil
}
