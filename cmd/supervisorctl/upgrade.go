package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"supervisord/protocol/xmlrpc"
)

// upgradeTimeout bounds the wait for the upgraded daemon to answer.
const upgradeTimeout = time.Minute

// doUpgrade has the daemon re-execute itself, as the binary at the path
// given or its own, keeping every process running (supervisor.upgrade, a
// method of ours), and waits until the new program answers. The exit
// status is 1 when the upgrade failed and the daemon runs on as it was.
func (c *CLI) doUpgrade(arg string) (bool, error) {
	path := strings.TrimSpace(arg)
	if strings.ContainsAny(path, " \t") {
		c.output("Error: upgrade takes at most one path")
		helpUpgrade(c)
		return false, nil
	}
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return false, err
		}
		path = abs
	}
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	v, ok, err := c.callOurs("supervisor.upgrade", path)
	if err != nil {
		return false, c.sayFault(err, map[int]string{
			xmlrpc.FaultShutdownState: "ERROR: supervisor shutting down",
			xmlrpc.FaultNoFile:        "ERROR: no such file: " + path,
			xmlrpc.FaultNotExecutable: "ERROR: not an executable file: " + path,
		})
	}
	if !ok {
		c.output("ERROR: this supervisord cannot upgrade in place")
		c.exitStatus = exitGeneric
		return false, nil
	}
	attempt, _ := v.(int)
	st, err := c.awaitUpgrade(attempt)
	if err != nil {
		c.output("ERROR: " + err.Error())
		c.exitStatus = exitGeneric
		return false, nil
	}
	if st.num("completed") < attempt {
		c.output("ERROR: upgrade failed, supervisord runs on unchanged: " + st.str("error"))
		c.exitStatus = exitGeneric
		return false, nil
	}
	c.output(fmt.Sprintf("upgraded: supervisord pid %d now runs %s (version %s)",
		st.num("pid"), st.str("binary"), st.str("version")))
	return false, nil
}

// awaitUpgrade polls the daemon until the attempt is over. While the
// daemon re-executes, calls fail or wait (the socket stays open); those
// are retried.
func (c *CLI) awaitUpgrade(attempt int) (procInfo, error) {
	deadline := time.Now().Add(upgradeTimeout)
	pause := 10 * time.Millisecond
	var last error
	for time.Now().Before(deadline) {
		v, _, err := c.callOurs("supervisor.getUpgradeStatus")
		if err == nil {
			st := procInfo(asMap(v))
			if st.num("completed") >= attempt || st.num("failed") >= attempt {
				return st, nil
			}
		} else if f := asFault(err); f != nil && f.Code != xmlrpc.FaultShutdownState {
			return nil, err
		}
		last = err
		time.Sleep(pause)
		pause = min(2*pause, 200*time.Millisecond)
	}
	if last == nil {
		last = errors.New("no answer")
	}
	return nil, fmt.Errorf("the daemon did not finish the upgrade within %v: %v", upgradeTimeout, last)
}

func helpUpgrade(c *CLI) {
	helpLines(c,
		"upgrade\t\t\tRe-execute supervisord in place, keeping every process",
		"\t\t\trunning with its pid and its logs",
		"upgrade <path>\t\tThe same, running the supervisord binary at <path>")
}
