package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/child"
	"supervisord/internal/fsutil"
	"supervisord/internal/handoff"
	"supervisord/internal/httpserver"
	"supervisord/internal/rpcinterface"
)

// An upgrade (supervisorctl upgrade, the supervisor.upgrade method)
// re-executes the daemon in the same pid, as systemd's daemon-reexec does:
// its children stay its children, so they keep running and the new
// program's reaper still reaps them. The old program stops serving (the
// listening sockets stay open, so clients wait rather than being refused),
// freezes the tree, and hands the processes, their pipes, the sockets and
// the event serial over in a memory file (handoff). The new program reads
// it back and adopts all of it instead of starting anything.

// reexec replaces the program, keeping the pid. It runs on the fork thread
// (child.Reexec): with PR_SET_PDEATHSIG on every child, an execve from any
// other thread would kill them all.
var reexec = child.Reexec

// prevEnv names the binary that handed over, for a new binary that cannot
// read the state to go back to. It is empty in a program that is itself
// such a fall-back, so that two binaries never bounce between each other.
const prevEnv = "SUPERVISORD_HANDOFF_PREVIOUS"

// upgrader takes upgrade requests from the API to the daemon's main loop
// and keeps the status the API reports. One lives as long as the process
// (across SIGHUP restarts).
type upgrader struct {
	requests chan upgradeRequest
	mu       sync.Mutex
	status   rpcinterface.UpgradeStatus
}

type upgradeRequest struct {
	path    string // "" is the daemon's own binary
	attempt int
}

func newUpgrader(ho *handoff.State) *upgrader {
	u := &upgrader{requests: make(chan upgradeRequest, 1)}
	u.status.PID = os.Getpid()
	u.status.Binary = ownBinary()
	u.status.Version = buildVersion()
	if ho != nil {
		u.status.Upgrades, u.status.Attempt, u.status.Completed = ho.Upgrades, ho.Attempt, ho.Attempt
	}
	return u
}

// ask queues an upgrade to path for the main loop, answering the attempt's
// number at once: the answer must go out before the servers stop.
func (u *upgrader) ask(path string) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.status.Attempt > max(u.status.Completed, u.status.Failed) {
		return 0, errors.New("an upgrade is under way")
	}
	u.status.Attempt++
	u.requests <- upgradeRequest{path: path, attempt: u.status.Attempt} // room: one at a time
	return u.status.Attempt, nil
}

func (u *upgrader) Status() rpcinterface.UpgradeStatus {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.status
}

func (u *upgrader) failed(attempt int, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.status.Failed, u.status.Error = attempt, err.Error()
}

// ownBinary is the executable this program was started from, as a path
// (a replaced file is its new version there).
func ownBinary() string {
	exe, err := os.Executable()
	if err != nil {
		return "/proc/self/exe"
	}
	return exe
}

// buildVersion is the release we match, with the build's revision when
// it has one.
func buildVersion() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return v
}

// handover is what one life of the daemon (runOnce) hands an upgrade.
type handover struct {
	log     *slog.Logger
	cfg     *conf.Config
	tree    *actors.Daemon
	reaper  *child.Reaper
	servers **httpserver.Servers // replaced when a failed upgrade serves again
	serve   func([]httpserver.Socket) (*httpserver.Servers, error)
}

// upgrade does one upgrade. It returns only when the exec failed (or
// never happened), with the daemon running on as before.
func (h *handover) upgrade(u *upgrader, req upgradeRequest) {
	path := req.path
	if path == "" {
		path = ownBinary()
	}
	h.log.Info("upgrading: re-executing " + path)
	err := h.try(u, req, path)
	h.log.Error(fmt.Sprintf("upgrade to %s failed, running on: %v", path, err))
	u.failed(req.attempt, err)
}

