package conf

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Datatype converters, one per reference datatype, with its failure wording.

var truthy = []string{"yes", "true", "on", "1"}
var falsy = []string{"no", "false", "off", "0"}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func parseBool(s string) (bool, error) {
	l := strings.ToLower(s)
	switch {
	case contains(truthy, l):
		return true, nil
	case contains(falsy, l):
		return false, nil
	}
	return false, fmt.Errorf("not a valid boolean value: %s", PyRepr(s))
}

func parseInt(s string) (int, error) {
	n, err := pyInt(s, 10)
	if err != nil {
		return 0, err
	}
	if n != int64(int(n)) {
		return 0, fmt.Errorf("integer %s is too large", PyRepr(s))
	}
	return int(n), nil
}

// ParseByteSize reads a size like the reference's byte_size: an integer with
// an optional case-insensitive KB, MB or GB suffix (powers of 1024).
func ParseByteSize(s string) (int64, error) {
	l := strings.ToLower(s)
	mult := int64(1)
	for suffix, m := range map[string]int64{"kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30} {
		if strings.HasSuffix(l, suffix) {
			l, mult = l[:len(l)-2], m
			break
		}
	}
	n, err := pyInt(l, 10)
	if err != nil {
		return 0, err
	}
	if n > (1<<63-1)/mult || n < -(1<<63-1)/mult {
		return 0, fmt.Errorf("byte size %s is too large", PyRepr(s))
	}
	return n * mult, nil
}

func parseOctal(s string) (os.FileMode, error) {
	n, err := pyInt(s, 8)
	if err != nil || n < 0 || n > 0xffffffff {
		return 0, fmt.Errorf("%s can not be converted to an octal type", s)
	}
	return os.FileMode(n), nil
}

// signalNames is every SIG* name of Python's signal module on Linux.
var signalNames = map[string]syscall.Signal{
	"SIGABRT": 6, "SIGALRM": 14, "SIGBUS": 7, "SIGCHLD": 17, "SIGCLD": 17, "SIGCONT": 18,
	"SIGFPE": 8, "SIGHUP": 1, "SIGILL": 4, "SIGINT": 2, "SIGIO": 29, "SIGIOT": 6,
	"SIGKILL": 9, "SIGPIPE": 13, "SIGPOLL": 29, "SIGPROF": 27, "SIGPWR": 30, "SIGQUIT": 3,
	"SIGRTMAX": 64, "SIGRTMIN": 34, "SIGSEGV": 11, "SIGSTKFLT": 16, "SIGSTOP": 19,
	"SIGSYS": 31, "SIGTERM": 15, "SIGTRAP": 5, "SIGTSTP": 20, "SIGTTIN": 21, "SIGTTOU": 22,
	"SIGURG": 23, "SIGUSR1": 10, "SIGUSR2": 12, "SIGVTALRM": 26, "SIGWINCH": 28,
	"SIGXCPU": 24, "SIGXFSZ": 25,
	// constants that share the prefix, and so pass the reference's check
	"SIG_BLOCK": 0, "SIG_DFL": 0, "SIG_IGN": 1, "SIG_SETMASK": 2, "SIG_UNBLOCK": 1,
}

// signalByNumber names each signal as the reference's signame does, which
// settles every alias on one name (SIGIO is "SIGPOLL").
var signalByNumber = func() map[syscall.Signal]string {
	m := make(map[syscall.Signal]string)
	for name, sig := range signalNames {
		switch name {
		case "SIGCLD", "SIGIOT", "SIGIO":
			continue
		}
		if !strings.HasPrefix(name, "SIG_") {
			m[sig] = name
		}
	}
	return m
}()

// SignalName is "SIGTERM" for 15 and "signal 40" for a number with no name.
func SignalName(sig syscall.Signal) string {
	if name, ok := signalByNumber[sig]; ok {
		return name
	}
	return fmt.Sprintf("signal %d", int(sig))
}

// ParseSignal reads a signal like the reference's signal_number: a number,
// or a name with or without "SIG" in any case.
func ParseSignal(s string) (syscall.Signal, error) {
	n, err := pyInt(s, 10)
	if err != nil {
		name := strings.ToUpper(strings.TrimFunc(s, isPySpace))
		if !strings.HasPrefix(name, "SIG") {
			name = "SIG" + name
		}
		sig, ok := signalNames[name]
		if !ok {
			return 0, fmt.Errorf("value %s is not a valid signal name", PyRepr(s))
		}
		return sig, nil
	}
	for _, sig := range signalNames {
		if int64(sig) == n {
			return sig, nil
		}
	}
	return 0, fmt.Errorf("value %s is not a valid signal number", PyRepr(s))
}

