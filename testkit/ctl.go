package testkit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// CtlRun is what one run of a supervisorctl (the reference's or ours)
// printed, kept apart by stream, and how it ended.
type CtlRun struct {
	Stdout, Stderr string
	Code           int  // exit status; -1 when killed
	Killed         bool // it had to be killed (timeout, or it hung)
}

// CtlCommand prepares ctl (a supervisorctl binary) with args to run in
// dir, with the environment Ctl gives the reference's.
func CtlCommand(ctl, dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(ctl, args...)
	cmd.Dir = dir
	cmd.Env = clientEnv()
	return cmd
}

// RunCtl runs ctl with args in dir, feeding it stdin, and returns what it
// printed. It runs in a session of its own, without a controlling
// terminal, so that prompts read stdin rather than the test's terminal. A
// run that takes longer than a minute is killed.
func RunCtl(t testing.TB, ctl, dir, stdin string, args ...string) CtlRun {
	t.Helper()
	if ctl == Supervisorctl {
		r, err := runReferenceCtl(ctl, ctlRun{dir: dir, args: args, stdin: stdin, setsid: true})
		if err == nil {
			return r
		}
		t.Logf("%v; running %s itself", err, ctl)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ctl, args...)
	cmd.Dir, cmd.Env = dir, clientEnv()
	cmd.Stdin = strings.NewReader(stdin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	run := CtlRun{}
	switch ee, ok := err.(*exec.ExitError); {
	case ctx.Err() != nil:
		run.Code, run.Killed = -1, true
	case ok:
		run.Code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", ctl, err)
	}
	run.Stdout, run.Stderr = stdout.String(), stderr.String()
	return run
}

// CtlSession is a supervisorctl left running, for commands that stream
// (tail -f, maintail -f, fg): the test writes to its stdin, waits for
// what it prints and interrupts it.
type CtlSession struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *SyncBuffer
	stderr *SyncBuffer
	done   chan struct{}
}

// StartCtl starts ctl with args in dir, its stdin a pipe.
func StartCtl(t testing.TB, ctl, dir string, args ...string) *CtlSession {
	t.Helper()
	s := &CtlSession{cmd: CtlCommand(ctl, dir, args...), stdout: &SyncBuffer{}, stderr: &SyncBuffer{}, done: make(chan struct{})}
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	// Its own process group, so that only it gets the signals sent to it
	// and nothing it leaves behind outlives the test.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var err error
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
	})
	return s
}

// Write sends text to its stdin.
func (s *CtlSession) Write(text string) error {
	_, err := io.WriteString(s.stdin, text)
	return err
}

// CloseStdin ends its input.
func (s *CtlSession) CloseStdin() error { return s.stdin.Close() }

// Stdout is what it printed on stdout so far.
func (s *CtlSession) Stdout() string { return s.stdout.String() }

// Stderr is what it printed on stderr so far.
func (s *CtlSession) Stderr() string { return s.stderr.String() }

// WaitOutput waits until its stdout holds text; false after timeout.
func (s *CtlSession) WaitOutput(text string, timeout time.Duration) bool {
	Poll(timeout, func() bool {
		select {
		case <-s.done: // all it printed is there: no use waiting
			return true
		default:
			return strings.Contains(s.stdout.String(), text)
		}
	})
	return strings.Contains(s.stdout.String(), text)
}

// WaitAsleep waits until it sleeps in the kernel (as it does waiting for
// input) rather than runs, so that a signal finds it idle; false after
// timeout. It is true once it has exited.
func (s *CtlSession) WaitAsleep(timeout time.Duration) bool {
	stat := fmt.Sprintf("/proc/%d/stat", s.Pid())
	return Poll(timeout, func() bool {
		select {
		case <-s.done:
			return true
		default:
		}
		// pid (comm) state ...; comm may hold spaces and parentheses.
		b, err := os.ReadFile(stat)
		i := bytes.LastIndexByte(b, ')')
		return err != nil || i > 0 && len(b) > i+2 && b[i+2] == 'S'
	})
}

// Interrupt sends it SIGINT, as Ctrl-C would.
func (s *CtlSession) Interrupt() error { return s.cmd.Process.Signal(syscall.SIGINT) }

// Wait waits up to timeout for it to exit, then kills it (and its process
// group). It returns what it printed and how it ended.
func (s *CtlSession) Wait(timeout time.Duration) CtlRun {
	run := CtlRun{}
	select {
	case <-s.done:
	case <-time.After(timeout):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
		run.Killed = true
	}
	run.Code = s.cmd.ProcessState.ExitCode()
	run.Stdout, run.Stderr = s.stdout.String(), s.stderr.String()
	return run
}

// String shows a run the way transcripts record it: stdout, then stderr
// if any, then the exit status.
func (r CtlRun) String() string {
	var b strings.Builder
	b.WriteString(r.Stdout)
	if r.Stdout != "" && !strings.HasSuffix(r.Stdout, "\n") {
		b.WriteString("\\ no newline at end of stdout\n")
	}
	if r.Stderr != "" {
		b.WriteString("[stderr]\n" + r.Stderr)
		if !strings.HasSuffix(r.Stderr, "\n") {
			b.WriteString("\\ no newline at end of stderr\n")
		}
	}
	if r.Killed {
		b.WriteString("[killed: still running]\n")
	} else {
		fmt.Fprintf(&b, "[exit %d]\n", r.Code)
	}
	return b.String()
}

// Pid is the session's process id.
func (s *CtlSession) Pid() int { return s.cmd.Process.Pid }
