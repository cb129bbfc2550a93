package child

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"supervisord/testkit"
)

// run starts argv and returns its combined output and exit status.
func run(t *testing.T, r *Reaper, spec Spec) (string, ExitStatus) {
	t.Helper()
	exited := make(chan ExitStatus, 1)
	p, err := r.Start(spec, func(st ExitStatus) { exited <- st })
	if err != nil {
		t.Fatalf("Start(%v): %v", spec.Argv, err)
	}
	p.Stdin.Close()
	var errOut []byte
	var wg sync.WaitGroup
	if p.Stderr != nil {
		wg.Add(1)
		go func() { defer wg.Done(); errOut, _ = io.ReadAll(p.Stderr) }()
	}
	out, _ := io.ReadAll(p.Stdout)
	wg.Wait()
	p.Stdout.Close()
	if p.Stderr != nil {
		p.Stderr.Close()
	}
	select {
	case st := <-exited:
		return string(out) + string(errOut), st
	case <-time.After(10 * time.Second):
		t.Fatalf("%v: no exit reported", spec.Argv)
	}
	panic("unreachable")
}

// newReaper returns a reaper of its own children and a reader of what it
// has logged.
func newReaper(t *testing.T) (*Reaper, func() string) {
	return newScopedReaper(t, ReapOwn)
}

