package main

import (
	"supervisord/protocol/xmlrpc"
)

// rotateWords are rotate's words for each result code, after "<name>: ".
var rotateWords = map[int]string{
	xmlrpc.FaultBadName: "ERROR (no such process)",
	xmlrpc.FaultFailed:  "ERROR (failed)",
	xmlrpc.FaultSuccess: "rotated",
}

// doRotate rotates log files now, as reaching maxbytes would: a process's,
// a group's (g:*), every process's (all), and the daemon's own
// (supervisord), through methods of ours the reference lacks.
func (c *CLI) doRotate(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	names := fields(arg)
	if len(names) == 0 {
		c.badArgs("Error: rotate requires a process name", helpRotate)
		return false, nil
	}
	// One question first, so that the reference's daemon gets one clear
	// answer rather than a fault for each name.
	cl, err := c.client()
	if err != nil {
		return false, err
	}
	if _, err := cl.Call("system.methodSignature", "supervisor.rotateProcessLogs"); err != nil {
		if f := asFault(err); f == nil {
			return false, err
		}
		c.output("ERROR: this supervisord cannot rotate logs")
		c.exitStatus = exitGeneric
		return false, nil
	}
	for _, name := range names {
		if name == "supervisord" {
			if err := c.rotateMainLog(); err != nil {
				return false, err
			}
			continue
		}
		err := c.act(processAction{all: "rotateAllProcessLogs", group: "rotateProcessGroupLogs", process: "rotateProcessLogs",
			words: rotateWords, ignored: -1, noGroupExit: exitGeneric, groupFailExit: exitGeneric}, []string{name})
		if err != nil {
			return false, err
		}
	}
	return false, nil
}

// rotateMainLog rotates the daemon's own log.
func (c *CLI) rotateMainLog() error {
	_, err := c.call("rotateLog")
	switch f := asFault(err); {
	case err == nil:
		c.output("supervisord: rotated")
	case f != nil && f.Code == xmlrpc.FaultNoFile:
		c.output("supervisord: ERROR (no log file)")
		c.exitStatus = exitGeneric
	case f != nil:
		c.output("supervisord: ERROR (" + f.String + ")")
		c.exitStatus = exitGeneric
	default:
		return err
	}
	return nil
}

func helpRotate(c *CLI) {
	helpLines(c,
		"rotate <name>\t\tRotate the log files of a process now, as maxbytes would",
		"rotate <gname>:*\tRotate the log files of every process of a group",
		"rotate <name> <name>\tRotate the log files of several processes or groups",
		"rotate all\t\tRotate the log files of every process",
		"rotate supervisord\tRotate supervisord's own log")
}
