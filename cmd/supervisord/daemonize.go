package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// daemonEnv marks the re-executed copy that is to become the daemon; its
// value is the descriptor of the pipe the copy reports its startup on.
//
// Go cannot fork safely, so instead of the reference's fork+setsid the
// command starts itself again in a new session and waits until that copy has
// written its pidfile. Whatever the copy prints before then reaches this
// terminal, and a copy that fails passes its exit status on, so `supervisord`
// without -n reports startup errors just as the reference does.
const daemonEnv = "SUPERVISORD_DAEMON_STATUS_FD"

// startupDone is the byte the daemon writes on its status pipe once it is up.
const startupDone = 0

// statusPipe is the daemon copy's end of the startup report.
type statusPipe struct{ f *os.File }

// daemonStatusPipe reports whether this process is the daemon copy and, if
// so, returns its status pipe. The marker is removed from the environment so
// programs we start do not inherit it.
func daemonStatusPipe() (*statusPipe, error) {
	v, ok := os.LookupEnv(daemonEnv)
	if !ok {
		return nil, nil
	}
	os.Unsetenv(daemonEnv)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("supervisor: bad %s=%q", daemonEnv, v)
	}
	syscall.CloseOnExec(fd)
	return &statusPipe{f: os.NewFile(uintptr(fd), "startup-status")}, nil
}

func (p *statusPipe) Write(b []byte) (int, error) { return p.f.Write(b) }

// done tells the waiting parent that startup succeeded.
func (p *statusPipe) done() {
	p.f.Write([]byte{startupDone}) //nolint:errcheck // a parent that is gone needs no answer
	p.f.Close()
}

// daemonize starts the daemon copy with args and relays its startup report.
// It returns 0 once the copy is up, or the copy's exit status if it failed.
func (c *CLI) daemonize(args []string) int {
	exe, err := os.Executable()
	if err != nil {
		return c.fail(fmt.Errorf("supervisor: cannot find our own executable: %w", err))
	}
	r, w, err := os.Pipe()
	if err != nil {
		return c.fail(err)
	}
	defer r.Close()
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		w.Close()
		return c.fail(err)
	}
	defer devnull.Close()
	cmd := &exec.Cmd{
		Path:       exe,
		Args:       append([]string{c.prog}, args...),
		Env:        append(os.Environ(), daemonEnv+"=3"),
		Stdin:      devnull,
		Stdout:     devnull,
		Stderr:     devnull,
		ExtraFiles: []*os.File{w},
		// A session of its own, so signals for our terminal's process group
		// (Ctrl-C, hangup) do not reach the daemon.
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return c.fail(fmt.Errorf("supervisor: cannot start the daemon: %w", err))
	}
	if relayUntilDone(r, c.err) {
		// The daemon is up; it is not ours to wait for.
		cmd.Process.Release()
		return 0
	}
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 {
			return ee.ExitCode()
		}
		return c.fail(fmt.Errorf("supervisor: the daemon died during startup: %w", err))
	}
	// It exited 0 without saying it was up (e.g. -h handled by the copy).
	return 0
}

// relayUntilDone copies what the daemon prints during startup to w and
// reports whether it ended with the startup-done byte rather than EOF.
func relayUntilDone(r io.Reader, w io.Writer) bool {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if i := bytes.IndexByte(buf[:n], startupDone); i >= 0 {
			w.Write(buf[:i])
			return true
		}
		w.Write(buf[:n])
		if err != nil {
			return false
		}
	}
}
