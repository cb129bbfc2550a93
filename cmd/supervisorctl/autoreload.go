package main

import (
	"strings"
	"time"

	"supervisord/protocol/xmlrpc"
)

// Commands and calls of our own: they use the daemon's config.* methods,
// which the reference lacks, and do what the reference would where those
// are missing.

// callOurs calls one of our daemon's own methods; ok is false when the
// daemon does not have it (the reference's).
func (c *CLI) callOurs(method string, params ...any) (v any, ok bool, err error) {
	cl, err := c.client()
	if err != nil {
		return nil, false, err
	}
	v, err = cl.Call(method, params...)
	if f := asFault(err); f != nil && f.Code == xmlrpc.FaultUnknownMethod {
		return nil, false, nil
	}
	return v, err == nil, err
}

// doAutoreload shows what the daemon's config watcher did last. The exit
// status is 1 when the last edit it read was not applied, so scripts and
// health checks can tell.
func (c *CLI) doAutoreload(arg string) (bool, error) {
	if !c.noArgs("autoreload", arg, helpAutoreload) {
		return false, nil
	}
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	v, ok, err := c.callOurs("config.getReloadStatus")
	if err != nil {
		return false, c.sayFault(err, map[int]string{xmlrpc.FaultShutdownState: "ERROR: supervisor shutting down"})
	}
	if !ok {
		c.output("ERROR: this supervisord does not reload its config by itself")
		c.exitStatus = exitGeneric
		return false, nil
	}
	st := procInfo(asMap(v))
	if st["enabled"] != true {
		c.output("autoreload: off")
		return false, nil
	}
	c.output("autoreload: on, watching " + strings.Join(strs(st["files"]), " "))
	if t := st.num("last_applied"); t != 0 {
		c.output("last applied: " + when(t) + " (added: " + listOrNone(st["added"]) +
			"; changed: " + listOrNone(st["changed"]) + "; removed: " + listOrNone(st["removed"]) + ")")
	}
	if msg := st.str("error"); msg != "" {
		c.output("last edit not applied: " + when(st.num("last_read")) + ": " + msg)
		c.exitStatus = exitGeneric
	}
	return false, nil
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, item := range list {
		out = append(out, pyStr(item))
	}
	return out
}

func listOrNone(v any) string {
	if s := strs(v); len(s) > 0 {
		return strings.Join(s, ", ")
	}
	return "none"
}

func when(unix int) string { return time.Unix(int64(unix), 0).Format("2006-01-02 15:04:05") }
