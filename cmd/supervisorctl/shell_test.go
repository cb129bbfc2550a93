package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"supervisord/testkit"
)

// The interactive shell, driven through a pseudo-terminal as a person
// would: line editing, completion, history, and the commands that Ctrl-C
// stops without ending the shell.

// term is our supervisorctl running on a pseudo-terminal.
type term struct {
	t    *testing.T
	cmd  *exec.Cmd
	pty  *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	mark int // where the next expect starts looking
	done chan struct{}
}

func startTerm(t *testing.T, dir string, args ...string) *term {
	t.Helper()
	cmd := testkit.CtlCommand(oursCtl(), dir, args...)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatal(err)
	}
	tm := &term{t: t, cmd: cmd, pty: f, done: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			tm.mu.Lock()
			tm.out.Write(buf[:n])
			tm.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() {
		cmd.Wait()
		close(tm.done)
	}()
	t.Cleanup(func() {
		select {
		case <-tm.done:
		default:
			cmd.Process.Kill()
			<-tm.done
		}
		f.Close()
		if t.Failed() {
			t.Logf("terminal output:\n%q", tm.output())
		}
	})
	return tm
}

func (tm *term) output() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.String()
}

// send types keys.
func (tm *term) send(keys string) {
	tm.t.Helper()
	if _, err := io.WriteString(tm.pty, keys); err != nil {
		tm.t.Fatalf("typing %q: %v", keys, err)
	}
}

// expect waits for text to show after what earlier expects matched, and
// moves past it.
func (tm *term) expect(text string) {
	tm.t.Helper()
	found := -1
	if !testkit.Poll(10*time.Second, func() bool { found = strings.Index(tm.output()[tm.mark:], text); return found >= 0 }) {
		tm.t.Fatalf("the terminal did not show %q; after the last match it shows:\n%q", text, tm.since())
	}
	tm.mark += found + len(text)
}

// since returns what showed after the last match.
func (tm *term) since() string { return tm.output()[tm.mark:] }

// exit waits for the shell to end and checks it ended with status 0.
func (tm *term) exit() {
	tm.t.Helper()
	select {
	case <-tm.done:
	case <-time.After(10 * time.Second):
		tm.t.Fatalf("the shell did not exit; it shows:\n%q", tm.since())
	}
	if code := tm.cmd.ProcessState.ExitCode(); code != 0 {
		tm.t.Errorf("the shell exited with status %d, want 0", code)
	}
}

// shellDaemon starts our daemon on programs plus extra sections.
func shellDaemon(t *testing.T, extra string) *testkit.Daemon {
	t.Helper()
	conf := strings.Replace(testkit.Config("{dir}"), "loglevel=debug\n", "loglevel=info\nautoreload=false\n", 1) +
		rpcSections + extra + programs
	d := testkit.StartDaemon(t, filepath.Join(bin, "supervisord"), conf)
	d.WaitLog(t, `supervisord started with pid \d+`, 20*time.Second)
	if _, ok := d.WaitStates(settledStates, 15*time.Second); !ok {
		t.Fatalf("the programs did not settle:\n%s", d.Log())
	}
	return d
}

