// Package probe makes one check of a program's ready= or health= probe:
// a TCP connection, an HTTP GET or a command. Scheduling checks, counting
// failures and acting on them is the process actor's business.
package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"supervisord/conf"
	"supervisord/internal/child"
	"supervisord/internal/output"
)

// ErrNotCheckable is (errors.Is) Check's error for a probe that is not a
// tcp, http or exec one: none, notify and log probes are met by what the
// program sends or writes, not by checking.
var ErrNotCheckable = errors.New("not a tcp, http or exec probe")

// Checker makes checks. Its zero value runs exec probes with os/exec,
// which waits for the command itself; that is only sound where nothing
// else waits for any child of the daemon. A daemon whose reaper reaps
// every child (child.ReapAll) must set Reaper.
type Checker struct {
	// Reaper, when set, starts exec probes' commands and collects their
	// exits; their output is read and discarded.
	Reaper *child.Reaper
}

// Check makes one check of p with the zero Checker: see Checker.Check.
func Check(ctx context.Context, p conf.Probe, as As) error {
	return Checker{}.Check(ctx, p, as)
}

// As is who an exec check runs as: the program it checks, so a check can
// do no more than the program could.
type As struct {
	Env      []string // the whole environment; nil: the daemon's
	Dir      string   // the working directory; "": the daemon's
	UID, GID int      // -1: the daemon's
}

// Check runs one check of p, bounded by ctx (the caller sets the
// timeout). It returns nil when the check passes, else an error whose text
// is a short reason fit for a log line:
//
//	tcp 127.0.0.1:5432: connection refused
//	http://127.0.0.1:8080/healthz: status 503
//	exec: exit status 1
//	exec: timed out after 5s
//
// An error caused by ctx ending wraps ctx.Err(), so errors.Is tells a
// timeout (context.DeadlineExceeded) from a failure.
//
//   - tcp: a connection to Target is made and closed.
//   - http: a GET of Target, not following redirects, passes on a 2xx or
//     3xx status; at most 4 KiB of the body are read. No proxy is used
//     and no connection is kept.
//   - exec: Argv runs as as says (environment, directory, user), Argv[0]
//     found through the PATH of its environment; its stdin, stdout and stderr are /dev/null (or, with a
//     Reaper, output is read and discarded). It leads a process group of
//     its own, which is killed (SIGKILL) when ctx ends; the command is
//     always waited for. It passes when the command exits 0.
func (c Checker) Check(ctx context.Context, p conf.Probe, as As) error {
	start := time.Now()
	var what string
	var err error
	switch p.Kind {
	case conf.ProbeTCP:
		what = "tcp " + p.Target
		err = checkTCP(ctx, p.Target)
	case conf.ProbeHTTP:
		what = p.Target
		err = checkHTTP(ctx, p.Target)
	case conf.ProbeExec:
		what = "exec"
		err = c.checkExec(ctx, p.Argv, as)
	default:
		return fmt.Errorf("probe %q: %w", p.String(), ErrNotCheckable)
	}
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		why := "canceled"
		if errors.Is(cerr, context.DeadlineExceeded) {
			timeout := time.Since(start)
			if deadline, ok := ctx.Deadline(); ok {
				timeout = deadline.Sub(start)
			}
			why = "timed out after " + roundTimeout(timeout).String()
		}
		return &Error{What: what, Reason: why, Err: cerr}
	}
	var f *Error
	if errors.As(err, &f) {
		f.What = what
		return f
	}
	return &Error{What: what, Reason: reason(err), Err: err}
}

// Error is a failed check.
type Error struct {
	What   string // the probe: "tcp HOST:PORT", the URL, or "exec"
	Reason string // why it failed: "connection refused", "status 503"
	Err    error  // the underlying error, if any
}

func (e *Error) Error() string { return e.What + ": " + e.Reason }

func (e *Error) Unwrap() error { return e.Err }

// roundTimeout keeps two significant digits (at least a millisecond), so
// the time a check took to start does not show in "timed out after 5s".
func roundTimeout(d time.Duration) time.Duration {
	unit := time.Millisecond
	for d >= 100*unit {
		unit *= 10
	}
	return d.Round(unit)
}