// ParseLogLevel reads one of the reference's level names, in any case.
func ParseLogLevel(s string) (LogLevel, error) {
	for l, name := range levelNames {
		if strings.ToLower(s) == name {
			return l, nil
		}
	}
	return 0, fmt.Errorf("bad logging level name %s", PyRepr(s))
}

var levelNames = map[LogLevel]string{
	LevelCritical: "critical", LevelError: "error", LevelWarn: "warn", LevelInfo: "info",
	LevelDebug: "debug", LevelTrace: "trace", LevelBlather: "blather",
}

// String gives the reference's name for the level.
func (l LogLevel) String() string {
	if n, ok := levelNames[l]; ok {
		return n
	}
	return "level(" + strconv.Itoa(int(l)) + ")"
}

func parseAutoRestart(s string) (AutoRestart, error) {
	l := strings.ToLower(s)
	switch {
	case contains(truthy, l):
		return RestartAlways, nil
	case contains(falsy, l):
		return RestartNever, nil
	case l == "unexpected":
		return RestartUnexpected, nil
	}
	return 0, fmt.Errorf("invalid 'autorestart' value %s", PyRepr(l))
}

func parseExitCodes(s string) ([]int, error) {
	if s == "" {
		return []int{}, nil
	}
	var codes []int
	for _, part := range strings.Split(s, ",") {
		n, err := pyInt(part, 10)
		if err != nil || n < 0 || n > 255 {
			return nil, fmt.Errorf("not a valid list of exit codes: %s", PyRepr(s))
		}
		codes = append(codes, int(n))
	}
	return codes, nil
}

func listOfStrings(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimFunc(parts[i], isPySpace)
	}
	return parts
}

// parseEnv reads KEY=val,KEY2="v,2" like the reference's
// dict_of_key_value_pairs: shlex tokens taken as key, "=", value, and one
// separator token, with quotes stripped from values' ends. Later duplicates
// replace earlier values in place.
func parseEnv(s string) ([]EnvVar, error) {
	tokens, err := shlexEnvTokens(s)
	if err != nil {
		return nil, err
	}
	var env []EnvVar
	for i := 0; i < len(tokens); i += 4 {
		if i+3 > len(tokens) || tokens[i+1] != "=" {
			return nil, fmt.Errorf("Unexpected end of key/value pairs in value '%s'", s)
		}
		env = setEnv(env, tokens[i], strings.Trim(tokens[i+2], `'"`))
	}
	return env, nil
}

func setEnv(env []EnvVar, k, v string) []EnvVar {
	for i := range env {
		if env[i].Key == k {
			env[i].Value = v
			return env
		}
	}
	return append(env, EnvVar{Key: k, Value: v})
}

// processName checks a program, group or process name the way the
// reference's process_or_group_name does, returning it stripped.
func processName(name string) (string, error) {
	s := strings.TrimFunc(name, isPySpace)
	for _, c := range " :/" {
		if strings.ContainsRune(s, c) {
			return "", fmt.Errorf("Invalid name: %s because of character: %s", PyRepr(name), PyRepr(string(c)))
		}
	}
	return s, nil
}

