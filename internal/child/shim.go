package child

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"

	"supervisord/conf"
)

// shimArg0 marks a re-exec of the daemon that sets up what the fork hook
// cannot and then execs the program: [shimArg0, setting..., "--", path,
// argv...], each setting one of
//
//	umask=OCTAL
//	rlimit=RESOURCE:SOFT:HARD
//	cred=UID:GID:GROUP,GROUP...
//	dir=PATH
//
// applied in the order limits, user, directory, umask: limits while still
// root, so a hard limit may be raised; the directory as the user, as the
// reference's child changes it.
const shimArg0 = "supervisord: exec-shim"

// failArg0 marks a re-exec of the daemon that stands in for a child whose
// setup failed (chdir, setuid, exec): [failArg0, message]. Like the
// reference's child it says why on its stderr and exits 127, so the
// program's stderr log, its exit and its state are the reference's.
const failArg0 = "supervisord: spawn-failed"

func init() {
	if len(os.Args) == 2 && os.Args[0] == failArg0 {
		notSpawned(os.Args[1])
	}
	if len(os.Args) < 4 || os.Args[0] != shimArg0 {
		return
	}
	s, err := parseShim(os.Args[1:])
	if err != nil {
		notSpawned(err.Error())
	}
	notSpawned(s.run().Error())
}

// shimSetup is what a shim does before it execs path with argv.
type shimSetup struct {
	rlimits []conf.Rlimit
	cred    *syscall.Credential
	dir     string
	umask   int // -1 keeps the inherited one
	path    string
	argv    []string
}

// shimArgs is argv for a shim that sets s up.
func shimArgs(s shimSetup) []string {
	args := []string{shimArg0}
	for _, rl := range s.rlimits {
		args = append(args, "rlimit="+strconv.Itoa(rl.Resource)+":"+
			strconv.FormatUint(rl.Soft, 10)+":"+strconv.FormatUint(rl.Hard, 10))
	}
	if c := s.cred; c != nil {
		groups := make([]string, len(c.Groups))
		for i, g := range c.Groups {
			groups[i] = strconv.FormatUint(uint64(g), 10)
		}
		args = append(args, "cred="+strconv.FormatUint(uint64(c.Uid), 10)+":"+
			strconv.FormatUint(uint64(c.Gid), 10)+":"+strings.Join(groups, ","))
	}
	if s.dir != "" {
		args = append(args, "dir="+s.dir)
	}
	if s.umask >= 0 {
		args = append(args, "umask="+strconv.FormatUint(uint64(s.umask), 8))
	}
	return append(append(args, "--", s.path), s.argv...)
}

// parseShim reads shimArgs' output, less its first word.
func parseShim(args []string) (shimSetup, error) {
	s := shimSetup{umask: -1}
	for i, a := range args {
		if a == "--" {
			if len(args) < i+3 {
				break
			}
			s.path, s.argv = args[i+1], args[i+2:]
			return s, nil
		}
		key, val, _ := strings.Cut(a, "=")
		var err error
		switch key {
		case "umask":
			var n uint64
			n, err = strconv.ParseUint(val, 8, 32)
			s.umask = int(n)
		case "rlimit":
			var rl conf.Rlimit
			rl, err = parseShimRlimit(val)
			s.rlimits = append(s.rlimits, rl)
		case "cred":
			s.cred, err = parseShimCred(val)
		case "dir":
			s.dir = val
		default:
			err = errors.New("unknown setting")
		}
		if err != nil {
			return s, errors.New("bad exec-shim setting " + strconv.Quote(a))
		}
	}
	return s, errors.New("bad exec-shim arguments")
}

func parseShimRlimit(v string) (conf.Rlimit, error) {
	f := strings.Split(v, ":")
	if len(f) != 3 {
		return conf.Rlimit{}, errors.New("want RESOURCE:SOFT:HARD")
	}
	res, err1 := strconv.Atoi(f[0])
	soft, err2 := strconv.ParseUint(f[1], 10, 64)
	hard, err3 := strconv.ParseUint(f[2], 10, 64)
	return conf.Rlimit{Resource: res, Soft: soft, Hard: hard}, errors.Join(err1, err2, err3)
}

func parseShimCred(v string) (*syscall.Credential, error) {
	f := strings.Split(v, ":")
	if len(f) != 3 {
		return nil, errors.New("want UID:GID:GROUPS")
	}
	uid, err1 := strconv.ParseUint(f[0], 10, 32)
	gid, err2 := strconv.ParseUint(f[1], 10, 32)
	c := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	errs := []error{err1, err2}
	if f[2] != "" {
		for _, g := range strings.Split(f[2], ",") {
			n, err := strconv.ParseUint(g, 10, 32)
			c.Groups = append(c.Groups, uint32(n))
			errs = append(errs, err)
		}
	}
	return c, errors.Join(errs...)
}

// run sets the process up and execs the program; it returns only the
// reason it could not, worded as the reference's child words it.
func (s shimSetup) run() error {
	for _, rl := range s.rlimits {
		if err := syscall.Setrlimit(rl.Resource, &syscall.Rlimit{Cur: rl.Soft, Max: rl.Hard}); err != nil {
			return errors.New("couldn't set " + conf.RlimitName(rl.Resource) + " to " + rl.String() + ": " + errCode(err))
		}
	}
	if c := s.cred; c != nil {
		setuid := "couldn't setuid to " + strconv.FormatUint(uint64(c.Uid), 10) + ": "
		groups := make([]int, len(c.Groups))
		for i, g := range c.Groups {
			groups[i] = int(g)
		}
		if err := syscall.Setgroups(groups); err != nil {
			return errors.New(setuid + "Could not set groups of effective user")
		}
		if err := syscall.Setgid(int(c.Gid)); err != nil {
			return errors.New(setuid + "Could not set group id of effective user")
		}
		if err := syscall.Setuid(int(c.Uid)); err != nil {
			return errors.New(setuid + errCode(err))
		}
	}
	if s.dir != "" {
		if err := syscall.Chdir(s.dir); err != nil {
			return errors.New("couldn't chdir to " + s.dir + ": " + errCode(err))
		}
	}
	if s.umask >= 0 {
		syscall.Umask(s.umask)
	}
	err := syscall.Exec(s.path, s.argv, os.Environ())
	return errors.New("couldn't exec " + s.argv[0] + ": " + errCode(err))
}

// errCode is an errno's symbolic name, as the reference prints it.
func errCode(err error) string {
	if errno, ok := err.(syscall.Errno); ok {
		return errnoName(errno)
	}
	return err.Error()
}

func notSpawned(why string) {
	os.Stderr.WriteString("supervisor: " + why + "\n")
	os.Stderr.WriteString("supervisor: child process was not spawned\n")
	os.Exit(127)
}
