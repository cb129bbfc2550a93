package main

import (
	"strconv"
	"strings"

	"supervisord/protocol/xmlrpc"
)

// doCat prints the config sections that define each named process, as
// the running daemon read them: each section headed by its file and line,
// its values with %(...)s expanded for that process. Options left at their
// defaults are not shown, as the files do not write them.
func (c *CLI) doCat(arg string) (bool, error) {
	names := fields(arg)
	if len(names) == 0 {
		c.badArgs("Error: cat requires a process name", helpCat)
		return false, nil
	}
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	printed := false // a blank line goes between two sections
	for _, name := range names {
		v, ok, err := c.callOurs("supervisor.getProcessConfig", name)
		if err != nil {
			if err = c.sayFault(err, map[int]string{xmlrpc.FaultBadName: name + ": ERROR (no such process)"}); err != nil {
				return false, err
			}
			continue
		}
		if !ok {
			c.output("ERROR: this supervisord does not show the config of a process")
			c.exitStatus = exitGeneric
			return false, nil
		}
		list, _ := v.([]any)
		for _, s := range list {
			sec := procInfo(asMap(s))
			if printed {
				c.output("")
			}
			printed = true
			c.output("; " + sec.str("file") + ":" + strconv.Itoa(sec.num("line")))
			c.output(strings.TrimSuffix(sec.str("text"), "\n"))
		}
	}
	return false, nil
}

func helpCat(c *CLI) {
	helpLines(c,
		"cat <name>\t\tPrint the config sections that define a process, with their file",
		"\t\t\tand line, %(...)s expanded as the daemon expanded them",
		"cat <gname>:*\t\tThe same for every process of a group",
		"cat <name> <name>\tThe same for several processes")
}
