// Package child starts programs as OS processes and reaps them.
//
// A Reaper is the only caller of wait4 for the children it starts, woken by
// SIGCHLD, so that exits are noticed without a blocked thread per child.
// Nothing else may wait for a Reaper's children; exec.Cmd.Wait would race
// it. A Reaper made with ReapAll also reaps every other child of the
// process, such as orphans re-parented to the daemon (as PID 1 in a
// container): it must then be the process's only Reaper.
package child

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"supervisord/conf"
)

// Spec says how to start one program.
type Spec struct {
	// Path is the resolved file to execute; Argv is the command as
	// written, Argv[0] unresolved, as the reference passes it to execve.
	// An empty Path executes Argv[0].
	Path string
	Argv []string
	Dir  string // working directory; empty keeps the daemon's
	Env  []string
	// UID and GID switch the child to another user when the daemon is root;
	// -1 keeps the daemon's. A UID equal to the daemon's is not a switch.
	UID, GID int
	Umask    *os.FileMode // nil inherits the daemon's umask
	// Rlimits are set in the child before it switches user and execs;
	// nil inherits the daemon's limits.
	Rlimits []conf.Rlimit
	// RedirectStderr sends the child's stderr down its stdout pipe.
	RedirectStderr bool
	// Stdin, when set, becomes the child's fd 0 in place of a pipe (an
	// fcgi-program's listening socket); Proc.Stdin is then nil. The caller
	// keeps it open and closes it.
	Stdin *os.File
	// KeepOnDaemonDeath lets the child outlive the daemon. Otherwise it
	// gets SIGKILL as its parent-death signal, so it dies with the daemon
	// however the daemon ends (forkthread.go). The signal does not survive
	// the child's exec of a set-user-ID or set-group-ID file.
	KeepOnDaemonDeath bool
}

// Proc is a started child. Its pipes are the parent's ends; the caller
// closes them. Stdin is nil when Spec.Stdin was set, Stderr when
// Spec.RedirectStderr was.
type Proc struct {
	Pid                   int
	Stdin, Stdout, Stderr *os.File
	r                     *Reaper
}

// Signal sends sig to the process. Once the process has been reaped it
// returns ErrExited rather than signal whatever now holds the pid.
func (p *Proc) Signal(sig syscall.Signal) error { return p.kill(p.Pid, sig) }

// SignalGroup sends sig to the process group the child leads, and to every
// descendant that left that group (setsid, as npm and gunicorn do), with its
// own group (tree.go). A descendant whose parent has already died and left
// it to init is out of reach.
func (p *Proc) SignalGroup(sig syscall.Signal) error {
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	if _, live := p.r.live[p.Pid]; !live {
		return ErrExited
	}
	// Found before anything is signalled, while parents still link them.
	escaped := leftGroup(p.Pid)
	err := syscall.Kill(-p.Pid, sig)
	if len(escaped) > 0 {
		p.r.treeOnce.Do(func() {
			if p.r.log != nil {
				p.r.log.Info(treeMechanism)
			}
		})
	}
	for _, target := range escaped {
		_ = syscall.Kill(target, sig) // it may have exited meanwhile
	}
	return err
}

func (p *Proc) kill(target int, sig syscall.Signal) error {
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	if _, live := p.r.live[p.Pid]; !live {
		return ErrExited
	}
	return syscall.Kill(target, sig)
}

// ErrExited is returned when signalling a child that has already been reaped.
var ErrExited = errors.New("supervisor: process already exited")

// ExitStatus is how a child ended.
type ExitStatus struct{ ws syscall.WaitStatus }

// Exited is the status of a child that exited with code (0 to 255).
func Exited(code int) ExitStatus { return ExitStatus{syscall.WaitStatus(code&0xff) << 8} }

// Killed is the status of a child that sig ended.
func Killed(sig syscall.Signal) ExitStatus { return ExitStatus{syscall.WaitStatus(sig & 0x7f)} }

// ExitCode is the exit status, or -1 when a signal ended the process.
func (s ExitStatus) ExitCode() int {
	if s.ws.Exited() {
		return s.ws.ExitStatus()
	}
	return -1
}

// Signaled reports the signal that ended the process, if one did.
func (s ExitStatus) Signaled() (syscall.Signal, bool) {
	if s.ws.Signaled() {
		return s.ws.Signal(), true
	}
	return 0, false
}

// String reads as the reference's exit descriptions: "exit status 1",
// "terminated by SIGTERM", "terminated by SIGSEGV (core dumped)".
func (s ExitStatus) String() string {
	sig, ok := s.Signaled()
	if !ok {
		return "exit status " + strconv.Itoa(s.ExitCode())
	}
	msg := "terminated by " + conf.SignalName(sig)
	if s.ws.CoreDump() {
		msg += " (core dumped)"
	}
	return msg
}

