package child

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"supervisord/conf"
)

func TestShimArgsRoundTrip(t *testing.T) {
	for _, s := range []shimSetup{
		{umask: -1, path: "/bin/x", argv: []string{"x"}},
		{umask: 0o27, path: "/bin/x", argv: []string{"x", "--", "a=b", ""}},
		{umask: -1, path: "/p", argv: []string{"p"}, dir: "/a dir/with=equals",
			rlimits: []conf.Rlimit{{Resource: 7, Soft: 1, Hard: conf.RlimInfinity}, {Resource: 4, Soft: 0, Hard: 0}},
			cred:    &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{65534, 4, 27}}},
		{umask: 0, path: "/p", argv: []string{"p"}, cred: &syscall.Credential{Uid: 1, Gid: 2, Groups: []uint32{}}},
	} {
		args := shimArgs(s)
		if args[0] != shimArg0 {
			t.Fatalf("shimArgs(%+v)[0] = %q", s, args[0])
		}
		got, err := parseShim(args[1:])
		if s.cred != nil && len(s.cred.Groups) == 0 {
			s.cred.Groups = nil
		}
		if err != nil || !reflect.DeepEqual(got, s) {
			t.Errorf("parseShim(%q) = %+v, %v; want %+v", args, got, err, s)
		}
	}
	for _, bad := range [][]string{
		{"--", "/p"},
		{"umask=9", "--", "/p", "p"},
		{"rlimit=7:1", "--", "/p", "p"},
		{"rlimit=7:x:1", "--", "/p", "p"},
		{"cred=1:2", "--", "/p", "p"},
		{"cred=1:2:x", "--", "/p", "p"},
		{"color=red", "--", "/p", "p"},
		{"umask=22", "/p", "p"},
	} {
		if _, err := parseShim(bad); err == nil {
			t.Errorf("parseShim(%q) succeeded", bad)
		}
	}
}

func currentLimit(t *testing.T, resource int) syscall.Rlimit {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(resource, &lim); err != nil {
		t.Fatal(err)
	}
	return lim
}

func TestRlimits(t *testing.T) {
	r, _ := newReaper(t)
	before := currentLimit(t, syscall.RLIMIT_NOFILE)
	spec := sh("ulimit -n; ulimit -Hn; ulimit -c; ulimit -Hc; umask; pwd")
	spec.Rlimits = []conf.Rlimit{
		{Resource: syscall.RLIMIT_NOFILE, Soft: 123, Hard: 456},
		{Resource: syscall.RLIMIT_CORE, Soft: 0, Hard: conf.RlimInfinity},
	}
	mask := os.FileMode(0o027)
	spec.Umask = &mask
	spec.Dir = t.TempDir()
	out, st := run(t, r, spec)
	want := "123\n456\n0\nunlimited\n0027\n" + spec.Dir + "\n"
	if st.ExitCode() != 0 || out != want {
		t.Errorf("child printed %q (%s), want %q", out, st, want)
	}
	if after := currentLimit(t, syscall.RLIMIT_NOFILE); after != before {
		t.Errorf("the daemon's own nofile limit changed: %+v -> %+v", before, after)
	}
}

// The shim hands the program its argv and environment exactly as given.
func TestRlimitsKeepArgvAndEnv(t *testing.T) {
	r, _ := newReaper(t)
	spec := Spec{Path: "/usr/bin/env", Argv: []string{"env", "-0"}, UID: -1, GID: -1,
		Env:     []string{"PATH=/usr/bin:/bin", "A=1", "EMPTY=", "SPACED=a b"},
		Rlimits: []conf.Rlimit{{Resource: syscall.RLIMIT_NOFILE, Soft: 100, Hard: 100}}}
	out, st := run(t, r, spec)
	got := strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
	if st.ExitCode() != 0 || !reflect.DeepEqual(got, spec.Env) {
		t.Errorf("env printed %q (%s), want %q", got, st, spec.Env)
	}
}