func (h *handover) try(u *upgrader, req upgradeRequest, path string) error {
	sockets, err := (*h.servers).Detach()
	if err != nil {
		return err
	}
	serveAgain := func() {
		srv, err := h.serve(sockets)
		if err != nil {
			h.log.Error("cannot serve again after a failed upgrade: " + err.Error())
			return
		}
		*h.servers = srv
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	frozen, err := h.tree.Freeze(ctx, h.reaper.Pause, h.reaper.Resume)
	if err != nil {
		serveAgain()
		return err
	}
	thaw := func() {
		h.tree.Thaw(ctx, frozen)
		serveAgain()
	}
	st := &handoff.State{Version: handoff.Version, Binary: ownBinary(), Argv: os.Args, Config: h.cfg.Path,
		Upgrades: u.Status().Upgrades + 1, Attempt: req.attempt, Serial: frozen.Serial, Processes: frozen.Processes,
		Pools: frozen.Pools, Unpublished: frozen.Unpublished, FCGISockets: frozen.FCGISockets}
	for _, s := range sockets {
		st.Listeners = append(st.Listeners, handoff.Listener{Addr: s.Key, FD: int(s.File.Fd())})
	}
	memfd, err := writeState(st)
	if err != nil {
		thaw()
		return err
	}
	keep := append(st.FDs(), memfd)
	if err := setCloexec(keep, false); err != nil {
		setCloexec(keep, true) //nolint:errcheck // best effort on the way back
		syscall.Close(memfd)
		thaw()
		return err
	}
	env := append(os.Environ(), handoff.Env+"="+strconv.Itoa(memfd), prevEnv+"="+st.Binary)
	err = reexec(path, os.Args, env)
	// Still here: the exec failed, and nothing was closed yet.
	setCloexec(keep, true) //nolint:errcheck // best effort on the way back
	syscall.Close(memfd)
	thaw()
	return fmt.Errorf("cannot execute %s: %w", path, err)
}

// writeState puts st in a memory file, read from its start by the next
// program, and returns its descriptor (close-on-exec until cleared).
func writeState(st *handoff.State) (int, error) {
	data, err := handoff.Encode(st)
	if err != nil {
		return -1, err
	}
	fd, err := unix.MemfdCreate("supervisord-handoff", unix.MFD_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("supervisor: cannot write the handoff: %w", err)
	}
	f := os.NewFile(uintptr(fd), "handoff")
	if _, err := f.Write(data); err != nil {
		f.Close()
		return -1, fmt.Errorf("supervisor: cannot write the handoff: %w", err)
	}
	// The descriptor outlives f: a duplicate, since f's cleanup would close it.
	dup, err := fsutil.DupCloexec(int(f.Fd()))
	f.Close()
	if err != nil {
		return -1, fmt.Errorf("supervisor: cannot write the handoff: %w", err)
	}
	if _, err := unix.Seek(dup, 0, io.SeekStart); err != nil {
		unix.Close(dup)
		return -1, fmt.Errorf("supervisor: cannot write the handoff: %w", err)
	}
	return dup, nil
}

func setCloexec(fds []int, on bool) error {
	flag := 0
	if on {
		flag = unix.FD_CLOEXEC
	}
	var errs []error
	for _, fd := range fds {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, flag); err != nil {
			errs = append(errs, fmt.Errorf("descriptor %d: %w", fd, err))
		}
	}
	return errors.Join(errs...)
}

// takeHandoff reads the state an upgrading daemon handed over, if this
// program is the one it executed; nil when it is not. The marker leaves
// the environment, so programs we start never see it. A state this
// program cannot read sends it back to the binary that wrote it, when
// there is one to go back to.
func takeHandoff() (*handoff.State, error) {
	v, ok := os.LookupEnv(handoff.Env)
	if !ok {
		return nil, nil
	}
	prev := os.Getenv(prevEnv)
	os.Unsetenv(handoff.Env)
	os.Unsetenv(prevEnv)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("supervisor: bad %s=%q", handoff.Env, v)
	}
	f := os.NewFile(uintptr(fd), "handoff")
	data, err := io.ReadAll(f)
	if err == nil {
		var st *handoff.State
		if st, err = handoff.Decode(data); err == nil {
			f.Close()
			return st, nil
		}
	}
	if prev != "" {
		// Back to the binary that wrote it, which can read it: from the
		// start, with nothing closed, and no further going back.
		if _, serr := unix.Seek(fd, 0, io.SeekStart); serr == nil {
			env := append(os.Environ(), handoff.Env+"="+v, prevEnv+"=")
			fmt.Fprintf(os.Stderr, "supervisor: cannot adopt the handed-over processes (%v); going back to %s\n", err, prev)
			err = fmt.Errorf("%w; and cannot go back to %s: %v", err, prev, reexec(prev, os.Args, env))
		}
	}
	f.Close()
	return nil, fmt.Errorf("supervisor: cannot adopt the handed-over processes: %w", err)
}

// inheritedSockets are the listening sockets ho hands over (none for nil).
func inheritedSockets(ho *handoff.State) []httpserver.Socket {
	if ho == nil {
		return nil
	}
	var out []httpserver.Socket
	for _, l := range ho.Listeners {
		syscall.CloseOnExec(l.FD)
		out = append(out, httpserver.Socket{Key: l.Addr, File: os.NewFile(uintptr(l.FD), "listener")})
	}
	return out
}

// logAdoption tells the main log what the upgrade brought over.
func logAdoption(log *slog.Logger, d *actors.Daemon, ho *handoff.State, up *upgrader) {
	for _, p := range d.Unadopted(context.Background()) {
		log.Warn(fmt.Sprintf("not adopted: %s:%s (pid %d) is not in the config any more; it runs on unsupervised",
			p.Group, p.Name, p.PID))
	}
	st := up.Status()
	log.Info(fmt.Sprintf("upgraded: supervisord pid %d now runs %s (version %s), %d processes handed over by %s",
		st.PID, st.Binary, st.Version, len(ho.Processes), ho.Binary))
}