func TestShellCompletion(t *testing.T) {
	t.Parallel()
	d := shellDaemon(t, "")
	tm := startTerm(t, d.Dir, "-c", d.Conf)
	// The shell starts with the status of everything.
	tm.expect("sleeper                          RUNNING")
	tm.expect("supervisor> ")

	// Two actions start with "sta": the first Tab rings, the second lists.
	tm.send("sta\t")
	tm.expect("\a")
	tm.send("\t")
	tm.expect("start    status")
	tm.expect("supervisor> sta")
	// One completion is taken whole, with a space after it.
	tm.send("tu\t")
	tm.expect("status ")
	tm.send("slee\t")
	tm.expect("sleeper ")
	tm.send("\r")
	tm.expect("sleeper                          RUNNING   pid ")
	tm.expect("supervisor> ")

	// Processes in a group complete as group:name, with group:*.
	tm.send("stop grp:\t\t")
	tm.expect("grp:*    grp:ga   grp:gb")
	tm.send("gb\t")
	tm.expect("grp:gb ")
	tm.send("\x15") // Ctrl-U: throw the line away
	// Candidates that share a beginning are completed as far as they agree.
	tm.send("pid mu\t")
	tm.expect("pid multi:")
	tm.send("m\t")
	tm.expect("multi:multi_")
	tm.send("1\t\r")
	tm.expect("\r\n")
	if out := tm.since(); strings.Contains(out, "No such process") {
		t.Fatalf("pid multi:multi_1 failed: %q", out)
	}
	tm.expect("supervisor> ")
	// Groups for add, remove and update; actions again for help.
	tm.send("update gr\t")
	tm.expect("grp ")
	tm.send("\x15help ver\t")
	tm.expect("version ")
	tm.send("\r")
	tm.expect("version\t\t\t")
	tm.expect("supervisor> ")
	// Editing: left arrow, a character inserted mid-line, Home, Ctrl-K.
	tm.send("vrsion\x1b[D\x1b[D\x1b[D\x1b[D\x1b[De\r")
	tm.expect("4.2.5")
	tm.send("xyz\x01\x0bversion\r") // Ctrl-A, Ctrl-K, retype
	tm.expect("4.2.5")
	tm.send("quit\r")
	tm.exit()
}

