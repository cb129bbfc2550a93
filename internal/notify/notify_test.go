package notify

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"supervisord/protocol/sdnotify"
)

var seq atomic.Int64

// listen opens a socket with a name no other test uses, serving into a
// channel; it is closed when the test ends.
func listen(t *testing.T) (*Socket, <-chan Message) {
	t.Helper()
	s, err := Listen(fmt.Sprintf("supervisord-test/%d/%d", os.Getpid(), seq.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	msgs := make(chan Message, 16)
	s.Serve(func(m Message) { msgs <- m })
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, msgs
}

func receive(t *testing.T, msgs <-chan Message) Message {
	t.Helper()
	select {
	case m := <-msgs:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
		return Message{}
	}
}

// sender is a python program that waits for a line on stdin, then
// (after os.setpgrp() when SETPGRP is set) sends $MSG to $NOTIFY_SOCKET,
// then waits for the end of stdin, so that it is alive while its message
// is judged.
const sender = `
import os, socket, sys
sys.stdin.readline()
if os.environ.get("SETPGRP"):
    os.setpgrp()
a = os.environ["NOTIFY_SOCKET"]
if a.startswith("@"):
    a = "\0" + a[1:]
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(os.environ["MSG"].encode(), a)
sys.stdin.read()
`

// start runs argv as its own process group leader, with a pipe on its
// stdin, and kills the group and waits for it when the test ends.
func start(t *testing.T, s *Socket, env []string, argv ...string) (*exec.Cmd, io.WriteCloser, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), append([]string{"NOTIFY_SOCKET=" + s.Addr(), "PY=" + sender}, env...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	return cmd, stdin, bufio.NewReader(stdout)
}

func TestFromOwner(t *testing.T) {
	cases := []struct {
		name string
		// script is run by sh as the owner, or nil for an owner of its own
		// (sleep) with python started apart from it.
		script string
		env    []string
		// orphans says the script prints a line once the subshell that
		// started python has exited.
		orphans bool
		// check is what the sender's place in the process tree must be,
		// so that each case tests the rule it names.
		check func(t *testing.T, owner, sender int)
		want  bool
	}{
		{
			name:   "owner itself",
			script: `exec python3 -c "$PY"`,
			check: func(t *testing.T, owner, sender int) {
				if sender != owner {
					t.Errorf("sender %d is not the owner %d", sender, owner)
				}
			},
			want: true,
		},
		{
			// The subshell exits at once, so python is orphaned: its
			// parent is no longer the owner, only its process group says
			// whose it is. Background jobs read /dev/null, hence fd 3.
			name:    "orphan in the owner's group",
			script:  `exec 3<&0; (python3 -c "$PY" <&3 3<&- &); echo orphaned; exec sleep 60`,
			orphans: true,
			check: func(t *testing.T, owner, sender int) {
				if ppid, pgrp, _ := procStat(sender); ppid == owner || pgrp != owner {
					t.Errorf("sender %d has parent %d and group %d; owner %d", sender, ppid, pgrp, owner)
				}
			},
			want: true,
		},
		{
			name:   "child in a group of its own",
			script: `exec 3<&0; python3 -c "$PY" <&3 3<&- & wait`,
			env:    []string{"SETPGRP=1"},
			check: func(t *testing.T, owner, sender int) {
				if ppid, pgrp, _ := procStat(sender); ppid != owner || pgrp == owner {
					t.Errorf("sender %d has parent %d and group %d; owner %d", sender, ppid, pgrp, owner)
				}
			},
			want: true,
		},
		{
			name:   "grandchild in a group of its own",
			script: `exec 3<&0; sh -c 'python3 -c "$PY" <&3 3<&- & wait' & wait`,
			env:    []string{"SETPGRP=1"},
			check: func(t *testing.T, owner, sender int) {
				ppid, pgrp, _ := procStat(sender)
				grand, _, _ := procStat(ppid)
				if ppid == owner || grand != owner || pgrp == owner {
					t.Errorf("sender %d has parent %d, grandparent %d and group %d; owner %d",
						sender, ppid, grand, pgrp, owner)
				}
			},
			want: true,
		},
		{
			name: "unrelated process",
			check: func(t *testing.T, owner, sender int) {
				if ppid, pgrp, _ := procStat(sender); ppid != os.Getpid() || pgrp == owner {
					t.Errorf("sender %d has parent %d and group %d; owner %d", sender, ppid, pgrp, owner)
				}
			},
			want: false,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, msgs := listen(t)
			env := append([]string{"MSG=READY=1\nSTATUS=" + c.name}, c.env...)
			var owner *exec.Cmd
			var stdin io.WriteCloser
			if c.script != "" {
				var stdout *bufio.Reader
				owner, stdin, stdout = start(t, s, env, "/bin/sh", "-c", c.script)
				if c.orphans {
					if _, err := stdout.ReadString('\n'); err != nil {
						t.Fatal(err)
					}
				}
			} else {
				owner, _, _ = start(t, s, nil, "sleep", "60")
				_, stdin, _ = start(t, s, env, "python3", "-c", sender)
			}
			s.SetOwner(owner.Process.Pid)
			if _, err := io.WriteString(stdin, "go\n"); err != nil {
				t.Fatal(err)
			}
			m := receive(t, msgs)
			c.check(t, owner.Process.Pid, m.PID)
			if m.FromOwner != c.want {
				t.Errorf("FromOwner = %v, want %v (owner %d, sender %d)", m.FromOwner, c.want, owner.Process.Pid, m.PID)
			}
			if v, _ := sdnotify.Lookup(m.Fields, "STATUS"); v != c.name || len(m.Fields) != 2 {
				t.Errorf("fields %q", m.Fields)
			}
		})
	}
}

// dial is a client socket of the test process itself.
func dial(t *testing.T, s *Socket) *net.UnixConn {
	t.Helper()
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: s.Addr(), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestMalformedDropped(t *testing.T) {
	s, msgs := listen(t)
	c := dial(t, s)
	for _, d := range []string{"READY=1\x00", strings.Repeat("x", sdnotify.MaxDatagram+1), "STATUS=after"} {
		if _, err := c.Write([]byte(d)); err != nil {
			t.Fatal(err)
		}
	}
	m := receive(t, msgs)
	if len(m.Fields) != 1 || m.Fields[0] != (sdnotify.Field{Key: "STATUS", Value: "after"}) {
		t.Errorf("first message handled: %q", m.Fields)
	}
	if m.PID != os.Getpid() || m.FromOwner {
		t.Errorf("PID %d FromOwner %v before SetOwner", m.PID, m.FromOwner)
	}
	s.SetOwner(os.Getpid())
	c.Write([]byte("READY=1"))
	if m := receive(t, msgs); !m.FromOwner || m.PID != os.Getpid() {
		t.Errorf("PID %d FromOwner %v from the owner", m.PID, m.FromOwner)
	}
	s.SetOwner(0)
	c.Write([]byte("READY=1"))
	if m := receive(t, msgs); m.FromOwner {
		t.Error("FromOwner with no owner")
	}
}

// systemd-notify sends its message, then BARRIER=1 with a pipe's end, and
// fails (exit 1) unless that end is closed within its timeout.
func TestSystemdNotify(t *testing.T) {
	if _, err := exec.LookPath("systemd-notify"); err != nil {
		t.Skip("no systemd-notify")
	}
	s, msgs := listen(t)
	owner, stdin, _ := start(t, s, nil, "/bin/sh", "-c", `read x; systemd-notify --ready --status="up and running"`)
	s.SetOwner(owner.Process.Pid)
	io.WriteString(stdin, "go\n")
	var got []string
	for {
		m := receive(t, msgs)
		if !m.FromOwner {
			t.Errorf("message %q from %d is not the owner's (%d)", m.Fields, m.PID, owner.Process.Pid)
		}
		for _, f := range m.Fields {
			got = append(got, f.String())
		}
		if _, ok := sdnotify.Lookup(m.Fields, "BARRIER"); ok {
			break
		}
	}
	if strings.Join(got, "|") != "READY=1|STATUS=up and running|BARRIER=1" {
		t.Errorf("got %q", got)
	}
	if err := owner.Wait(); err != nil {
		t.Errorf("systemd-notify: %v", err)
	}
}

func TestClose(t *testing.T) {
	name := fmt.Sprintf("supervisord-test/%d/close", os.Getpid())
	s, err := Listen(name)
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr() != "@"+name {
		t.Errorf("Addr = %q", s.Addr())
	}
	if _, err := Listen(name); err == nil {
		t.Fatal("the name was taken twice")
	}
	handled := make(chan struct{})
	s.Serve(func(Message) { close(handled) })
	c := dial(t, s)
	c.Write([]byte("READY=1"))
	<-handled
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	s.Serve(func(Message) { t.Error("served after Close") })
	// The name is free again.
	again, err := Listen(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Close(); err != nil { // never served
		t.Fatal(err)
	}
	for _, bad := range []string{"", "a\x00b", strings.Repeat("n", maxName+1)} {
		if _, err := Listen(bad); err == nil {
			t.Errorf("Listen(%q) worked", bad)
		}
	}
}
