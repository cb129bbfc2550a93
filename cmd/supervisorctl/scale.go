package main

import (
	"strconv"
	"strings"
)

// doScale is scale GROUP=N...: each group runs N instances of its
// program, as numprocs=N would, without touching those that stay.
func (c *CLI) doScale(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	args := fields(arg)
	if len(args) == 0 {
		c.badArgs("Error: scale requires GROUP=N", helpScale)
		return false, nil
	}
	for _, a := range args {
		group, num, ok := strings.Cut(a, "=")
		n, err := strconv.Atoi(num)
		if !ok || group == "" || err != nil || n < 0 {
			c.badArgs("Error: scale takes GROUP=N with N a number of 0 or more, not "+pyStr(a), helpScale)
			return false, nil
		}
		if _, err := c.call("scaleProcessGroup", group, n); err != nil {
			f := asFault(err)
			if f == nil {
				return false, err
			}
			c.output(group + ": ERROR (" + f.String + ")")
			c.exitStatus = exitGeneric
			continue
		}
		c.output(group + ": scaled to " + strconv.Itoa(n))
	}
	return false, nil
}
