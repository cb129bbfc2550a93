package child

import (
	"os"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// forkThreadFds lists the fork thread's descriptors and where each leads.
func forkThreadFds(t *testing.T) map[int]string {
	t.Helper()
	fds := map[int]string{}
	onForkThread(func() {
		entries, _ := os.ReadDir("/proc/thread-self/fd")
		for _, e := range entries {
			fd, _ := strconv.Atoi(e.Name())
			if link, err := os.Readlink("/proc/thread-self/fd/" + e.Name()); err == nil {
				fds[fd] = link
			}
		}
	})
	return fds
}

// The fork thread's table holds none of the pipes of the children it
// forked: what each fork copies stays the same size however many run.
func TestForkThreadTableStaysSmall(t *testing.T) {
	r, _ := newReaper(t)
	startForker()
	if !forker.private {
		t.Skip("no table of its own for the fork thread (unshare refused)")
	}
	before := len(forkThreadFds(t))
	var procs []*Proc
	for range 50 {
		p, err := r.Start(Spec{Argv: []string{"/bin/sleep", "60"}}, func(ExitStatus) {})
		if err != nil {
			t.Fatal(err)
		}
		procs = append(procs, p)
	}
	defer func() {
		for _, p := range procs {
			p.Signal(syscall.SIGKILL)
			p.Stdin.Close()
			p.Stdout.Close()
			p.Stderr.Close()
		}
	}()
	if after := len(forkThreadFds(t)); after != before {
		t.Errorf("fork thread's table: %d descriptors before 50 spawns, %d after", before, after)
	}
}

// Before Reexec's execve, the daemon's inheritable descriptors are in the
// fork thread's table at their own numbers, still inheritable.
func TestKeepAcrossExecPlacesInheritable(t *testing.T) {
	startForker()
	if !forker.private {
		t.Skip("no table of its own for the fork thread (unshare refused)")
	}
	var keep []int
	for range 3 { // a few pipes, their ends inheritable, at low numbers the fork thread may use
		var p [2]int
		if err := syscall.Pipe(p[:]); err != nil {
			t.Fatal(err)
		}
		keep = append(keep, p[:]...)
	}
	defer closeFds(keep...)
	want := map[int]string{}
	for _, fd := range keep {
		link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
		if err != nil {
			t.Fatal(err)
		}
		want[fd] = link
	}
	forker.mu.Lock()
	placed, err := keepAcrossExec()
	forker.mu.Unlock()
	defer dropAfterExec(placed) // as after a failed execve
	if err != nil {
		t.Fatal(err)
	}
	got := forkThreadFds(t)
	onForkThread(func() {
		for _, fd := range keep {
			flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
			if err != nil || flags&unix.FD_CLOEXEC != 0 {
				t.Errorf("fd %d in the fork thread's table: flags %#x, %v; want inheritable", fd, flags, err)
			}
		}
	})
	for fd, link := range want {
		if got[fd] != link {
			t.Errorf("fd %d in the fork thread's table is %q, want %q", fd, got[fd], link)
		}
	}
}
