package testkit

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Daemon is a supervisord (ours or the reference) running in the foreground
// on a config in its own temporary directory.
type Daemon struct {
	Dir     string // the temporary directory holding the config, logs and sockets
	Conf    string // path of the config file
	MainLog string // path of the main log file
	cmd     *exec.Cmd
	out     *SyncBuffer
	exited  chan struct{}
	status  *os.ProcessState
}

// Config returns the [supervisord] section every test daemon uses: logs,
// pidfile and AUTO child logs inside dir, foreground, debug level.
func Config(dir string) string {
	return "[supervisord]\n" +
		"nodaemon=true\n" +
		"logfile=" + filepath.Join(dir, "supervisord.log") + "\n" +
		"pidfile=" + filepath.Join(dir, "supervisord.pid") + "\n" +
		"childlogdir=" + dir + "\n" +
		"loglevel=debug\n"
}

// StartDaemon writes text (a config, usually Config(dir) plus program
// sections; "{dir}" in it is replaced by the temporary directory) and starts
// bin on it with -n plus args. When the test ends the daemon is stopped with
// StopQuickly (SIGKILL to its process group after 20 s): a test about how a
// daemon stops stops it itself.
func StartDaemon(t testing.TB, bin, text string, args ...string) *Daemon {
	t.Helper()
	dir := t.TempDir()
	d := &Daemon{Dir: dir, Conf: filepath.Join(dir, "supervisord.conf"),
		MainLog: filepath.Join(dir, "supervisord.log"), out: &SyncBuffer{}, exited: make(chan struct{})}
	text = strings.ReplaceAll(text, "{dir}", dir)
	if err := os.WriteFile(d.Conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(bin, append([]string{"-n", "-c", d.Conf}, args...)...)
	d.cmd.Dir = dir
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		d.cmd.Wait()
		d.status = d.cmd.ProcessState
		close(d.exited)
	}()
	t.Cleanup(func() {
		d.StopQuickly(20 * time.Second)
		// Whatever is left of its process group (children of a killed daemon).
		syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		if t.Failed() {
			t.Logf("daemon output:\n%s\nmain log:\n%s", d.out.String(), d.Log())
		}
	})
	return d
}

// Pid is the daemon's pid.
func (d *Daemon) Pid() int { return d.cmd.Process.Pid }

// Output is what the daemon wrote to its stdout and stderr so far.
func (d *Daemon) Output() string { return d.out.String() }

// Log is the main log file's content so far.
func (d *Daemon) Log() string {
	b, _ := os.ReadFile(d.MainLog)
	return string(b)
}

// Signal sends sig to the daemon.
func (d *Daemon) Signal(sig syscall.Signal) error { return d.cmd.Process.Signal(sig) }

// Stop sends SIGTERM and waits up to timeout for the daemon to exit, then
// kills it. It returns the exit status, or nil if it had to be killed.
func (d *Daemon) Stop(timeout time.Duration) *os.ProcessState {
	select {
	case <-d.exited:
		return d.status
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	return d.Wait(timeout)
}

// Wait waits up to timeout for the daemon to exit by itself, then kills its
// process group. It returns the exit status, or nil if it had to be killed.
func (d *Daemon) Wait(timeout time.Duration) *os.ProcessState {
	select {
	case <-d.exited:
		return d.status
	case <-time.After(timeout):
		syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.exited
		return nil
	}
}

// Exited is closed when the daemon has exited.
func (d *Daemon) Exited() <-chan struct{} { return d.exited }

// WaitLog waits until the main log matches pattern (a regular expression)
// and returns the first match, failing the test after timeout.
func (d *Daemon) WaitLog(t testing.TB, pattern string, timeout time.Duration) string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	var m string
	exited := false
	Poll(timeout, func() bool {
		exited = d.hasExited() // before the log is read: an exit shows in it whole
		m = re.FindString(d.Log())
		return m != "" || exited
	})
	switch {
	case m != "":
		return m
	case exited:
		t.Fatalf("daemon exited before its log matched %q", pattern)
	default:
		t.Fatalf("main log did not match %q within %v", pattern, timeout)
	}
	return ""
}

// WaitWatching waits until the daemon watches the directory of its config
// file for edits (an inotify watch on it), failing the test after timeout.
// The daemon starts watching only once its programs started: an edit made
// before then is missed.
func (d *Daemon) WaitWatching(t testing.TB, timeout time.Duration) {
	t.Helper()
	fi, err := os.Stat(filepath.Dir(d.Conf))
	if err != nil {
		t.Fatal(err)
	}
	// An inotify descriptor's fdinfo has a line per watch:
	// "inotify wd:1 ino:986671 sdev:fe00000 mask:fc6 ...", ino in hex.
	watch := fmt.Sprintf(" ino:%x ", fi.Sys().(*syscall.Stat_t).Ino)
	// Any thread's table but the main one: that is the fork thread's own.
	if !Poll(timeout, func() bool {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", d.Pid()))
		for _, task := range tasks {
			fds, _ := os.ReadDir(task + "/fd")
			for _, fd := range fds {
				if link, _ := os.Readlink(task + "/fd/" + fd.Name()); link != "anon_inode:inotify" {
					continue
				}
				info, _ := os.ReadFile(task + "/fdinfo/" + fd.Name())
				if strings.Contains(string(info), watch) {
					return true
				}
			}
		}
		return false
	}) {
		t.Fatalf("the daemon did not watch %s within %v", filepath.Dir(d.Conf), timeout)
	}
}

// hasExited reports whether the daemon has exited.
func (d *Daemon) hasExited() bool {
	select {
	case <-d.exited:
		return true
	default:
		return false
	}
}

// SyncBuffer is a bytes.Buffer that a command's output copier may write
// while a test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// WriteOver replaces path the way editors and config management do: a new
// file renamed over the old one.
func WriteOver(t testing.TB, path, text string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
