package main

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"supervisord/conf"
	"supervisord/internal/fsutil"
)

// lookupUser resolves a user name or numeric uid the way the reference's
// name_to_uid does, with its messages.
func lookupUser(name string) (uid, gid int, err error) {
	var u *user.User
	if n, convErr := strconv.Atoi(name); convErr == nil {
		if u, err = user.LookupId(strconv.Itoa(n)); err != nil {
			return 0, 0, fmt.Errorf("Invalid user id %s", name)
		}
	} else if u, err = user.Lookup(name); err != nil {
		return 0, 0, fmt.Errorf("Invalid user name %s", name)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, fmt.Errorf("Invalid user name %s", name)
	}
	return uid, gid, nil
}

// rootWarning is logged when root keeps its privileges by default.
const rootWarning = "Supervisor is running as root.  Privileges were not dropped " +
	"because no user is specified in the config file.  If you intend to run as " +
	"root, you can set user=root in the config file to avoid this message."

// switchUser drops to the [supervisord] user= when there is one; the
// returned info is the reference's success line. A failure is a usage error.
func switchUser(name string) (info string, err error) {
	if name == "" {
		return "", nil
	}
	uid, gid, err := lookupUser(name)
	if err != nil {
		return "", &usageError{err: err}
	}
	if err := dropPrivileges(name, uid, gid); err != nil {
		return "", &usageError{err: err}
	}
	return fmt.Sprintf("Set uid to user %d succeeded", uid), nil
}

func dropPrivileges(name string, uid, gid int) error {
	if os.Getuid() == uid {
		return nil
	}
	if os.Getuid() != 0 {
		return errors.New("Can't drop privilege as nonroot user")
	}
	// The primary group first, then every group listing the user.
	groups := []int{gid}
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		ids, _ := u.GroupIds()
		for _, id := range ids {
			if g, err := strconv.Atoi(id); err == nil && g != gid {
				groups = append(groups, g)
			}
		}
	}
	if err := syscall.Setgroups(groups); err != nil {
		return errors.New("Could not set groups of effective user")
	}
	if err := syscall.Setgid(gid); err != nil {
		return errors.New("Could not set group id of effective user")
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("Could not set user id of effective user %s: %w", name, err)
	}
	return nil
}

// rlimit is one minimum the config asks the kernel for.
type rlimit struct {
	resource int
	name     string
	min      uint64
	msg      string // the reference's refusal, with %[1]d the minimum and %[2]d the hard limit
}

// raiseLimits makes sure minfds descriptors and minprocs processes are
// available, raising soft limits (and hard ones when root) as the reference
// does. It returns the reference's info lines for what it raised; not
// getting a limit is a usage error.
//
// The Go runtime has already raised our own RLIMIT_NOFILE soft limit to the
// hard one, so a raise of it shows here only when the hard limit is short.
func raiseLimits(minfds, minprocs uint64) ([]string, error) {
	limits := []rlimit{
		{syscall.RLIMIT_NOFILE, "RLIMIT_NOFILE", minfds,
			"The minimum number of file descriptors required to run this process is %[1]d " +
				"as per the \"minfds\" command-line argument or config file setting. The current " +
				"environment will only allow you to open %[2]d file descriptors.  Either raise the " +
				"number of usable file descriptors in your environment (see README.rst) or lower " +
				"the minfds setting in the config file to allow the process to start."},
		{unix.RLIMIT_NPROC, "RLIMIT_NPROC", minprocs,
			"The minimum number of available processes required to run this program is %[1]d " +
				"as per the \"minprocs\" command-line argument or config file setting. The current " +
				"environment will only allow you to open %[2]d processes.  Either raise the number " +
				"of usable processes in your environment (see README.rst) or lower the minprocs " +
				"setting in the config file to allow the program to start."},
	}
	var infos []string
	for _, l := range limits {
		var cur syscall.Rlimit
		if err := syscall.Getrlimit(l.resource, &cur); err != nil {
			return nil, fmt.Errorf("supervisor: getrlimit %s: %w", l.name, err)
		}
		if cur.Cur == rlimInfinity || cur.Cur >= l.min {
			continue
		}
		hard := cur.Max
		if hard != rlimInfinity && hard < l.min {
			// Only root may raise the hard limit; for others this fails.
			hard = l.min
		}
		if err := syscall.Setrlimit(l.resource, &syscall.Rlimit{Cur: l.min, Max: hard}); err != nil {
			return nil, usagef(l.msg, l.min, hard)
		}
		infos = append(infos, fmt.Sprintf("Increased %s limit to %d", l.name, l.min))
	}
	return infos, nil
}

const rlimInfinity = unix.RLIM_INFINITY

// clearChildLogDir removes AUTO child logs left by an earlier run with the
// same identifier, returning the reference's warnings for what it could not.
func clearChildLogDir(dir, identifier string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return []string{"Could not clear childlog dir"}
	}
	// Names made by logfile.AutoName: prog---identifier-random.log, plus
	// rotated backups (.1, .2, ...).
	re := regexp.MustCompile(`^.+?---` + regexp.QuoteMeta(identifier) + `-\S+\.log\.?\d{0,4}`)
	var warns []string
	for _, e := range entries {
		if !re.MatchString(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if err := fsutil.Unlink(path); err != nil {
			warns = append(warns, "Failed to clean up "+conf.PyRepr(path))
		}
	}
	return warns
}

// writePidfile writes our pid; the caller logs the outcome the way the
// reference does.
func writePidfile(path string) error {
	return os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
}
