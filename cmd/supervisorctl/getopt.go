package main

import (
	"fmt"
	"strings"
)

// The command line is read the way the reference reads it: with POSIX
// getopt semantics (options stop at the first argument that is not one),
// short options clustered (-ic FILE), long options abbreviated to any
// unique prefix, and an option's value either attached (-cFILE,
// --configuration=FILE) or in the next argument.

// optSpec is one option the command line accepts.
type optSpec struct {
	short byte     // 0 when the option has no short form
	long  []string // long forms; the first is the one messages name
	arg   bool     // takes a value
	key   string   // what it sets: "help", "configfile", ...
}

var optSpecs = []optSpec{
	{short: 'h', long: []string{"help"}, key: "help"},
	{short: '?', key: "help"},
	{short: 'c', long: []string{"configuration"}, arg: true, key: "configfile"},
	{short: 'i', long: []string{"interactive"}, key: "interactive"},
	{short: 's', long: []string{"serverurl"}, arg: true, key: "serverurl"},
	{short: 'u', long: []string{"username"}, arg: true, key: "username"},
	{short: 'p', long: []string{"password"}, arg: true, key: "password"},
	// The reference spells its long form history_file, though its usage
	// says --history-file; both are taken.
	{short: 'r', long: []string{"history_file", "history-file"}, arg: true, key: "history"},
}

// parsedOpt is one option found on the command line, as written (-c or
// --configuration) with its value.
type parsedOpt struct {
	name  string
	value string
	spec  *optSpec
}

// getopt splits args into options and the remaining arguments.
func getopt(args []string) (opts []parsedOpt, rest []string, err error) {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" {
		if args[0] == "--" {
			return opts, args[1:], nil
		}
		if strings.HasPrefix(args[0], "--") {
			opts, args, err = getoptLong(opts, args[0][2:], args[1:])
		} else {
			opts, args, err = getoptShort(opts, args[0][1:], args[1:])
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return opts, args, nil
}

func getoptLong(opts []parsedOpt, opt string, args []string) ([]parsedOpt, []string, error) {
	var value *string
	if i := strings.IndexByte(opt, '='); i >= 0 {
		v := opt[i+1:]
		opt, value = opt[:i], &v
	}
	spec, name, err := longSpec(opt)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case spec.arg && value == nil:
		if len(args) == 0 {
			return nil, nil, usageErrorf("option --%s requires argument", name)
		}
		value, args = &args[0], args[1:]
	case !spec.arg && value != nil:
		return nil, nil, usageErrorf("option --%s must not have an argument", name)
	}
	v := ""
	if value != nil {
		v = *value
	}
	return append(opts, parsedOpt{name: "--" + name, value: v, spec: spec}), args, nil
}

// longSpec finds the option opt names, exactly or as a unique prefix, and
// the long name it stands for.
func longSpec(opt string) (*optSpec, string, error) {
	var found *optSpec
	foundName := ""
	ambiguous := false
	for i := range optSpecs {
		s := &optSpecs[i]
		for _, l := range s.long {
			if l == opt {
				return s, l, nil
			}
			if strings.HasPrefix(l, opt) {
				if found != nil && found != s {
					ambiguous = true
				}
				if found == nil {
					found, foundName = s, s.long[0]
				}
			}
		}
	}
	switch {
	case found == nil:
		return nil, "", usageErrorf("option --%s not recognized", opt)
	case ambiguous:
		return nil, "", usageErrorf("option --%s not a unique prefix", opt)
	}
	return found, foundName, nil
}

func getoptShort(opts []parsedOpt, cluster string, args []string) ([]parsedOpt, []string, error) {
	for cluster != "" {
		c := cluster[0]
		cluster = cluster[1:]
		var spec *optSpec
		for i := range optSpecs {
			if optSpecs[i].short == c {
				spec = &optSpecs[i]
			}
		}
		if spec == nil {
			return nil, nil, usageErrorf("option -%c not recognized", c)
		}
		value := ""
		if spec.arg {
			if cluster == "" {
				if len(args) == 0 {
					return nil, nil, usageErrorf("option -%c requires argument", c)
				}
				cluster, args = args[0], args[1:]
			}
			value, cluster = cluster, ""
		}
		opts = append(opts, parsedOpt{name: "-" + string(c), value: value, spec: spec})
	}
	return opts, args, nil
}

// usageError is a command line or config problem: the reference prints
// it with a pointer to -h and exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}
