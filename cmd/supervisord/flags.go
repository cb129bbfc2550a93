package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"supervisord/conf"
)

// usageText is the -h output; %s is the program name, as the reference
// substitutes it.
const usageText = `supervisord -- start and watch a set of programs as daemons.

Usage: %s [options]

Options:
-c/--configuration FILENAME -- the config file to read (searched for if absent)
-n/--nodaemon -- stay in the foreground (like 'nodaemon=true' in the config)
-s/--silent -- do not echo the log to stdout (like 'silent=true' in the config)
-h/--help -- show this message and exit
-v/--version -- show the supervisord version and exit
-u/--user USER -- run supervisord as this user name (or numeric uid)
-m/--umask UMASK -- umask of the daemonized process (default 022)
-d/--directory DIRECTORY -- directory to change into after daemonizing
-l/--logfile FILENAME -- path of the main log file
-y/--logfile_maxbytes BYTES -- rotate the main log when it reaches BYTES
-z/--logfile_backups NUM -- rotated main logs to keep
-e/--loglevel LEVEL -- log level (critical,error,warn,info,debug,trace,blather)
-j/--pidfile FILENAME -- file to write the daemon's pid into
-i/--identifier STR -- identifier of this supervisord instance
-q/--childlogdir DIRECTORY -- directory for AUTO child log files
-k/--nocleanup -- keep old AUTO child log files at startup instead of
                  removing them
-a/--minfds NUM -- file descriptors that must be available to start
-t/--strip_ansi -- remove ANSI escape sequences from child output
--minprocs NUM -- processes that must be available to start
--echo-config -- print a sample config file and exit
--no-autoreload -- do not watch the config files for changes
`

// action is what the command line asks for besides running the daemon.
type action int

const (
	actRun action = iota
	actHelp
	actVersion
	actEchoConfig
)

// options is the parsed command line. A nil pointer or false flag means the
// option was not given, so the config file's value stands.
type options struct {
	action       action
	configFile   string // "" when -c was not given
	nodaemon     bool
	silent       bool
	nocleanup    bool
	stripANSI    bool
	noAutoReload bool
	user         *string
	umask        *os.FileMode
	directory    *string
	logfile      *string
	maxBytes     *int64
	backups      *int
	loglevel     *conf.LogLevel
	pidfile      *string
	identifier   *string
	childLogDir  *string
	minfds       *uint64
	minprocs     *uint64
}

// flagSpec is one option. set stores a value (its error becomes the
// reference's "invalid value for ..." message); act, when set, ends parsing
// at once the way the reference's -h and -v handlers do.
type flagSpec struct {
	short byte // 0 when the option has no short form
	long  string
	arg   bool
	act   action
	set   func(o *options, v string) error
}

var flagSpecs = []flagSpec{
	{short: 'h', long: "help", act: actHelp},
	{short: '?', act: actHelp},
	{short: 'v', long: "version", act: actVersion},
	{long: "echo-config", act: actEchoConfig},
	{short: 'c', long: "configuration", arg: true, set: func(o *options, v string) error {
		o.configFile = v
		return nil
	}},
	{short: 'n', long: "nodaemon", set: func(o *options, _ string) error { o.nodaemon = true; return nil }},
	{short: 's', long: "silent", set: func(o *options, _ string) error { o.silent = true; return nil }},
	{short: 'k', long: "nocleanup", set: func(o *options, _ string) error { o.nocleanup = true; return nil }},
	{short: 't', long: "strip_ansi", set: func(o *options, _ string) error { o.stripANSI = true; return nil }},
	{long: "no-autoreload", set: func(o *options, _ string) error { o.noAutoReload = true; return nil }},
	{short: 'u', long: "user", arg: true, set: func(o *options, v string) error { o.user = &v; return nil }},
	{short: 'm', long: "umask", arg: true, set: func(o *options, v string) error {
		m, err := parseOctal(v)
		o.umask = &m
		return err
	}},
	{short: 'd', long: "directory", arg: true, set: func(o *options, v string) (err error) {
		o.directory, err = existingDirectory(v)
		return err
	}},
	{short: 'l', long: "logfile", arg: true, set: func(o *options, v string) (err error) {
		o.logfile, err = existingDirpath(v)
		return err
	}},
	{short: 'y', long: "logfile_maxbytes", arg: true, set: func(o *options, v string) (err error) {
		n, err := conf.ParseByteSize(v)
		o.maxBytes = &n
		return err
	}},
	{short: 'z', long: "logfile_backups", arg: true, set: func(o *options, v string) error {
		n, err := parseInt(v)
		b := int(n)
		o.backups = &b
		return err
	}},
	{short: 'e', long: "loglevel", arg: true, set: func(o *options, v string) error {
		l, err := conf.ParseLogLevel(v)
		o.loglevel = &l
		return err
	}},
	{short: 'j', long: "pidfile", arg: true, set: func(o *options, v string) (err error) {
		o.pidfile, err = existingDirpath(v)
		return err
	}},
	{short: 'i', long: "identifier", arg: true, set: func(o *options, v string) error { o.identifier = &v; return nil }},
	{short: 'q', long: "childlogdir", arg: true, set: func(o *options, v string) (err error) {
		o.childLogDir, err = existingDirectory(v)
		return err
	}},
	{short: 'a', long: "minfds", arg: true, set: func(o *options, v string) error {
		n, err := parseInt(v)
		u := uint64(max(n, 0))
		o.minfds = &u
		return err
	}},
	{long: "minprocs", arg: true, set: func(o *options, v string) error {
		n, err := parseInt(v)
		u := uint64(max(n, 0))
		o.minprocs = &u
		return err
	}},
}