func newScopedReaper(t *testing.T, scope Scope) (*Reaper, func() string) {
	var mu sync.Mutex
	buf := &bytes.Buffer{}
	r := NewReaper(slog.New(slog.NewTextHandler(lockedWriter{&mu, buf}, nil)), scope)
	t.Cleanup(r.Close)
	return r, func() string {
		mu.Lock()
		defer mu.Unlock()
		return buf.String()
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func sh(script string) Spec {
	return Spec{Argv: []string{"/bin/sh", "-c", script}, UID: -1, GID: -1, Env: []string{"PATH=/usr/bin:/bin"}}
}

// Real exits read as the reference words them, and the statuses Exited and
// Killed make (for fake children) are the ones real exits give.
func TestExitStatus(t *testing.T) {
	r, _ := newReaper(t)
	for _, tc := range []struct {
		script string
		code   int
		text   string
		made   ExitStatus
	}{
		{"exit 0", 0, "exit status 0", Exited(0)},
		{"exit 3", 3, "exit status 3", Exited(3)},
		{"exit 255", 255, "exit status 255", Exited(255)},
		{"kill -TERM $$", -1, "terminated by SIGTERM", Killed(syscall.SIGTERM)},
		{"kill -KILL $$", -1, "terminated by SIGKILL", Killed(syscall.SIGKILL)},
		{"kill -IO $$", -1, "terminated by SIGPOLL", Killed(syscall.SIGIO)},
	} {
		_, st := run(t, r, sh(tc.script))
		if st.ExitCode() != tc.code || st.String() != tc.text {
			t.Errorf("%q: got %d %q, want %d %q", tc.script, st.ExitCode(), st, tc.code, tc.text)
		}
		if st != tc.made {
			t.Errorf("%q: real status %#v, made %#v", tc.script, st, tc.made)
		}
	}
}

// Reapers of their own children side by side never take each other's
// exits, and a closed one starts nothing.
func TestReapersSideBySide(t *testing.T) {
	a, _ := newReaper(t)
	b, _ := newReaper(t)
	const n = 20
	type exit struct {
		reaper string
		code   int
		st     ExitStatus
	}
	got := make(chan exit, 2*n)
	for i := range n {
		for name, r := range map[string]*Reaper{"a": a, "b": b} {
			code := i % 5
			p, err := r.Start(sh(fmt.Sprintf("exit %d", code)), func(st ExitStatus) { got <- exit{name, code, st} })
			if err != nil {
				t.Fatal(err)
			}
			p.Stdin.Close()
			p.Stdout.Close()
			p.Stderr.Close()
		}
	}
	count := map[string]int{}
	for range 2 * n {
		select {
		case e := <-got:
			count[e.reaper]++
			if e.st.ExitCode() != e.code {
				t.Errorf("reaper %s: exit %d reported as %s", e.reaper, e.code, e.st)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("exits went missing: %v", count)
		}
	}
	if count["a"] != n || count["b"] != n {
		t.Errorf("exits per reaper %v, want %d each", count, n)
	}
	b.Close()
	if _, err := b.Start(sh("exit 0"), func(ExitStatus) {}); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: %v, want ErrClosed", err)
	}
	b.Close() // a second Close is harmless
}

func TestPipesAndEnvironment(t *testing.T) {
	r, _ := newReaper(t)
	spec := sh(`echo out; echo err >&2; echo "$A"; pwd`)
	spec.Env = append(spec.Env, "A=from-env")
	spec.Dir = "/tmp"
	out, st := run(t, r, spec)
	if st.ExitCode() != 0 {
		t.Fatal(st)
	}
	for _, want := range []string{"out\n", "err\n", "from-env\n", "/tmp\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}

	spec.RedirectStderr = true
	p, err := r.Start(spec, func(ExitStatus) {})
	if err != nil {
		t.Fatal(err)
	}
	if p.Stderr != nil {
		t.Error("redirected stderr still has a pipe")
	}
	b, _ := io.ReadAll(p.Stdout)
	if !strings.Contains(string(b), "err\n") {
		t.Errorf("redirected output %q lacks stderr", b)
	}
	p.Stdin.Close()
	p.Stdout.Close()
}

// A file given as Spec.Stdin (an fcgi-program's listening socket) is the
// child's fd 0 itself, and no stdin pipe is made.
func TestStdinFile(t *testing.T) {
	r, _ := newReaper(t)
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.UnixListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	spec := sh("readlink /proc/self/fd/0")
	spec.Stdin = f
	exited := make(chan ExitStatus, 1)
	p, err := r.Start(spec, func(st ExitStatus) { exited <- st })
	if err != nil {
		t.Fatal(err)
	}
	if p.Stdin != nil {
		t.Error("a stdin pipe was made as well")
	}
	go io.Copy(io.Discard, p.Stderr)
	out, _ := io.ReadAll(p.Stdout)
	p.Stdout.Close()
	p.Stderr.Close()
	if want := fmt.Sprintf("socket:[%d]\n", st.Ino); string(out) != want {
		t.Errorf("child's fd 0 is %q, want %q", out, want)
	}
	if st := <-exited; st.ExitCode() != 0 {
		t.Error(st)
	}
}

func TestOwnProcessGroup(t *testing.T) {
	r, _ := newReaper(t)
	out, _ := run(t, r, sh(`ps -o pgid= -p $$; echo $$`))
	f := strings.Fields(out)
	if len(f) != 2 || f[0] != f[1] {
		t.Errorf("child is not its own group leader: %q", out)
	}
}

func TestUmask(t *testing.T) {
	r, _ := newReaper(t)
	spec := sh("umask")
	mask := os.FileMode(0o027)
	spec.Umask = &mask
	out, st := run(t, r, spec)
	if st.ExitCode() != 0 || strings.TrimSpace(out) != "0027" {
		t.Errorf("umask child printed %q (%s), want 0027", out, st)
	}
	old := syscall.Umask(0o022)
	syscall.Umask(old)
	if old == 0o027 {
		t.Error("the daemon's own umask changed")
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("x"), 0o644)
	script := filepath.Join(dir, "script")
	os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755)
	env := []string{"PATH=" + dir + ":/bin"}
	for _, tc := range []struct{ argv0, path, err string }{
		{"script", script, ""},
		{script, script, ""},
		{"sh", "/bin/sh", ""},
		{"nope", "", "can't find command 'nope'"},
		{dir + "/nope", "", "can't find command '" + dir + "/nope'"},
		{dir, "", "command at '" + dir + "' is a directory"},
		{plain, "", "command at '" + plain + "' is not executable"},
	} {
		got, err := Resolve(tc.argv0, env)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if got != tc.path || msg != tc.err {
			t.Errorf("Resolve(%q) = %q, %q; want %q, %q", tc.argv0, got, msg, tc.path, tc.err)
		}
		if notFound := strings.HasPrefix(tc.err, "can't find"); errors.Is(err, ErrNotFound) != notFound {
			t.Errorf("Resolve(%q): errors.Is(ErrNotFound) = %v, want %v", tc.argv0, !notFound, notFound)
		}
	}
}

// A child that cannot become its program says why on its stderr and exits
// 127, as the reference's does.
func TestSpawnFailuresExit127(t *testing.T) {
	r, _ := newReaper(t)
	notExec := filepath.Join(t.TempDir(), "not-a-program")
	if err := os.WriteFile(notExec, []byte{0, 1, 2, 3}, 0o755); err != nil {
		t.Fatal(err)
	}
	umask := os.FileMode(0o22)
	cases := []struct {
		name string
		spec func() Spec
		want string
	}{
		{"bad directory", func() Spec { s := sh("true"); s.Dir = "/no/such/dir"; return s },
			"supervisor: couldn't chdir to /no/such/dir: ENOENT\n"},
		{"exec format", func() Spec { return Spec{Path: notExec, Argv: []string{"not-a-program"}} },
			"supervisor: couldn't exec not-a-program: ENOEXEC\n"},
		{"exec format under umask", func() Spec { return Spec{Path: notExec, Argv: []string{"not-a-program"}, Umask: &umask} },
			"supervisor: couldn't exec not-a-program: ENOEXEC\n"},
	}
	if os.Getuid() != 0 {
		cases = append(cases, struct {
			name string
			spec func() Spec
			want string
		}{"setuid as non-root", func() Spec { s := sh("true"); s.UID = os.Getuid() + 1; return s },
			fmt.Sprintf("supervisor: couldn't setuid to %d: Can't drop privilege as nonroot user\n", os.Getuid()+1)})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkNotSpawned(t, r, tc.spec(), tc.want) })
	}
}

