package main

// doWhy is why NAME...: one paragraph per process, in words and facts,
// of why it is in its state; exit status 0 when every process named is
// where its config wants it, 1 otherwise.
func (c *CLI) doWhy(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	names := fields(arg)
	if len(names) == 0 {
		c.badArgs("Error: why requires a process name", helpWhy)
		return false, nil
	}
	v, err := c.call("why", names)
	if err != nil {
		return false, err
	}
	for i, r := range infos(v) {
		if i > 0 {
			c.output("")
		}
		c.output(r.str("text"))
		if ok, _ := r["ok"].(bool); !ok {
			c.exitStatus = exitGeneric
		}
	}
	return false, nil
}
