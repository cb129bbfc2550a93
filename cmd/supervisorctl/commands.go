package main

import (
	"errors"
	"slices"
	"strings"
	"unicode"

	"supervisord/protocol/xmlrpc"
)

// command is one action of supervisorctl.
type command struct {
	run  func(c *CLI, arg string) (stop bool, err error)
	help func(c *CLI) // nil for EOF, which has no help
	// ours marks a command the reference lacks; help lists those apart,
	// the way the reference lists a plugin's commands.
	ours bool
	// hidden keeps a command out of help, the shell's completion and the
	// completion scripts: the scripts' own helpers.
	hidden bool

	// What the completion scripts offer after the action (completion.go):
	// args are the kinds of its positional arguments in order, the last
	// one repeating when it ends in "..."; flags its options; words the
	// fixed words it takes besides ("all").
	args  []string
	flags []string
	words []string
}

// commands holds every action; the shell's vocabulary and "help" list
// come from it.
var commands map[string]*command

func init() {
	procs, all := []string{"process..."}, []string{"all"}
	commands = map[string]*command{
		"add":        {run: (*CLI).doAdd, help: helpAdd, args: []string{"group..."}},
		"autoreload": {run: (*CLI).doAutoreload, help: helpAutoreload, ours: true},
		"avail":      {run: (*CLI).doAvail, help: helpAvail},
		"cat":        {run: (*CLI).doCat, help: helpCat, ours: true, args: procs},
		"clear":      {run: (*CLI).doClear, help: helpClear, args: procs, words: all},
		"completion": {run: (*CLI).doCompletion, help: helpCompletion, ours: true, args: []string{"shell"}},
		"disable":    {run: (*CLI).doDisable, help: helpDisable, ours: true, args: procs},
		"enable":     {run: (*CLI).doEnable, help: helpEnable, ours: true, args: procs},
		"exit":       {run: (*CLI).doQuit, help: helpExit},
		"fg":         {run: (*CLI).doFg, help: helpFg, args: []string{"process"}},
		"fleet":      {run: (*CLI).doFleet, help: helpFleet, ours: true, args: []string{"fleet"}, flags: []string{"-l", "-f"}},
		"help":       {run: (*CLI).doHelp, args: []string{"action"}},
		"maintail":   {run: (*CLI).doMaintail, help: helpMaintail, flags: []string{"-f"}},
		"open":       {run: (*CLI).doOpen, help: helpOpen},
		"pid":        {run: (*CLI).doPid, help: helpPid, args: procs, words: all},
		"quit":       {run: (*CLI).doQuit, help: helpQuit},
		"reload":     {run: (*CLI).doReload, help: helpReload},
		"remove":     {run: (*CLI).doRemove, help: helpRemove, args: []string{"group..."}},
		"reread":     {run: (*CLI).doReread, help: helpReread},
		"restart":    {run: (*CLI).doRestart, help: helpRestart, args: procs, words: all, flags: []string{"--rolling", "--max-unavailable"}},
		"rotate":     {run: (*CLI).doRotate, help: helpRotate, ours: true, args: procs, words: []string{"all", "supervisord"}},
		"scale":      {run: (*CLI).doScale, help: helpScale, ours: true, args: []string{"group..."}},
		"shutdown":   {run: (*CLI).doShutdown, help: helpShutdown},
		"signal":     {run: (*CLI).doSignal, help: helpSignal, args: []string{"signal", "process..."}, words: all},
		"start":      {run: (*CLI).doStart, help: helpStart, args: procs, words: all},
		"status":     {run: (*CLI).doStatus, help: helpStatus, args: procs, words: all},
		"stop":       {run: (*CLI).doStop, help: helpStop, args: procs, words: all},
		"tail":       {run: (*CLI).doTail, help: helpTail, args: []string{"process", "stream"}, flags: []string{"-f"}},
		"update":     {run: (*CLI).doUpdate, help: helpUpdate, args: []string{"group..."}, words: all},
		"upgrade":    {run: (*CLI).doUpgrade, help: helpUpgrade, ours: true, args: []string{"file"}},
		"version":    {run: (*CLI).doVersion, help: helpVersion},
		"why":        {run: (*CLI).doWhy, help: helpWhy, ours: true, args: procs, words: all},
		"__complete": {run: (*CLI).doComplete, hidden: true},
		// What the shell runs at end of input; typing it works too.
		"EOF": {run: (*CLI).doEOF},
	}
}