func TestShellHistory(t *testing.T) {
	t.Parallel()
	d := shellDaemon(t, "")
	hist := filepath.Join(d.Dir, "history")
	conf := filepath.Join(d.Dir, "ctl.conf")
	if err := os.WriteFile(conf, []byte("[supervisorctl]\nserverurl=unix://"+d.Socket()+"\nhistory_file=%(here)s/history\nprompt=hist\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tm := startTerm(t, d.Dir, "-c", conf)
	tm.expect("hist> ")
	for _, line := range []string{"version", "version", "pid", "status chatty"} {
		tm.send(line + "\r")
		tm.expect("hist> ")
	}
	tm.send("\x04") // Ctrl-D on an empty line ends the shell
	tm.exit()
	// Consecutive repeats are kept once; the first status is not typed.
	if b, _ := os.ReadFile(hist); string(b) != "version\npid\nstatus chatty\n" {
		t.Fatalf("history file holds %q", b)
	}

	// A new shell reads it back: Up goes to earlier lines.
	tm = startTerm(t, d.Dir, "-c", conf)
	tm.expect("hist> ")
	tm.send("\x1b[A")
	tm.expect("status chatty")
	tm.send("\x1b[A")
	tm.expect("pid")
	tm.send("\x1b[B\x1b[A\r")
	tm.expect(fmt.Sprintf("\r\n%d\r\n", d.Pid())) // pid's output: the redrawn line shows the prompt too
	tm.expect("hist> ")
	tm.send("\x03") // Ctrl-C at the prompt ends the shell too
	tm.exit()
	if b, _ := os.ReadFile(hist); string(b) != "version\npid\nstatus chatty\npid\n" {
		t.Fatalf("history file holds %q", b)
	}

	// -r names the file on the command line.
	other := filepath.Join(d.Dir, "other")
	tm = startTerm(t, d.Dir, "-c", d.Conf, "-r", other)
	tm.expect("supervisor> ")
	tm.send("avail\r")
	tm.expect("supervisor> ")
	tm.send("quit\r")
	tm.exit()
	if b, _ := os.ReadFile(other); string(b) != "avail\nquit\n" {
		t.Fatalf("-r history file holds %q", b)
	}
}

func TestShellFollowAndForeground(t *testing.T) {
	t.Parallel()
	d := shellDaemon(t, "")
	tm := startTerm(t, d.Dir, "-c", d.Conf)
	tm.expect("supervisor> ")

	// tail -f streams until Ctrl-C, then the prompt is back.
	tm.send("tail -f chatty\r")
	tm.expect("==> Press Ctrl-C to exit <==")
	tm.expect("30\r\n")
	tm.send("\x03")
	tm.expect("supervisor> ")
	tm.send("maintail -f\r")
	tm.expect("==> Press Ctrl-C to exit <==")
	tm.expect("success: ")
	tm.send("\x03")
	tm.expect("supervisor> ")
	tm.send("status chatty\r")
	tm.expect("chatty                           RUNNING")
	tm.expect("supervisor> ")

	// fg sends typed lines to the process and shows what it prints;
	// Ctrl-C leaves it running.
	tm.send("fg echo\r")
	tm.expect("==> Press Ctrl-C to exit <==")
	tm.send("hello there\r")
	tm.expect("hello there\r\n") // the typed line
	tm.expect("hello there\r\n") // cat's answer
	tm.send("\x03")
	tm.expect("Exiting foreground")
	tm.expect("supervisor> ")
	tm.send("status echo\r")
	tm.expect("echo                             RUNNING")
	tm.expect("supervisor> ")
	b, _ := os.ReadFile(filepath.Join(d.Dir, "echo.out"))
	if !strings.Contains(string(b), "hello there\n") {
		t.Errorf("echo's log holds %q", b)
	}

	// shutdown asks first in the shell.
	tm.send("shutdown\r")
	tm.expect("Really shut the remote supervisord process down y/N? ")
	tm.send("n\r")
	tm.expect("supervisor> ")
	tm.send("shutdown\r")
	tm.expect("y/N? ")
	tm.send("y\r")
	tm.expect("Shut down\r\n")
	tm.expect("supervisor> ")
	// The daemon answers SHUTDOWN_STATE until it is gone; ask once it is.
	if d.Wait(20*time.Second) == nil {
		t.Fatal("the daemon did not exit after shutdown")
	}
	tm.send("status\r")
	tm.expect("no such file")
	tm.send("exit\r")
	tm.exit()
}

func TestShellAuthentication(t *testing.T) {
	t.Parallel()
	d := testkit.StartDaemon(t, filepath.Join(bin, "supervisord"),
		testkit.Config("{dir}")+"\n[unix_http_server]\nfile={dir}/supervisor.sock\nusername=user\npassword=secret\n"+
			"\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"+
			"\n[program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
	d.WaitLog(t, `success: sleeper entered RUNNING state`, 20*time.Second)
	conf := filepath.Join(d.Dir, "ctl.conf")
	if err := os.WriteFile(conf, []byte("[supervisorctl]\nserverurl=unix://"+d.Socket()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tm := startTerm(t, d.Dir, "-c", conf)
	tm.expect("Server requires authentication\r\n")
	tm.expect("Username:")
	tm.send("user\r")
	tm.expect("Password:")
	tm.send("secret\r")
	tm.expect("sleeper                          RUNNING")
	if strings.Contains(tm.output(), "secret") {
		t.Error("the password was echoed")
	}
	tm.expect("supervisor> ")
	// The credentials are kept for what follows.
	tm.send("version\r")
	tm.expect("4.2.5")
	tm.send("quit\r")
	tm.exit()
}

// TestShellInterruptedCommand checks that Ctrl-C while a command other
// than tail -f or fg runs ends the shell with status 0, as the reference's
// does, leaving the terminal in its normal mode.
func TestShellInterruptedCommand(t *testing.T) {
	t.Parallel()
	d := shellDaemon(t, "\n[program:slow]\ncommand=/bin/sleep 1000\nstartsecs=30\nautostart=false\n")
	tm := startTerm(t, d.Dir, "-c", d.Conf)
	tm.expect("supervisor> ")
	// start waits for the process to have run startsecs.
	tm.send("start slow\r")
	tm.expect("start slow\r\n")
	d.WaitLog(t, "spawned: 'slow'", 10*time.Second)
	tm.send("\x03")
	tm.exit()
	if out := tm.since(); strings.Contains(out, "slow:") {
		t.Errorf("the start was not interrupted: %q", out)
	}
	attrs, err := unix.IoctlGetTermios(int(tm.pty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Lflag&unix.ICANON == 0 || attrs.Lflag&unix.ECHO == 0 {
		t.Error("the terminal was left in raw mode")
	}
}
