package main

// The commands that act on the daemon and its configuration: avail,
// reread, add, remove, update, reload and shutdown.

import (
	"errors"
	"slices"
	"strings"

	"supervisord/protocol/xmlrpc"
)

// confirm asks a yes/no question in interactive use; otherwise the answer
// is yes.
func (c *CLI) confirm(question string) (yes, ok bool) {
	if !c.opts.Interactive {
		return true, true
	}
	answer, err := c.lines.readLine(question)
	if err != nil {
		c.inputFailed(err)
		return false, false
	}
	return strings.HasPrefix(strings.ToLower(answer), "y"), true
}

func (c *CLI) doShutdown(arg string) (bool, error) {
	if !c.noArgs("shutdown", arg, helpShutdown) {
		return false, nil
	}
	yes, ok := c.confirm("Really shut the remote supervisord process down y/N? ")
	if !ok || !yes {
		return false, nil
	}
	if _, err := c.call("shutdown"); err != nil {
		if f := asFault(err); f != nil {
			if f.Code == xmlrpc.FaultShutdownState {
				c.output("ERROR: already shutting down")
				return false, nil
			}
			c.exitStatus = exitGeneric
			return false, err
		}
		var pe *pyError
		if errors.As(err, &pe) && pe.errno != 0 {
			c.exitStatus = exitGeneric
			switch pe.errno {
			case errnoECONNREFUSED:
				c.output("ERROR: " + c.opts.ServerURL + " refused connection (already shut down?)")
				return false, nil
			case errnoENOENT:
				c.output("ERROR: " + c.opts.ServerURL + " no such file (already shut down?)")
				return false, nil
			}
		}
		return false, err
	}
	c.output("Shut down")
	return false, nil
}

func (c *CLI) doReload(arg string) (bool, error) {
	if !c.noArgs("reload", arg, helpReload) {
		return false, nil
	}
	yes, ok := c.confirm("Really restart the remote supervisord process y/N? ")
	if !ok || !yes {
		return false, nil
	}
	if _, err := c.call("restart"); err != nil {
		return false, c.sayFault(err, map[int]string{xmlrpc.FaultShutdownState: "ERROR: already shutting down"})
	}
	c.output("Restarted supervisord")
	return false, nil
}

func (c *CLI) doAvail(arg string) (bool, error) {
	if !c.noArgs("avail", arg, helpAvail) {
		return false, nil
	}
	v, err := c.call("getAllConfigInfo")
	if err != nil {
		return false, c.sayFault(err, map[int]string{xmlrpc.FaultShutdownState: "ERROR: supervisor shutting down"})
	}
	for _, info := range infos(v) {
		c.output(formatConfigInfo(info))
	}
	return false, nil
}

func (c *CLI) doReread(arg string) (bool, error) {
	if !c.noArgs("reread", arg, helpReread) {
		return false, nil
	}
	v, err := c.call("reloadConfig")
	if err != nil {
		var cant string
		if f := asFault(err); f != nil {
			cant = "ERROR: " + f.String
		}
		return false, c.sayFault(err, map[int]string{xmlrpc.FaultShutdownState: "ERROR: supervisor shutting down",
			xmlrpc.FaultCantReread: cant})
	}
	added, changed, removed := configChanges(v)
	c.formatChanges(added, changed, removed)
	return false, nil
}

// configChanges reads reloadConfig's [[added, changed, removed]].
func configChanges(v any) (added, changed, removed []string) {
	outer, _ := v.([]any)
	if len(outer) == 0 {
		return
	}
	lists, _ := outer[0].([]any)
	get := func(i int) []string {
		if i >= len(lists) {
			return nil
		}
		items, _ := lists[i].([]any)
		var names []string
		for _, it := range items {
			names = append(names, pyStr(it))
		}
		return names
	}
	return get(0), get(1), get(2)
}

func (c *CLI) formatChanges(added, changed, removed []string) {
	state := map[string]string{}
	for _, n := range added {
		state[n] = "available"
	}
	for _, n := range changed {
		state[n] = "changed"
	}
	for _, n := range removed {
		state[n] = "disappeared"
	}
	if len(state) == 0 {
		c.output("No config updates to processes")
		return
	}
	names := make([]string, 0, len(state))
	for n := range state {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		c.output(n + ": " + state[n])
	}
}

