package child

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"supervisord/testkit"
)

// forkSleeper starts a child the way a previous program of this process
// would have: not through any Reaper.
func forkSleeper(t *testing.T) int {
	t.Helper()
	pid, err := syscall.ForkExec("/bin/sleep", []string{"sleep", "60"}, &syscall.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// zombie reports whether pid has exited and not been reaped.
func zombie(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, after, _ := strings.Cut(string(stat), ") ")
	return strings.HasPrefix(after, "Z")
}

func TestAdopt(t *testing.T) {
	for _, tc := range []struct {
		name       string
		held       bool // told to NewReaper
		exitBefore bool // the child exits before Adopt
	}{
		{"held, running", true, false},
		{"held, exited before adoption", true, true},
		{"not held, running", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pid := forkSleeper(t)
			var hold []int
			if tc.held {
				hold = []int{pid}
			}
			r := NewReaper(nil, ReapOwn, hold...)
			t.Cleanup(r.Close)
			if tc.exitBefore {
				syscall.Kill(pid, syscall.SIGKILL)
				// Reaped and kept once it is no longer there as a zombie.
				testkit.Eventually(t, 10*time.Second, func() bool {
					return syscall.Kill(pid, 0) == syscall.ESRCH
				}, "the held child reaped")
			}
			exited := make(chan ExitStatus, 1)
			p := r.Adopt(pid, func(st ExitStatus) { exited <- st })
			if !tc.exitBefore {
				if err := p.Signal(syscall.SIGTERM); err != nil {
					t.Fatalf("Signal: %v", err)
				}
			}
			select {
			case st := <-exited:
				want := "terminated by SIGTERM"
				if tc.exitBefore {
					want = "terminated by SIGKILL"
				}
				if st.String() != want {
					t.Errorf("exit %q, want %q", st, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no exit reported")
			}
			if err := p.Signal(syscall.SIGTERM); err != ErrExited {
				t.Errorf("Signal after the exit: %v, want ErrExited", err)
			}
		})
	}
}

// A paused reaper leaves exits alone (the child stays a zombie) until it
// resumes.
func TestPauseResume(t *testing.T) {
	r, _ := newReaper(t)
	exited := make(chan ExitStatus, 1)
	p, err := r.Start(sh("exec sleep 60"), func(st ExitStatus) { exited <- st })
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stdin.Close()
	defer p.Stdout.Close()
	defer p.Stderr.Close()
	r.Pause()
	syscall.Kill(p.Pid, syscall.SIGKILL)
	testkit.Eventually(t, 10*time.Second, func() bool { return zombie(p.Pid) }, "the child a zombie")
	select {
	case st := <-exited:
		t.Fatalf("exit %s reported while paused", st)
	default:
	}
	r.Resume()
	select {
	case st := <-exited:
		if st.String() != "terminated by SIGKILL" {
			t.Errorf("exit %q", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit reported after Resume")
	}
}
