package main

import (
	"fmt"

	"supervisord/internal/getopt"
)

// The command line is read the way the reference reads it, with Python's
// getopt semantics (see package getopt).

// ctlOption is one option the command line accepts and what it sets:
// "help", "configfile", ...
type ctlOption struct {
	opt getopt.Option
	key string
}

var ctlOptions = []ctlOption{
	{getopt.Spec("h", "help"), "help"},
	{getopt.Spec("?"), "help"},
	{getopt.Spec("c:", "configuration="), "configfile"},
	{getopt.Spec("i", "interactive"), "interactive"},
	{getopt.Spec("s:", "serverurl="), "serverurl"},
	{getopt.Spec("u:", "username="), "username"},
	{getopt.Spec("p:", "password="), "password"},
	// The reference spells its long form history_file, though its usage
	// says --history-file; both are taken.
	{getopt.Spec("r:", "history_file=", "history-file="), "history"},
}

// parsedOpt is one option found on the command line, as written (-c or
// --configuration) with its value, and what it sets.
type parsedOpt struct {
	name  string
	value string
	key   string
}

// readArgs splits args into options and the remaining arguments.
func readArgs(args []string) (opts []parsedOpt, rest []string, err error) {
	table := make([]getopt.Option, len(ctlOptions))
	for i, o := range ctlOptions {
		table[i] = o.opt
	}
	found, rest, err := getopt.Parse(args, table)
	if err != nil {
		return nil, nil, &usageError{msg: err.Error()}
	}
	for _, f := range found {
		opts = append(opts, parsedOpt{name: f.Name, value: f.Value, key: ctlOptions[f.Index].key})
	}
	return opts, rest, nil
}

// usageError is a command line or config problem: the reference prints
// it with a pointer to -h and exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}