// Resolve finds the file a program's first word names, searching PATH from
// env (not the daemon's) when it has no slash, and checks it can be run. Its
// errors read as the reference's spawn errors.
func Resolve(argv0 string, env []string) (string, error) {
	path := argv0
	if !strings.Contains(argv0, "/") {
		path = ""
		for _, dir := range strings.Split(lookupEnv(env, "PATH"), ":") {
			if dir == "" {
				continue
			}
			cand := dir + "/" + argv0
			if st, err := os.Stat(cand); err == nil && st.Mode().IsRegular() {
				path = cand
				break
			}
		}
		if path == "" {
			return "", notFound("can't find command '" + argv0 + "'")
		}
	}
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return "", notFound("can't find command '" + argv0 + "'")
	case st.IsDir():
		return "", fmt.Errorf("command at '%s' is a directory", path)
	case st.Mode().Perm()&0o111 == 0:
		return "", fmt.Errorf("command at '%s' is not executable", path)
	case syscall.Access(path, 1) != nil: // X_OK
		return "", fmt.Errorf("no permission to run command '%s'", argv0)
	}
	return path, nil
}

// ErrNotFound matches (errors.Is) Resolve's error when there is no file at
// all, which the API reports apart from one that cannot be run.
var ErrNotFound = errors.New("supervisor: command not found")

type notFound string

func (e notFound) Error() string        { return string(e) }
func (e notFound) Is(target error) bool { return target == ErrNotFound }

// lookupEnv is the last value of key in env, or the default PATH the
// reference falls back to when the environment has none.
func lookupEnv(env []string, key string) string {
	val, found := "", false
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			val, found = v, true
		}
	}
	if !found && key == "PATH" {
		return "/bin:/usr/bin:/usr/local/bin"
	}
	return val
}

// Scope says which children a Reaper reaps.
type Scope int

const (
	// ReapOwn reaps only the children the Reaper started, each by its pid,
	// so Reapers may coexist (trees started side by side in tests).
	ReapOwn Scope = iota
	// ReapAll reaps every child of the process with wait4(-1), logging
	// those it did not start: what a daemon that may be PID 1 needs. Such
	// a Reaper must be the process's only one.
	ReapAll
)

// Reaper starts children and collects their exits: one goroutine, woken
// by SIGCHLD, calls wait4 for them until Close.
type Reaper struct {
	log   *slog.Logger
	scope Scope
	sigs  chan os.Signal
	quit  chan struct{}
	done  chan struct{} // closed when the reaping goroutine has returned

	// forks is held for reading across each fork and its registration, and
	// for writing across each wait4 sweep, so an exit is never looked for
	// before its pid is known to belong to us, while forks may run side by
	// side (each waits for its child's exec, which may take a millisecond).
	forks sync.RWMutex
	// mu guards live and closed, and is held across each sweep's wait4
	// calls too, so a signal is never sent to a pid reaped (and maybe
	// reused) meanwhile.
	mu     sync.Mutex
	live   map[int]func(ExitStatus)
	closed bool
	held   map[int]*held // pids held for Adopt (adopt.go)
	// treeOnce says once in the log how descendants are found.
	treeOnce sync.Once
}

// NewReaper starts a Reaper of the given scope. log receives a line for
// every pid reaped that it did not start (ReapAll only). adopt are children
// a previous program of this process started (see Adopt), held from the
// first sweep on.
func NewReaper(log *slog.Logger, scope Scope, adopt ...int) *Reaper {
	r := &Reaper{
		log: log, scope: scope,
		sigs: make(chan os.Signal, 1), quit: make(chan struct{}), done: make(chan struct{}),
		live: make(map[int]func(ExitStatus)),
	}
	r.hold(adopt)
	signal.Notify(r.sigs, syscall.SIGCHLD)
	go r.run()
	return r
}

func (r *Reaper) run() {
	defer close(r.done)
	r.sweep() // children that exited while no Reaper was listening (ReapAll)
	for {
		select {
		case <-r.sigs:
			r.sweep()
		case <-r.quit:
			return
		}
	}
}

// Close stops reaping, after a last sweep, and makes Start fail. Children
// still running are left to whoever reaps next (with ReapOwn, nobody: they
// stay zombies until the process exits). Their Procs may still be
// signalled.
func (r *Reaper) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.mu.Unlock()
	signal.Stop(r.sigs)
	close(r.quit)
	<-r.done
	r.sweep()
}