func (c *CLI) doAdd(arg string) (bool, error) {
	if _, err := c.client(); err != nil {
		return false, err
	}
	for _, name := range fields(arg) {
		if _, err := c.call("addProcessGroup", name); err != nil {
			f := asFault(err)
			switch {
			case f != nil && f.Code == xmlrpc.FaultShutdownState:
				c.output("ERROR: shutting down")
				c.exitStatus = exitGeneric
			case f != nil && f.Code == xmlrpc.FaultAlreadyAdded:
				c.output("ERROR: process group already active")
			case f != nil && f.Code == xmlrpc.FaultBadName:
				c.output("ERROR: no such process/group: " + name)
				c.exitStatus = exitGeneric
			default:
				if f != nil {
					c.exitStatus = exitGeneric
				}
				return false, err
			}
			continue
		}
		c.output(name + ": added process group")
	}
	return false, nil
}

func (c *CLI) doRemove(arg string) (bool, error) {
	if _, err := c.client(); err != nil {
		return false, err
	}
	for _, name := range fields(arg) {
		if _, err := c.call("removeProcessGroup", name); err != nil {
			if err := c.sayFault(err, map[int]string{xmlrpc.FaultStillRunning: "ERROR: process/group still running: " + name,
				xmlrpc.FaultBadName: "ERROR: no such process/group: " + name}); err != nil {
				return false, err
			}
			continue
		}
		c.output(name + ": removed process group")
	}
	return false, nil
}

func (c *CLI) doUpdate(arg string) (bool, error) {
	v, err := c.call("reloadConfig")
	if err != nil {
		return false, c.sayFault(err, map[int]string{xmlrpc.FaultShutdownState: "ERROR: already shutting down"})
	}
	added, changed, removed := configChanges(v)
	var wanted []string // the groups named, in the order given; none means all
	for _, name := range fields(arg) {
		if !slices.Contains(wanted, name) {
			wanted = append(wanted, name)
		}
	}
	if slices.Contains(wanted, "all") {
		wanted = nil
	}
	if len(wanted) > 0 {
		v, err := c.call("getAllProcessInfo")
		if err != nil {
			return false, err
		}
		groups := map[string]bool{}
		for _, info := range infos(v) {
			groups[info.str("group")] = true
		}
		for _, g := range added {
			groups[g] = true
		}
		for _, g := range wanted {
			if !groups[g] {
				c.output("ERROR: no such group: " + g)
				c.exitStatus = exitGeneric
			}
		}
	}
	skip := func(g string) bool { return len(wanted) > 0 && !slices.Contains(wanted, g) }
	for _, g := range removed {
		if skip(g) {
			continue
		}
		v, err := c.call("stopProcessGroup", g)
		if err != nil {
			return false, err
		}
		c.output(g + ": stopped")
		failed := false
		for _, r := range infos(v) {
			if r.num("status") == xmlrpc.FaultFailed {
				failed = true
			}
		}
		if failed {
			c.output(g + ": has problems; not removing")
			c.exitStatus = exitGeneric
			continue
		}
		if _, err := c.call("removeProcessGroup", g); err != nil {
			return false, err
		}
		c.output(g + ": removed process group")
	}
	for _, g := range changed {
		if skip(g) {
			continue
		}
		// Our daemon restarts only the processes that changed; the
		// reference's restarts the whole group. Both say the same.
		if _, ok, err := c.callOurs("config.updateProcessGroup", g); err != nil {
			return false, err
		} else if ok {
			c.output(g + ": stopped")
			c.output(g + ": updated process group")
			continue
		}
		if _, err := c.call("stopProcessGroup", g); err != nil {
			return false, err
		}
		c.output(g + ": stopped")
		if _, err := c.call("removeProcessGroup", g); err != nil {
			return false, err
		}
		if _, err := c.call("addProcessGroup", g); err != nil {
			return false, err
		}
		c.output(g + ": updated process group")
	}
	for _, g := range added {
		if skip(g) {
			continue
		}
		if _, err := c.call("addProcessGroup", g); err != nil {
			return false, err
		}
		c.output(g + ": added process group")
	}
	return false, nil
}