func TestUserAndGroups(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("SKIPPED: switching users needs root")
	}
	r, _ := newReaper(t)
	spec := sh("id -u; id -g; id -G")
	spec.UID, spec.GID = 65534, 65534
	out, st := run(t, r, spec)
	if st.ExitCode() != 0 || !strings.HasPrefix(out, "65534\n65534\n65534") {
		t.Errorf("as nobody: %q (%s)", out, st)
	}
}

func TestSignalAfterExit(t *testing.T) {
	r, _ := newReaper(t)
	done := make(chan ExitStatus, 1)
	p, err := r.Start(sh("exit 0"), func(st ExitStatus) { done <- st })
	if err != nil {
		t.Fatal(err)
	}
	<-done
	if err := p.Signal(syscall.SIGTERM); !errors.Is(err, ErrExited) {
		t.Errorf("Signal after exit: %v, want ErrExited", err)
	}
	if err := p.SignalGroup(syscall.SIGTERM); !errors.Is(err, ErrExited) {
		t.Errorf("SignalGroup after exit: %v, want ErrExited", err)
	}
}

// Many children exiting at once coalesce their SIGCHLDs; every exit must
// still be reported once, with its own status.
func TestManyExits(t *testing.T) {
	r, _ := newReaper(t)
	const n = 200
	got := make(chan [2]int, n)
	for i := range n {
		code := i % 7
		p, err := r.Start(sh("exit "+string(rune('0'+code))), func(st ExitStatus) { got <- [2]int{code, st.ExitCode()} })
		if err != nil {
			t.Fatal(err)
		}
		p.Stdin.Close()
		p.Stdout.Close()
		p.Stderr.Close()
	}
	for range n {
		select {
		case g := <-got:
			if g[0] != g[1] {
				t.Errorf("exit %d reported as %d", g[0], g[1])
			}
		case <-time.After(20 * time.Second):
			t.Fatal("exits went missing")
		}
	}
}

// As PID 1 of a new PID namespace the reaper must reap orphaned
// grandchildren without stealing its own children's statuses.
func TestPID1(t *testing.T) {
	if os.Getenv("CHILD_PID1_HELPER") == "1" {
		pid1Helper(t)
		return
	}
	if os.Getuid() != 0 {
		t.Skip("SKIPPED: TestPID1 needs root for unshare --pid; CI runs as root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("SKIPPED: TestPID1 needs unshare (util-linux)")
	}
	// Started through a Reaper: exec.Cmd.Wait would race the reaping loop.
	r, _ := newReaper(t)
	out, st := run(t, r, Spec{
		Argv: []string{unshare, "--pid", "--fork", "--mount-proc", os.Args[0], "-test.run=^TestPID1$", "-test.v"},
		Env:  append(os.Environ(), "CHILD_PID1_HELPER=1"),
		UID:  -1, GID: -1,
	})
	if st.ExitCode() != 0 || !strings.Contains(out, "PID1 OK") {
		t.Fatalf("PID 1 helper failed: %s\n%s", st, out)
	}
}

func pid1Helper(t *testing.T) {
	if os.Getpid() != 1 {
		t.Fatalf("helper is pid %d, not 1", os.Getpid())
	}
	r, logs := newScopedReaper(t, ReapAll)
	const n = 20
	type result struct{ want, got int }
	results := make(chan result, n)
	for i := range n {
		// Each child leaves an orphan behind that outlives it.
		code := i % 5
		script := "sleep 0.3 & exit " + string(rune('0'+code))
		p, err := r.Start(sh(script), func(st ExitStatus) { results <- result{code, st.ExitCode()} })
		if err != nil {
			t.Fatal(err)
		}
		p.Stdin.Close()
		p.Stdout.Close()
		p.Stderr.Close()
	}
	for range n {
		select {
		case res := <-results:
			if res.want != res.got {
				t.Errorf("exit %d reported as %d", res.want, res.got)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("own children's exits went missing")
		}
	}
	if !testkit.Poll(10*time.Second, func() bool { return strings.Count(logs(), "reaped unknown pid") >= n }) {
		t.Fatalf("orphans not reaped:\n%s", logs())
	}
	if z := zombies(t); len(z) != 0 {
		t.Fatalf("zombies left: %v", z)
	}
	t.Log("PID1 OK")
}

func zombies(t *testing.T) []string {
	var z []string
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, s := range stats {
		b, err := os.ReadFile(s)
		if err != nil {
			continue
		}
		if i := bytes.LastIndexByte(b, ')'); i > 0 && len(b) > i+2 && b[i+2] == 'Z' {
			z = append(z, string(b))
		}
	}
	return z
}
