package child

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"supervisord/testkit"
)

// orphansHelper runs this test binary as a stand-in daemon when
// CHILD_ORPHANS_HELPER says so; it never returns then.
func orphansHelper() {
	switch os.Getenv("CHILD_ORPHANS_HELPER") {
	case "":
		return
	case "thread-exit":
		threadExitHelper()
	case "reexec":
		Main(reexecHelper)
	}
	os.Exit(2)
}

func sleeper(keep bool) Spec {
	return Spec{Argv: []string{"/bin/sleep", "1000"}, UID: -1, GID: -1, KeepOnDaemonDeath: keep}
}

// threadExitHelper starts two sleeps from a goroutine whose thread then
// ends, waits for that thread to be gone, prints both pids and waits to be
// killed.
func threadExitHelper() {
	r := NewReaper(nil, ReapOwn)
	type started struct{ tid, dies, keeps int }
	ch := make(chan started)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		var s started
		s.tid = syscall.Gettid()
		for _, keep := range []bool{false, true} {
			p, err := r.Start(sleeper(keep), func(ExitStatus) {})
			if err != nil {
				fmt.Println("start:", err)
				os.Exit(1)
			}
			if keep {
				s.keeps = p.Pid
			} else {
				s.dies = p.Pid
			}
		}
		ch <- s
	}()
	s := <-ch
	gone := testkit.Poll(10*time.Second, func() bool {
		_, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", s.tid))
		return err != nil
	})
	if !gone {
		fmt.Println("the locked thread did not end")
		os.Exit(1)
	}
	fmt.Println(s.dies, s.keeps)
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// reexecHelper forks a sleep, then re-execs itself twice (stage 1 → 2 →
// 3) through Reexec; stage 3 prints the sleep's pid and waits to be
// killed.
func reexecHelper() int {
	self, _ := os.Readlink("/proc/self/exe")
	next := func(stage string, pid int) {
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "CHILD_REEXEC_") {
				env = append(env, kv)
			}
		}
		env = append(env, "CHILD_REEXEC_STAGE="+stage, "CHILD_REEXEC_PID="+strconv.Itoa(pid))
		err := Reexec(self, os.Args, env)
		fmt.Println("reexec:", err)
		os.Exit(1)
	}
	pid, _ := strconv.Atoi(os.Getenv("CHILD_REEXEC_PID"))
	switch os.Getenv("CHILD_REEXEC_STAGE") {
	case "":
		r := NewReaper(nil, ReapOwn)
		p, err := r.Start(sleeper(false), func(ExitStatus) {})
		if err != nil {
			fmt.Println("start:", err)
			return 1
		}
		next("2", p.Pid)
	case "2":
		next("3", pid)
	}
	fmt.Println(pid)
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// dying reports whether pid is gone, a zombie, or has a SIGKILL pending:
// once a parent-death SIGKILL has been sent, one of these holds.
func dying(pid int) bool {
	f, ok := statFields(pid)
	if !ok || len(f) == 0 || f[0] == "Z" || f[0] == "X" {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return true
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		if k == "SigPnd" || k == "ShdPnd" {
			if mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64); err == nil && mask&(1<<(syscall.SIGKILL-1)) != 0 {
				return true
			}
		}
	}
	return false
}

// startHelper runs this binary as the named helper and returns it and its
// first line of output.
func startHelper(t *testing.T, r *Reaper, name string) (*Proc, string) {
	t.Helper()
	p, err := r.Start(Spec{
		Argv: []string{os.Args[0], "-test.run=^$"},
		Env:  append(os.Environ(), "CHILD_ORPHANS_HELPER="+name),
		UID:  -1, GID: -1, RedirectStderr: true,
	}, func(ExitStatus) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Signal(syscall.SIGKILL)
		p.Stdin.Close()
		p.Stdout.Close()
	})
	line, err := bufio.NewReader(p.Stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("helper %s: %v (%q)", name, err, line)
	}
	return p, strings.TrimSpace(line)
}

func pids(t *testing.T, line string) []int {
	t.Helper()
	var out []int
	for _, f := range strings.Fields(line) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("helper said %q", line)
		}
		out = append(out, n)
	}
	return out
}

// A child outlives the goroutine and the thread that asked for it, and
// dies with the process that started it when that is SIGKILLed, unless it
// asked to be kept.
func TestChildrenDieWithTheirStarter(t *testing.T) {
	t.Parallel()
	r, _ := newReaper(t)
	helper, line := startHelper(t, r, "thread-exit")
	got := pids(t, line)
	if len(got) != 2 {
		t.Fatalf("helper said %q", line)
	}
	dies, keeps := got[0], got[1]
	defer syscall.Kill(keeps, syscall.SIGKILL)
	if dying(dies) || dying(keeps) {
		t.Fatalf("a child died with the thread that asked for it (dying: %v, %v)", dying(dies), dying(keeps))
	}
	helper.Signal(syscall.SIGKILL)
	testkit.Eventually(t, 10*time.Second, func() bool { return dying(dies) }, "child outlived its SIGKILLed starter")
	if dying(keeps) {
		t.Fatal("the child with KeepOnDaemonDeath died with its starter")
	}
}

// Reexec keeps the children through two re-execs in a row, and they still
// die with the process afterwards.
func TestReexecKeepsChildren(t *testing.T) {
	t.Parallel()
	r, _ := newReaper(t)
	helper, line := startHelper(t, r, "reexec")
	got := pids(t, line)
	if len(got) != 1 {
		t.Fatalf("helper said %q", line)
	}
	pid := got[0]
	if dying(pid) {
		t.Fatal("the child died across the re-execs")
	}
	if f, _ := statFields(pid); len(f) < 2 || f[1] != strconv.Itoa(helper.Pid) {
		t.Fatalf("child's stat %v, want parent %d", f, helper.Pid)
	}
	helper.Signal(syscall.SIGKILL)
	testkit.Eventually(t, 10*time.Second, func() bool { return dying(pid) }, "child outlived the re-executed process")
}

// A group signal reaches a descendant that left the process group with
// setsid; a signal to the process alone does not, as with the reference.
func TestSignalGroupReachesSetsid(t *testing.T) {
	t.Parallel()
	for _, group := range []bool{true, false} {
		t.Run(fmt.Sprintf("group=%v", group), func(t *testing.T) {
			t.Parallel()
			r, logs := newReaper(t)
			exited := make(chan ExitStatus, 1)
			p, err := r.Start(sh("setsid sleep 1000 & echo $!; wait"), func(st ExitStatus) { exited <- st })
			if err != nil {
				t.Fatal(err)
			}
			defer func() { p.Stdin.Close(); p.Stdout.Close(); p.Stderr.Close() }()
			line, err := bufio.NewReader(p.Stdout).ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			sleep := pids(t, line)[0]
			defer syscall.Kill(sleep, syscall.SIGKILL)
			testkit.Eventually(t, 10*time.Second, func() bool {
				pgid, ok := processGroup(sleep)
				return ok && pgid == sleep
			}, "sleep never left the group")
			if group {
				err = p.SignalGroup(syscall.SIGTERM)
			} else {
				err = p.Signal(syscall.SIGTERM)
			}
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				t.Fatal("sh did not exit")
			}
			if group {
				testkit.Eventually(t, 10*time.Second, func() bool { return dying(sleep) }, "setsid'd sleep outlived a group stop")
				if n := strings.Count(logs(), "process trees:"); n != 1 {
					t.Errorf("%d lines about process trees, want 1:\n%s", n, logs())
				}
			} else if dying(sleep) {
				t.Fatal("a signal to the process alone reached its setsid'd child")
			}
		})
	}
}
