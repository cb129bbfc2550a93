package main

import (
	"slices"

	"supervisord/protocol/xmlrpc"
)

// The words of disable and enable for each result code, after "<name>: ".
var (
	disableWords = map[int]string{
		xmlrpc.FaultBadName: "ERROR (no such process)",
		xmlrpc.FaultFailed:  errorWithText,
		xmlrpc.FaultSuccess: "disabled",
	}
	enableWords = map[int]string{
		xmlrpc.FaultBadName: "ERROR (no such process)",
		xmlrpc.FaultFailed:  errorWithText,
		xmlrpc.FaultSuccess: "enabled",
	}
)

// doDisable stops processes and keeps them from starting until enabled;
// doEnable lifts that. Both act on names and groups (g:*), through
// methods of ours the reference lacks; neither takes "all", so that one
// word cannot keep every program down.
func (c *CLI) doDisable(arg string) (bool, error) {
	return c.intent(arg, "disable", helpDisable, processAction{group: "disableProcessGroup", process: "disableProcess",
		words: disableWords, ignored: -1, noGroupExit: exitGeneric, groupFailExit: exitGeneric})
}

func (c *CLI) doEnable(arg string) (bool, error) {
	return c.intent(arg, "enable", helpEnable, processAction{group: "enableProcessGroup", process: "enableProcess",
		words: enableWords, ignored: -1, noGroupExit: exitGeneric, groupFailExit: exitGeneric})
}

func (c *CLI) intent(arg, cmd string, help func(*CLI), a processAction) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	names := fields(arg)
	if len(names) == 0 || slices.Contains(names, "all") {
		c.badArgs("Error: "+cmd+" requires process or group names", help)
		return false, nil
	}
	cl, err := c.client()
	if err != nil {
		return false, err
	}
	if _, err := cl.Call("system.methodSignature", "supervisor."+a.process); err != nil {
		if f := asFault(err); f == nil {
			return false, err
		}
		c.output("ERROR: this supervisord cannot " + cmd + " processes")
		c.exitStatus = exitGeneric
		return false, nil
	}
	return false, c.act(a, names)
}

func helpDisable(c *CLI) {
	helpLines(c,
		"disable <name>\t\tStop a process and keep it from starting until enabled",
		"\t\t\t(autostart, start all, update, reload, a daemon restart)",
		"disable <gname>:*\tDisable every process of a group",
		"disable <name> <name>\tDisable several processes or groups")
}

func helpEnable(c *CLI) {
	helpLines(c,
		"enable <name>\t\tLet a disabled process start again (it is not started)",
		"enable <gname>:*\tEnable every process of a group",
		"enable <name> <name>\tEnable several processes or groups")
}