// As root, limits are set before the switch to the program's user, so a
// hard limit above the daemon's own may be given (with CAP_SYS_RESOURCE),
// and a process limit counts against the user being switched to, which
// execve then enforces; the directory is entered as that user, as the
// reference's child enters it.
func TestRlimitsBeforeUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("SKIPPED: switching users needs root")
	}
	r, _ := newReaper(t)
	hard := currentLimit(t, syscall.RLIMIT_NOFILE).Max
	if hasCapability(t, 24) { // CAP_SYS_RESOURCE
		hard += 1000
	} else {
		t.Log("no CAP_SYS_RESOURCE here: the hard limit is not raised")
	}
	spec := sh("ulimit -n; ulimit -Hn; id -u; id -g; id -G")
	spec.UID, spec.GID = 65534, 65534
	spec.Rlimits = []conf.Rlimit{{Resource: syscall.RLIMIT_NOFILE, Soft: 64, Hard: hard}}
	out, st := run(t, r, spec)
	want := "64\n" + strconv.FormatUint(hard, 10) + "\n65534\n65534\n65534"
	if st.ExitCode() != 0 || !strings.HasPrefix(out, want) {
		t.Errorf("as nobody with limits: %q (%s), want %q...", out, st, want)
	}

	// Set before setuid, a limit of 0 processes marks the switch to
	// nobody (who then has one) as over it, and execve refuses.
	spec.Rlimits = []conf.Rlimit{{Resource: 6, Soft: 0, Hard: 0}} // RLIMIT_NPROC
	checkNotSpawned(t, r, spec, "supervisor: couldn't exec /bin/sh: EAGAIN\n")

	private := filepath.Join(t.TempDir(), "private")
	if err := os.Mkdir(private, 0o700); err != nil {
		t.Fatal(err)
	}
	spec.Dir = private
	spec.Rlimits = []conf.Rlimit{{Resource: syscall.RLIMIT_NOFILE, Soft: 64, Hard: 64}}
	checkNotSpawned(t, r, spec, "supervisor: couldn't chdir to "+private+": EACCES\n")
}

// hasCapability reports whether the test runs with capability number cap
// in its effective set.
func hasCapability(t *testing.T, cap uint) bool {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if hex, ok := strings.CutPrefix(line, "CapEff:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			return err == nil && mask&(1<<cap) != 0
		}
	}
	return false
}

// A shim that cannot set the program up says why on its stderr and exits
// 127, as the stand-in does.
func TestRlimitFailuresExit127(t *testing.T) {
	r, _ := newReaper(t)
	notExec := filepath.Join(t.TempDir(), "not-a-program")
	if err := os.WriteFile(notExec, []byte{0, 1, 2, 3}, 0o755); err != nil {
		t.Fatal(err)
	}
	nofile := func(soft, hard uint64) []conf.Rlimit {
		return []conf.Rlimit{{Resource: syscall.RLIMIT_NOFILE, Soft: soft, Hard: hard}}
	}
	// Above fs.nr_open even root may not go.
	nrOpen, err := os.ReadFile("/proc/sys/fs/nr_open")
	if err != nil {
		t.Fatal(err)
	}
	tooMany, _ := strconv.ParseUint(strings.TrimSpace(string(nrOpen)), 10, 64)
	tooMany++
	cases := []struct {
		name string
		spec Spec
		want string
	}{
		{"bad directory", func() Spec { s := sh("true"); s.Dir = "/no/such/dir"; s.Rlimits = nofile(10, 10); return s }(),
			"supervisor: couldn't chdir to /no/such/dir: ENOENT\n"},
		{"exec format", Spec{Path: notExec, Argv: []string{"not-a-program"}, UID: -1, GID: -1, Rlimits: nofile(10, 10)},
			"supervisor: couldn't exec not-a-program: ENOEXEC\n"},
		{"limit above nr_open", func() Spec { s := sh("true"); s.Rlimits = nofile(10, tooMany); return s }(),
			"supervisor: couldn't set rlimit_nofile to 10:" + strconv.FormatUint(tooMany, 10) + ": EPERM\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkNotSpawned(t, r, tc.spec, tc.want) })
	}
}

// checkNotSpawned starts spec and expects it to fail with why and exit 127.
func checkNotSpawned(t *testing.T, r *Reaper, spec Spec, why string) {
	t.Helper()
	exits := make(chan ExitStatus, 1)
	p, err := r.Start(spec, func(st ExitStatus) { exits <- st })
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer p.Stdin.Close()
	defer p.Stdout.Close()
	stderr, _ := io.ReadAll(p.Stderr)
	p.Stderr.Close()
	if want := why + "supervisor: child process was not spawned\n"; string(stderr) != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	if st := <-exits; st.ExitCode() != 127 {
		t.Errorf("exit status %d, want 127", st.ExitCode())
	}
}