// Done is closed once the Reaper stops reaping (Close): an exit not
// reported by then may never be.
func (r *Reaper) Done() <-chan struct{} { return r.done }

// ErrClosed is Start's error once the Reaper is closed.
var ErrClosed = errors.New("supervisor: reaper closed")

// sweep reaps every child that has exited. SIGCHLDs coalesce, so one
// wakeup may stand for many exits.
func (r *Reaper) sweep() {
	type exit struct {
		notify func(ExitStatus)
		st     ExitStatus
	}
	var exits []exit
	r.forks.Lock()
	r.mu.Lock()
	reaped := func(pid int, ws syscall.WaitStatus) {
		notify, ok := r.live[pid]
		if !ok {
			if r.log != nil {
				r.log.Info(fmt.Sprintf("reaped unknown pid %d (%s)", pid, ExitStatus{ws}))
			}
			return
		}
		delete(r.live, pid)
		exits = append(exits, exit{notify, ExitStatus{ws}})
	}
	switch r.scope {
	case ReapAll:
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			if err != nil || pid <= 0 {
				break
			}
			reaped(pid, ws)
		}
	case ReapOwn:
		for pid := range r.live {
			var ws syscall.WaitStatus
			got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
			for errors.Is(err, syscall.EINTR) {
				got, err = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
			}
			if err == nil && got == pid {
				reaped(pid, ws)
			}
		}
	}
	r.mu.Unlock()
	r.forks.Unlock()
	for _, e := range exits {
		e.notify(e.st)
	}
}

// Start forks and execs spec in a process group of its own, with fresh
// pipes for its stdin (unless Spec.Stdin is given), stdout and (unless
// redirected) stderr. onExit is
// called once, from the reaper's goroutine, when the process has been
// reaped; it must not block.
func (r *Reaper) Start(spec Spec, onExit func(ExitStatus)) (*Proc, error) {
	attr := &syscall.SysProcAttr{Setpgid: true}
	if !spec.KeepOnDaemonDeath {
		attr.Pdeathsig = syscall.SIGKILL
	}
	cred, credErr := credential(spec.UID, spec.GID)
	attr.Credential = cred
	path, argv := spec.Path, spec.Argv
	if path == "" {
		path = argv[0]
	}
	dir := spec.Dir
	if spec.Umask != nil || len(spec.Rlimits) > 0 {
		// The fork hook has neither umask nor rlimits; a shim of ourselves
		// sets them and execs. Limits must be set while still root (to
		// raise a hard one), so with limits the shim also switches user
		// and then directory, in that order.
		shim := shimSetup{umask: -1, path: path, argv: spec.Argv}
		if spec.Umask != nil {
			shim.umask = int(*spec.Umask)
		}
		if len(spec.Rlimits) > 0 {
			shim.rlimits, shim.cred, shim.dir = spec.Rlimits, cred, dir
			attr.Credential, dir = nil, ""
		}
		path, argv = "/proc/self/exe", shimArgs(shim)
	}

	// The pipes are made raw: the child's ends need no *os.File, and the
	// parent's output ends stay off the netpoller (the output hub reads
	// them with an epoll set of its own). The parent's end of stdin is
	// non-blocking, for the netpoller; the child's ends block, as a
	// program expects of its standard descriptors.
	tooMany := fmt.Errorf("too many open files to spawn '%s'", spec.Argv[0])
	in := [2]int{-1, -1}
	var childIn int
	if spec.Stdin != nil {
		childIn = int(spec.Stdin.Fd())
		defer runtime.KeepAlive(spec.Stdin)
	} else {
		var err error
		if in, err = pipe(syscall.O_NONBLOCK); err != nil {
			return nil, tooMany
		}
		if err := setFlags(in[0], 0); err != nil {
			closeFds(in[:]...)
			return nil, tooMany
		}
		childIn = in[0]
	}
	out, err := pipe(0)
	if err != nil {
		closeFds(in[:]...)
		return nil, tooMany
	}
	stderr := [2]int{-1, out[1]}
	if !spec.RedirectStderr {
		if stderr, err = pipe(0); err != nil {
			closeFds(in[0], in[1], out[0], out[1])
			return nil, tooMany
		}
	}
	defer func() { // the child's ends, once it has them
		closeFds(in[0], out[1])
		if stderr[1] != out[1] {
			closeFds(stderr[1])
		}
	}()
	parent := []int{in[1], out[0], stderr[0]}

	pa := &syscall.ProcAttr{
		Dir:   dir,
		Env:   spec.Env,
		Files: []uintptr{uintptr(childIn), uintptr(out[1]), uintptr(stderr[1])},
		Sys:   attr,
	}
	r.forks.RLock()
	var pid int
	err = credErr
	r.mu.Lock()
	if r.closed {
		err = ErrClosed
	}
	r.mu.Unlock()
	if err == nil {
		onForkThread(func() { pid, err = syscall.ForkExec(path, argv, pa) })
	}
	standIn := err != nil && err != ErrClosed && !forkFailed(err)
	if err != nil && err != ErrClosed && credErr == nil {
		err = spawnError(spec, err)
	}
	if standIn {
		// The child could not become the program. The reference's child
		// reports that on its stderr and exits 127; a stand-in does the
		// same, so logs, exit and state follow the reference's path.
		pa.Dir, pa.Sys = "", &syscall.SysProcAttr{Setpgid: true, Pdeathsig: attr.Pdeathsig}
		var spid int
		var serr error
		onForkThread(func() { spid, serr = syscall.ForkExec("/proc/self/exe", []string{failArg0, err.Error()}, pa) })
		if serr == nil {
			pid, err = spid, nil
		}
	}
	if err == nil {
		r.mu.Lock()
		r.live[pid] = onExit
		r.mu.Unlock()
	}
	r.forks.RUnlock()
	if err != nil {
		closeFds(parent...)
		return nil, err
	}
	p := &Proc{Pid: pid, Stdout: os.NewFile(uintptr(out[0]), "|0"), r: r}
	if in[1] >= 0 {
		p.Stdin = os.NewFile(uintptr(in[1]), "|1")
	}
	if stderr[0] >= 0 {
		p.Stderr = os.NewFile(uintptr(stderr[0]), "|0")
	}
	return p, nil
}