// reason words a network error for a log line: the system's wording of
// its errno when there is one ("connection refused").
func reason(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "lookup " + dns.Name + ": " + dns.Err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "connection closed without an answer"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	return err.Error()
}

func checkTCP(ctx context.Context, target string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", target)
	if err != nil {
		return err
	}
	return conn.Close()
}

// maxBody is how much of an answer's body is read before closing it.
const maxBody = 4 << 10

var httpClient = &http.Client{
	Transport: &http.Transport{
		Proxy:             nil, // a probe checks the program, not a proxy
		DialContext:       (&net.Dialer{}).DialContext,
		DisableKeepAlives: true, // no idle connection, and no goroutine, outlives a check
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func checkHTTP(ctx context.Context, target string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "supervisord-probe")
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	io.CopyN(io.Discard, resp.Body, maxBody)
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 399 {
		return &Error{Reason: "status " + strconv.Itoa(resp.StatusCode)}
	}
	return nil
}

func (c Checker) checkExec(ctx context.Context, argv []string, as As) error {
	env := as.Env
	if len(argv) == 0 {
		return &Error{Reason: "no command"}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if env == nil {
		env = os.Environ()
	}
	path, err := child.Resolve(argv[0], env)
	if err != nil {
		return &Error{Reason: err.Error(), Err: err}
	}
	var st child.ExitStatus
	if c.Reaper != nil {
		st, err = c.runReaped(ctx, path, argv, env, as)
	} else {
		st, err = runExec(ctx, path, argv, env, as)
	}
	if err != nil {
		return &Error{Reason: err.Error(), Err: err}
	}
	if st.ExitCode() != 0 {
		return &Error{Reason: st.String()}
	}
	return nil
}

// runExec runs the command with os/exec, which waits for it.
func runExec(ctx context.Context, path string, argv, env []string, as As) (child.ExitStatus, error) {
	cmd := exec.CommandContext(ctx, path)
	cmd.Args, cmd.Env, cmd.Dir = argv, env, as.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if as.UID >= 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(as.UID), Gid: uint32(max(as.GID, 0))}
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		return child.ExitStatus{}, err
	}
	if err := cmd.Wait(); cmd.ProcessState == nil {
		return child.ExitStatus{}, err // not waited for: another reaper took it
	}
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case !ok:
		return child.ExitStatus{}, errors.New("no exit status")
	case ws.Signaled():
		return child.Killed(ws.Signal()), nil
	}
	return child.Exited(ws.ExitStatus()), nil
}

// runReaped runs the command through the Reaper, draining its output
// (stdout and stderr share a pipe) until it has exited.
func (c Checker) runReaped(ctx context.Context, path string, argv, env []string, as As) (child.ExitStatus, error) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		return child.ExitStatus{}, err
	}
	exits := make(chan child.ExitStatus, 1)
	proc, err := c.Reaper.Start(child.Spec{
		Path: path, Argv: argv, Dir: as.Dir, Env: env, UID: as.UID, GID: as.GID,
		RedirectStderr: true, Stdin: null,
	}, func(st child.ExitStatus) { exits <- st })
	null.Close()
	if err != nil {
		return child.ExitStatus{}, err
	}
	out, err := output.Pollable(proc.Stdout)
	if err != nil {
		proc.Stdout.Close()
		proc.SignalGroup(syscall.SIGKILL)
		select {
		case st := <-exits:
			return st, err
		case <-c.Reaper.Done():
			return child.Killed(syscall.SIGKILL), err
		}
	}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		io.Copy(io.Discard, out)
	}()
	// A closed Reaper reports no more exits: the daemon is going down.
	var st child.ExitStatus
	select {
	case st = <-exits:
	case <-ctx.Done():
		proc.SignalGroup(syscall.SIGKILL)
		select {
		case st = <-exits:
		case <-c.Reaper.Done():
			st, err = child.Killed(syscall.SIGKILL), child.ErrClosed
		}
	case <-c.Reaper.Done():
		proc.SignalGroup(syscall.SIGKILL)
		st, err = child.Killed(syscall.SIGKILL), child.ErrClosed
	}
	out.Close() // ends the drain even if a background child keeps the pipe open
	<-drained
	return st, err
}