// vocabulary is the action names the shell completes, sorted.
func vocabulary() []string {
	var names []string
	for name := range commands {
		if name != "EOF" && !commands[name].hidden {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// fields is Python's str.split(): words between runs of white space.
func fields(s string) []string { return strings.FieldsFunc(s, unicode.IsSpace) }

// upcheck makes sure the daemon answers and speaks our API version. When
// it does not, it says why, sets the exit status and returns false;
// failures it has no words for are returned.
func (c *CLI) upcheck() (bool, error) {
	v, err := c.call("getVersion")
	if err != nil {
		if f := asFault(err); f != nil {
			if f.Code == xmlrpc.FaultUnknownMethod {
				c.output("Sorry, supervisord responded but did not recognize the supervisor namespace " +
					"commands that supervisorctl uses to control it.  Please check that the " +
					"[rpcinterface:supervisor] section is enabled in the configuration file (see sample.conf).")
				c.exitStatus = exitUnimplemented
				return false, nil
			}
			c.exitStatus = exitGeneric
			return false, err
		}
		var pe *pyError
		if errors.As(err, &pe) && pe.class != "ValueError" && pe.class != "OverflowError" {
			switch pe.errno {
			case errnoECONNREFUSED:
				c.output(c.opts.ServerURL + " refused connection")
				c.exitStatus = exitNoPrivileges
				return false, nil
			case errnoENOENT:
				c.output(c.opts.ServerURL + " no such file")
				c.exitStatus = exitNotRunning
				return false, nil
			}
			c.exitStatus = exitGeneric
		}
		return false, err
	}
	if api := pyStr(v); api != apiVersion {
		c.output("Sorry, this version of supervisorctl expects to talk to a server with API version " +
			apiVersion + ", but the remote version is " + api + ".")
		c.exitStatus = exitNotInstalled
		return false, nil
	}
	return true, nil
}

// apiVersion is the XML-RPC API version supervisorctl 4.2.5 speaks.
const apiVersion = "3.0"

const (
	errnoENOENT       = 2
	errnoECONNREFUSED = 111
)

func (c *CLI) doEOF(string) (bool, error) {
	c.output("")
	return true, nil
}

func (c *CLI) doQuit(arg string) (bool, error) { return c.doEOF(arg) }

func (c *CLI) doHelp(arg string) (bool, error) {
	topic := strings.TrimSpace(arg)
	switch {
	case topic == "help":
		helpHelp(c)
	case arg == "":
		var documented, ours []string
		for _, name := range vocabulary() {
			switch cmd := commands[name]; {
			case cmd.help == nil:
			case cmd.ours:
				ours = append(ours, name)
			default:
				documented = append(documented, name)
			}
		}
		for _, topics := range []struct {
			kind  string
			names []string
		}{{"default", documented}, {"extra", ours}} {
			c.output("")
			header := topics.kind + " commands (type help <topic>):"
			c.output(header)
			c.output(strings.Repeat("=", len(header)))
			c.output(columnize(topics.names, 79))
			c.output("")
		}
	default:
		if cmd := commands[arg]; cmd != nil && cmd.help != nil {
			cmd.help(c)
		} else {
			c.output("*** No help on " + arg)
		}
	}
	return false, nil
}

func (c *CLI) doOpen(arg string) (bool, error) {
	url := strings.TrimSpace(arg)
	if scheme, _ := splitScheme(url); scheme != "unix" && scheme != "http" && scheme != "https" {
		c.output("ERROR: url must be http:// or unix://")
		c.exitStatus = exitGeneric
		return false, nil
	}
	c.opts.ServerURL = url
	kept := c.exitStatus
	if _, err := c.doStatus(""); err != nil {
		return false, err
	}
	c.exitStatus = kept
	return false, nil
}

func (c *CLI) doVersion(arg string) (bool, error) {
	if !c.noArgs("version", arg, helpVersion) {
		return false, nil
	}
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	v, err := c.call("getSupervisorVersion")
	if err != nil {
		return false, err
	}
	c.output(pyStr(v))
	return false, nil
}