// expandUser is Python's os.path.expanduser.
func expandUser(p string) string {
	if !strings.HasPrefix(p, "~") {
		return p
	}
	i := strings.IndexByte(p, '/')
	if i < 0 {
		i = len(p)
	}
	var home string
	if i == 1 {
		home = os.Getenv("HOME")
		if home == "" {
			u, err := user.Current()
			if err != nil {
				return p
			}
			home = u.HomeDir
		}
	} else {
		u, err := user.Lookup(p[1:i])
		if err != nil {
			return p
		}
		home = u.HomeDir
	}
	home = strings.TrimRight(home, "/")
	if home == "" {
		home = "/"
		if i < len(p) {
			home = ""
		}
	}
	return home + p[i:]
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func existingDirectory(v string) (string, error) {
	nv := expandUser(v)
	if isDir(nv) {
		return nv, nil
	}
	return "", fmt.Errorf("%s is not an existing directory", v)
}

func existingDirpath(v string) (string, error) {
	nv := expandUser(v)
	dir := pyDirname(nv)
	if dir == "" || isDir(dir) {
		return nv, nil
	}
	return "", fmt.Errorf("The directory named as part of the path %s does not exist", v)
}

// pyDirname is os.path.dirname: everything before the last "/", with
// trailing slashes removed unless it is all slashes.
func pyDirname(p string) string {
	i := strings.LastIndexByte(p, '/') + 1
	head := p[:i]
	if head != "" && strings.Trim(head, "/") != "" {
		head = strings.TrimRight(head, "/")
	}
	return head
}

// normalizePath is the reference's normalize_path: expanduser, absolute
// against the working directory, cleaned.
func normalizePath(p string) string {
	a, err := filepath.Abs(expandUser(p))
	if err != nil {
		return filepath.Clean(expandUser(p))
	}
	return a
}

// uidFor resolves a user name or numeric id like name_to_uid, returning the
// uid and that user's primary gid.
func uidFor(name string) (uid, gid int, err error) {
	var u *user.User
	if n, perr := pyInt(name, 10); perr == nil {
		u, err = user.LookupId(strconv.FormatInt(n, 10))
		if err != nil {
			return -1, -1, fmt.Errorf("Invalid user id %s", name)
		}
	} else {
		u, err = user.Lookup(name)
		if err != nil {
			return -1, -1, fmt.Errorf("Invalid user name %s", name)
		}
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, nil
}

func gidFor(name string) (int, error) {
	var g *user.Group
	var err error
	if n, perr := pyInt(name, 10); perr == nil {
		g, err = user.LookupGroupId(strconv.FormatInt(n, 10))
	} else {
		g, err = user.LookupGroup(name)
	}
	if err != nil {
		return -1, errors.New("invalid group " + name)
	}
	gid, _ := strconv.Atoi(g.Gid)
	return gid, nil
}

// userGroup reads "user" or "user:group" like colon_separated_user_group.
func userGroup(s string) (uid, gid int, err error) {
	name, group, hasGroup := strings.Cut(s, ":")
	uid, _, err = uidFor(name)
	if err != nil {
		return -1, -1, err
	}
	gid = -1
	if hasGroup {
		if gid, err = gidFor(group); err != nil {
			return -1, -1, err
		}
	}
	return uid, gid, nil
}

// inetAddress reads "host:port", "*:port" or "port" like inet_address.
func inetAddress(s string) (string, int, error) {
	portNumber := func(p string) (int, error) {
		n, err := pyInt(p, 10)
		if err != nil {
			return 0, err
		}
		if n < 1 {
			return 0, fmt.Errorf("%d is below lower bound (1)", n)
		}
		if n > 0xffff {
			return 0, fmt.Errorf("%d is above upper bound (65535)", n)
		}
		return int(n), nil
	}
	host := ""
	var port int
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		h, p := s[:i], s[i+1:]
		if p == "" {
			return "", 0, fmt.Errorf("no port number specified in %s", PyRepr(p))
		}
		var err error
		if port, err = portNumber(p); err != nil {
			return "", 0, err
		}
		host = strings.ToLower(h)
	} else {
		var err error
		if port, err = portNumber(s); err != nil {
			return "", 0, fmt.Errorf("not a valid port number: %s ", PyRepr(s))
		}
	}
	if host == "*" {
		host = ""
	}
	return host, port, nil
}

// DefaultEventHistory is event_history='s default: how many events the
// daemon keeps for the JSON API's event stream to replay.
const DefaultEventHistory = 10000

// DefaultStateFile is the state file's name when statefile= is not set: it
// goes in the pidfile's directory.
const DefaultStateFile = "supervisord.state"

// maxEventHistory bounds event_history=, so a typo cannot reserve
// gigabytes.
const maxEventHistory = 1_000_000

// parseEventHistory reads event_history=: a count from 1 to
// maxEventHistory. The history is also how far a live client of the event
// stream may fall behind before it misses events, so it cannot be empty.
func parseEventHistory(s string) (int, error) {
	n, err := parseInt(s)
	switch {
	case err != nil:
		return 0, err
	case n < 1:
		return 0, fmt.Errorf("%d is below lower bound (1)", n)
	case n > maxEventHistory:
		return 0, fmt.Errorf("%d is above upper bound (%d)", n, maxEventHistory)
	}
	return n, nil
}
