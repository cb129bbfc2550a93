package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"supervisord/conf"
	"supervisord/internal/getopt"
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
--test-config -- check the config, report every problem and exit (0 when it
                 would load, 1 when not)
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
	testConfig   bool
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
	opt getopt.Option
	act action
	set func(o *options, v string) error
}

var flagSpecs = []flagSpec{
	{opt: getopt.Spec("h", "help"), act: actHelp},
	{opt: getopt.Spec("?"), act: actHelp},
	{opt: getopt.Spec("v", "version"), act: actVersion},
	{opt: getopt.Spec("", "echo-config"), act: actEchoConfig},
	{opt: getopt.Spec("c:", "configuration="), set: func(o *options, v string) error {
		o.configFile = v
		return nil
	}},
	{opt: getopt.Spec("n", "nodaemon"), set: func(o *options, _ string) error { o.nodaemon = true; return nil }},
	{opt: getopt.Spec("s", "silent"), set: func(o *options, _ string) error { o.silent = true; return nil }},
	{opt: getopt.Spec("k", "nocleanup"), set: func(o *options, _ string) error { o.nocleanup = true; return nil }},
	{opt: getopt.Spec("t", "strip_ansi"), set: func(o *options, _ string) error { o.stripANSI = true; return nil }},
	{opt: getopt.Spec("", "no-autoreload"), set: func(o *options, _ string) error { o.noAutoReload = true; return nil }},
	{opt: getopt.Spec("", "test-config"), set: func(o *options, _ string) error { o.testConfig = true; return nil }},
	{opt: getopt.Spec("u:", "user="), set: func(o *options, v string) error { o.user = &v; return nil }},
	{opt: getopt.Spec("m:", "umask="), set: func(o *options, v string) error {
		m, err := parseOctal(v)
		o.umask = &m
		return err
	}},
	{opt: getopt.Spec("d:", "directory="), set: func(o *options, v string) (err error) {
		o.directory, err = existingDirectory(v)
		return err
	}},
	{opt: getopt.Spec("l:", "logfile="), set: func(o *options, v string) (err error) {
		o.logfile, err = existingDirpath(v)
		return err
	}},
	{opt: getopt.Spec("y:", "logfile_maxbytes="), set: func(o *options, v string) (err error) {
		n, err := conf.ParseByteSize(v)
		o.maxBytes = &n
		return err
	}},
	{opt: getopt.Spec("z:", "logfile_backups="), set: func(o *options, v string) error {
		n, err := parseInt(v)
		b := int(n)
		o.backups = &b
		return err
	}},
	{opt: getopt.Spec("e:", "loglevel="), set: func(o *options, v string) error {
		l, err := conf.ParseLogLevel(v)
		o.loglevel = &l
		return err
	}},
	{opt: getopt.Spec("j:", "pidfile="), set: func(o *options, v string) (err error) {
		o.pidfile, err = existingDirpath(v)
		return err
	}},
	{opt: getopt.Spec("i:", "identifier="), set: func(o *options, v string) error { o.identifier = &v; return nil }},
	{opt: getopt.Spec("q:", "childlogdir="), set: func(o *options, v string) (err error) {
		o.childLogDir, err = existingDirectory(v)
		return err
	}},
	{opt: getopt.Spec("a:", "minfds="), set: func(o *options, v string) error {
		n, err := parseInt(v)
		u := uint64(max(n, 0))
		o.minfds = &u
		return err
	}},
	{opt: getopt.Spec("", "minprocs="), set: func(o *options, v string) error {
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

// flagOptions is flagSpecs as getopt reads them.
var flagOptions = func() []getopt.Option {
	opts := make([]getopt.Option, len(flagSpecs))
	for i, s := range flagSpecs {
		opts[i] = s.opt
	}
	return opts
}()

// parseArgs reads the command line the way the reference does: Python's
// getopt first (so a syntax error anywhere wins), then each option in order.
func parseArgs(args []string) (*options, error) {
	opts, rest, err := getopt.Parse(args, flagOptions)
	if err != nil {
		return nil, &usageError{err: err}
	}
	if len(rest) > 0 {
		return nil, usagef("positional arguments are not supported: %s", pyList(rest))
	}
	o := &options{}
	seen := make(map[*flagSpec]bool)
	for _, p := range opts {
		spec := &flagSpecs[p.Index]
		if spec.act != actRun {
			o.action = spec.act
			return o, nil
		}
		if err := spec.set(o, p.Value); err != nil {
			return nil, usagef("invalid value for %s %s: %s", p.Name, conf.PyRepr(p.Value), err)
		}
		if seen[spec] {
			return nil, usagef("conflicting command line option %s", conf.PyRepr(p.Name))
		}
		seen[spec] = true
	}
	return o, nil
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