// usageError is a command line or config mistake: the CLI prints it with
// the help hint and exits 2, as the reference's usage() does.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// parsedOpt is one option as getopt returns it: the spelling used
// ("-c" or "--configuration") and its argument.
type parsedOpt struct {
	name string
	spec *flagSpec
	arg  string
}

// parseArgs reads the command line the way the reference does: Python's
// getopt first (so a syntax error anywhere wins), then each option in order.
func parseArgs(args []string) (*options, error) {
	opts, rest, err := getopt(args)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, usagef("positional arguments are not supported: %s", pyList(rest))
	}
	o := &options{}
	seen := make(map[*flagSpec]bool)
	for _, p := range opts {
		if p.spec.act != actRun {
			o.action = p.spec.act
			return o, nil
		}
		if err := p.spec.set(o, p.arg); err != nil {
			return nil, usagef("invalid value for %s %s: %s", p.name, conf.PyRepr(p.arg), err)
		}
		if seen[p.spec] {
			return nil, usagef("conflicting command line option %s", conf.PyRepr(p.name))
		}
		seen[p.spec] = true
	}
	return o, nil
}

// getopt mirrors Python's getopt.getopt: options stop at the first
// non-option or "--"; long options may be abbreviated to a unique prefix.
func getopt(args []string) ([]parsedOpt, []string, error) {
	var out []parsedOpt
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" {
		a := args[0]
		args = args[1:]
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "--") {
			name, val, hasVal := strings.Cut(a[2:], "=")
			spec, err := longSpec(name)
			if err != nil {
				return nil, nil, err
			}
			switch {
			case spec.arg && !hasVal:
				if len(args) == 0 {
					return nil, nil, usagef("option --%s requires argument", spec.long)
				}
				val, args = args[0], args[1:]
			case !spec.arg && hasVal:
				return nil, nil, usagef("option --%s must not have an argument", spec.long)
			}
			out = append(out, parsedOpt{name: "--" + spec.long, spec: spec, arg: val})
			continue
		}
		for i := 1; i < len(a); i++ {
			spec := shortSpec(a[i])
			if spec == nil {
				return nil, nil, usagef("option -%c not recognized", a[i])
			}
			p := parsedOpt{name: "-" + string(a[i]), spec: spec}
			if spec.arg {
				if i+1 < len(a) {
					p.arg = a[i+1:]
				} else if len(args) > 0 {
					p.arg, args = args[0], args[1:]
				} else {
					return nil, nil, usagef("option -%c requires argument", a[i])
				}
				out = append(out, p)
				break
			}
			out = append(out, p)
		}
	}
	return out, args, nil
}

func shortSpec(c byte) *flagSpec {
	for i := range flagSpecs {
		if flagSpecs[i].short == c {
			return &flagSpecs[i]
		}
	}
	return nil
}

func longSpec(name string) (*flagSpec, error) {
	var found []*flagSpec
	for i := range flagSpecs {
		s := &flagSpecs[i]
		if s.long == "" {
			continue
		}
		if s.long == name {
			return s, nil
		}
		if strings.HasPrefix(s.long, name) {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 0:
		return nil, usagef("option --%s not recognized", name)
	case 1:
		return found[0], nil
	default:
		return nil, usagef("option --%s not a unique prefix", name)
	}
}

// The value parsers below reproduce the reference's datatypes and their
// messages, since those end up on the user's terminal; conf has the others.

func parseInt(v string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid literal for int() with base 10: %s", conf.PyRepr(v))
	}
	return n, nil
}

func parseOctal(v string) (os.FileMode, error) {
	s := strings.TrimSpace(v)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0o"), "0O")
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil {
		return 0, fmt.Errorf("%s can not be converted to an octal type", v)
	}
	return os.FileMode(n), nil
}

func existingDirectory(v string) (*string, error) {
	p := expandUser(v)
	if st, err := os.Stat(p); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s is not an existing directory", v)
	}
	return &p, nil
}

// existingDirpath accepts a file path whose directory exists.
func existingDirpath(v string) (*string, error) {
	p := expandUser(v)
	if dir := filepath.Dir(p); strings.ContainsRune(p, '/') {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("The directory named as part of the path %s does not exist", v)
		}
	}
	return &p, nil
}

func expandUser(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return home + p[1:]
}

func pyList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = conf.PyRepr(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// apply lays the command line over the config file's [supervisord] values:
// the command line wins, as in the reference.
func (o *options) apply(s *conf.Supervisord) {
	s.Nodaemon = s.Nodaemon || o.nodaemon
	s.Silent = s.Silent || o.silent
	s.NoCleanup = s.NoCleanup || o.nocleanup
	s.StripANSI = s.StripANSI || o.stripANSI
	if o.noAutoReload {
		s.AutoReload = false
	}
	setIf(&s.User, o.user)
	setIf(&s.Umask, o.umask)
	setIf(&s.Directory, o.directory)
	setIf(&s.Logfile, o.logfile)
	setIf(&s.LogfileMaxBytes, o.maxBytes)
	setIf(&s.LogfileBackups, o.backups)
	setIf(&s.LogLevel, o.loglevel)
	setIf(&s.Pidfile, o.pidfile)
	setIf(&s.Identifier, o.identifier)
	setIf(&s.ChildLogDir, o.childLogDir)
	setIf(&s.Minfds, o.minfds)
	setIf(&s.Minprocs, o.minprocs)
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