// pipe makes a close-on-exec pipe with extra flags on both ends.
func pipe(flags int) ([2]int, error) {
	var p [2]int
	err := syscall.Pipe2(p[:], syscall.O_CLOEXEC|flags)
	return p, err
}

// setFlags sets a descriptor's status flags (O_NONBLOCK and the like).
func setFlags(fd, flags int) error {
	_, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFL, uintptr(flags))
	if errno != 0 {
		return errno
	}
	return nil
}

func closeFds(fds ...int) {
	for _, fd := range fds {
		if fd >= 0 {
			syscall.Close(fd)
		}
	}
}

// forkFailed tells a failed fork (no child at all, which the reference
// reports as a spawn error) from a child that failed to set itself up.
func forkFailed(err error) bool {
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.ENOMEM)
}

// spawnError words a failed fork or exec the way the reference's child
// reports it on its stderr before exiting 127.
func spawnError(spec Spec, err error) error {
	var errno syscall.Errno
	code := err.Error()
	if errors.As(err, &errno) {
		code = errnoName(errno)
	}
	if spec.Dir != "" {
		if st, serr := os.Stat(spec.Dir); serr != nil || !st.IsDir() {
			return fmt.Errorf("couldn't chdir to %s: %s", spec.Dir, code)
		}
	}
	return fmt.Errorf("couldn't exec %s: %s", spec.Argv[0], code)
}

func errnoName(e syscall.Errno) string {
	switch e {
	case syscall.ENOENT:
		return "ENOENT"
	case syscall.EACCES:
		return "EACCES"
	case syscall.ENOTDIR:
		return "ENOTDIR"
	case syscall.ENOEXEC:
		return "ENOEXEC"
	case syscall.EPERM:
		return "EPERM"
	case syscall.ENOMEM:
		return "ENOMEM"
	case syscall.EAGAIN:
		return "EAGAIN"
	case syscall.E2BIG:
		return "E2BIG"
	case syscall.ETXTBSY:
		return "ETXTBSY"
	}
	return e.Error()
}

// credential is what the child runs as: nil to stay the daemon's user, the
// user's primary group first among its groups otherwise, as the reference
// sets them.
func credential(uid, gid int) (*syscall.Credential, error) {
	if uid < 0 || uid == os.Getuid() {
		return nil, nil
	}
	if os.Getuid() != 0 {
		return nil, errors.New("couldn't setuid to " + strconv.Itoa(uid) + ": Can't drop privilege as nonroot user")
	}
	if gid < 0 {
		gid = os.Getgid()
	}
	groups := []uint32{uint32(gid)}
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		if ids, err := u.GroupIds(); err == nil {
			for _, id := range ids {
				if n, err := strconv.ParseUint(id, 10, 32); err == nil && uint32(n) != uint32(gid) {
					groups = append(groups, uint32(n))
				}
			}
		}
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}, nil
}
