package main

// The help of each action: "help ACTION" prints it, and so do actions
// given the wrong arguments. The wording is ours; the reference's is laid
// out the same way (usage, a tab, what it does).

func helpLines(c *CLI, lines ...string) {
	for _, l := range lines {
		c.output(l)
	}
}

func helpHelp(c *CLI) {
	helpLines(c,
		"help\t\tList the actions",
		"help <action>\tExplain one action")
}

func helpAdd(c *CLI) {
	helpLines(c, "add <name> [...]\tStart managing the group(s) that reread found new in the config")
}

func helpAvail(c *CLI) {
	helpLines(c, "avail\t\t\tList every configured process, in use or not")
}

func helpClear(c *CLI) {
	helpLines(c,
		"clear <name>\t\tEmpty the log files of a process",
		"clear <name> <name>\tEmpty the log files of several processes",
		"clear all\t\tEmpty the log files of every process")
}

func helpExit(c *CLI) { helpLines(c, "exit\tLeave the shell.") }

func helpQuit(c *CLI) { helpLines(c, "quit\tLeave the shell.") }

func helpFg(c *CLI) {
	helpLines(c,
		"fg <process>\tShow a process's output and send it what you type",
		"\t\t(Ctrl-C leaves it running and returns here)")
}

func helpMaintail(c *CLI) {
	helpLines(c,
		"maintail -f \tFollow the daemon's own log until Ctrl-C",
		"maintail -100\tShow the last 100 bytes of the daemon's log",
		"maintail\tShow the last 1600 bytes of the daemon's log",
		"")
}

func helpOpen(c *CLI) {
	helpLines(c,
		"open <url>\tSwitch to another supervisord:",
		"\t\thttp://host:port, or unix:///path/to/socket")
}

func helpPid(c *CLI) {
	helpLines(c,
		"pid\t\t\tPrint supervisord's own process id.",
		"pid <name>\t\tPrint the process id of one child.",
		"pid all\t\t\tPrint the process id of every child, a line each.")
}

func helpReload(c *CLI) { helpLines(c, "reload \t\tMake supervisord restart itself.") }

func helpRemove(c *CLI) {
	helpLines(c, "remove <name> [...]\tStop managing the (stopped) group(s) that reread found gone")
}

func helpReread(c *CLI) {
	helpLines(c, "reread \t\t\tHave the daemon read its config again; report, change nothing")
}

func helpRestart(c *CLI) {
	helpLines(c,
		"restart <name>\t\tStop a process, then start it",
		"restart <gname>:*\tStop, then start, every process of a group",
		"restart <name> <name>\tStop, then start, several processes or groups",
		"restart all\t\tStop, then start, every process",
		"restart --rolling [--max-unavailable K] <name>|<gname>:* ...",
		"\t\t\tRestart K at a time (default 1), each batch RUNNING",
		"\t\t\t(ready) before the next; stop at one that does not",
		"\t\t\tcome back, leaving the rest running",
		"Note: the config is not read again; reread and update do that.")
}

func helpShutdown(c *CLI) { helpLines(c, "shutdown \tStop supervisord and everything it runs.") }

func helpSignal(c *CLI) {
	helpLines(c,
		"signal <signal name> <name>\t\tSend a signal to a process",
		"signal <signal name> <gname>:*\t\tSend a signal to every process of a group",
		"signal <signal name> <name> <name>\tSend a signal to several processes or groups",
		"signal <signal name> all\t\tSend a signal to every process")
}

func helpStart(c *CLI) {
	helpLines(c,
		"start <name>\t\tStart one process",
		"start <gname>:*\t\tStart every process of a group",
		"start <name> <name>\tStart several processes or groups",
		"start all\t\tStart every process")
}

func helpStatus(c *CLI) {
	helpLines(c,
		"status <name>\t\tShow the state of one process",
		"status <gname>:*\tShow the state of every process of a group",
		"status <name> <name>\tShow the state of several processes",
		"status\t\t\tShow the state of every process")
}

func helpStop(c *CLI) {
	helpLines(c,
		"stop <name>\t\tStop one process",
		"stop <gname>:*\t\tStop every process of a group",
		"stop <name> <name>\tStop several processes or groups",
		"stop all\t\tStop every process")
}

func helpTail(c *CLI) {
	helpLines(c,
		"tail [-f|-<bytes>] <name> [stdout|stderr] (stdout unless told)",
		"Examples:",
		"tail -f <name>\t\tFollow what a process writes to stdout;",
		"\t\t\tCtrl-C stops following.",
		"tail -100 <name>\tThe last 100 bytes of its stdout",
		"tail <name> stderr\tThe last 1600 bytes of its stderr")
}

func helpUpdate(c *CLI) {
	helpLines(c,
		"update\t\t\tRead the config again, then add, remove and restart groups to match it",
		"update all\t\tThe same as update",
		"update <gname> [...]\tDo that for the named groups only")
}

func helpAutoreload(c *CLI) {
	helpLines(c,
		"autoreload\t\tShow whether supervisord applies config edits by itself,",
		"\t\t\tthe files it watches, and how the last edit it read ended")
}

func helpVersion(c *CLI) {
	helpLines(c, "version\t\t\tPrint the version of the supervisord we talk to")
}

func helpWhy(c *CLI) {
	helpLines(c,
		"why <name>\t\tExplain why a process is in its state",
		"why <gname>:*\t\tExplain every process of a group",
		"why <name> <name>\tExplain several processes or groups",
		"why all\t\t\tExplain every process",
		"Exit status 0 when every process named is where its config wants it, 1 otherwise.")
}

func helpScale(c *CLI) {
	helpLines(c,
		"scale <gname>=<n>\tRun n instances of a program (its numprocs, at runtime):",
		"\t\t\tthose that stay are not touched, new ones start, the",
		"\t\t\tsurplus stop; kept while the config's numprocs stays as it is")
}
