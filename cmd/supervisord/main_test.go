package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"supervisord/conf"
	"supervisord/testkit"
)

// bin is the supervisord built once for every test that runs the real thing.
var bin string

func TestMain(m *testing.M) {
	if os.Getenv(fcgiChildEnv) != "" {
		fcgiChild() // a daemon under test runs this binary as an fcgi-program
	}
	// The tests wait on daemons, the reference's one-second loop and
	// programs that sleep, far more than they compute.
	testkit.RaiseParallel(8)
	// A daemon outlives the command that started it; as a subreaper this
	// process inherits it and can wait for it like the init system would.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "prctl:", err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "supervisord-cmd-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "supervisord")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	testkit.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(dir)
		os.Exit(code)
	}))
}

// run runs the binary in dir and returns its stdout, stderr and exit status.
func run(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errOut.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), 0
}

// writeConf writes text, with {dir} replaced by dir, as dir/supervisord.conf.
func writeConf(t *testing.T, dir, text string) string {
	t.Helper()
	path := filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(text, "{dir}", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const baseConf = "[supervisord]\n" +
	"logfile={dir}/supervisord.log\n" +
	"pidfile={dir}/supervisord.pid\n" +
	"childlogdir={dir}\n"

// Usage and config mistakes print the reference's two lines and exit 2,
// whether or not we would have daemonized.
func TestStartupErrors(t *testing.T) {
	t.Parallel()
	hint := regexp.QuoteMeta("For help, use " + bin + " -h\n")
	tests := []struct {
		name   string
		conf   string // "" for none
		args   []string
		stderr string // a regular expression for the whole of stderr
	}{
		{"unknown option", "", []string{"--bogus"}, "^Error: option --bogus not recognized\n" + hint + "$"},
		{"missing config file", "", []string{"-c", "/nonexistent/supervisord.conf"}, "^Error: .+\n" + hint + "$"},
		{"bad value in the config", baseConf + "minfds=abc\n", nil, "^Error: .+\n" + hint + "$"},
		{"unknown user", baseConf + "user=no-such-user-here\n", nil, "^Error: Invalid user name no-such-user-here\n" + hint + "$"},
		// The kernel refuses this many descriptors even to root, so the
		// daemon copy fails after the parent has read the config.
		{"limit out of reach", baseConf + "minfds=99999999\n", nil,
			"^Error: The minimum number of file descriptors required to run this process is 99999999 .+\n" + hint + "$"},
	}
	for _, tt := range tests {
		for _, fg := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/nodaemon=%v", tt.name, fg), func(t *testing.T) {
				dir := t.TempDir()
				args := tt.args
				if tt.conf != "" {
					args = append([]string{"-c", writeConf(t, dir, tt.conf)}, args...)
				}
				if fg {
					args = append(args, "-n")
				}
				_, stderr, code := run(t, dir, args...)
				if code != 2 {
					t.Errorf("exit status %d, want 2", code)
				}
				if !regexp.MustCompile(tt.stderr).MatchString(stderr) {
					t.Errorf("stderr %q does not match %q", stderr, tt.stderr)
				}
				if _, err := os.Stat(filepath.Join(dir, "supervisord.pid")); err == nil {
					t.Errorf("a pidfile was left behind")
				}
			})
		}
	}
}

func TestVersionAndSample(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if out, stderr, code := run(t, dir, "-v"); out != "4.2.5\n" || stderr != "" || code != 0 {
		t.Errorf("-v: %q %q %d", out, stderr, code)
	}
	out, stderr, code := run(t, dir, "--echo-config")
	if code != 0 || stderr != "" || out != conf.Sample() {
		t.Fatalf("--echo-config: status %d, stderr %q, %d bytes of output", code, stderr, len(out))
	}
	if _, err := conf.Load(writeConf(t, dir, out)); err != nil {
		t.Errorf("the sample does not load: %v", err)
	}
	if out, _, code := run(t, dir, "-h"); code != 0 || !strings.Contains(out, "Usage: "+bin+" [options]") {
		t.Errorf("-h: status %d, output %q", code, out)
	}
}

// Without -n the command returns once the daemon is up: in its own session,
// in directory=, with umask=, its pid in the pidfile. SIGTERM stops it and
// it removes the pidfile.
func TestDaemonize(t *testing.T) {
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	path := writeConf(t, dir, baseConf+"directory={dir}/work\numask=027\n"+
		"[program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
	start := time.Now()
	out, stderr, code := run(t, dir, "-c", path)
	if code != 0 || out != "" || stderr != "" {
		t.Fatalf("status %d, stdout %q, stderr %q", code, out, stderr)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to daemonize", d)
	}
	b, err := os.ReadFile(filepath.Join(dir, "supervisord.pid"))
	if err != nil {
		t.Fatalf("no pidfile once the command returned: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pidfile holds %q", b)
	}
	exited := make(chan unix.WaitStatus, 1)
	go func() {
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, 0, nil)
		exited <- ws
	}()
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })

	if sid, _ := unix.Getsid(pid); sid != pid {
		t.Errorf("daemon %d is in session %d, want its own", pid, sid)
	}
	if cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); cwd != work {
		t.Errorf("daemon cwd %q, want %q", cwd, work)
	}
	if status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); !strings.Contains(string(status), "Umask:\t0027\n") {
		t.Errorf("daemon umask is not 027:\n%s", status)
	}

	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case ws := <-exited:
		if !ws.Exited() || ws.ExitStatus() != 0 {
			t.Errorf("daemon ended with %v, want exit 0", ws)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("daemon still running 15s after SIGTERM")
	}
	if _, err := os.Stat(filepath.Join(dir, "supervisord.pid")); !os.IsNotExist(err) {
		t.Errorf("pidfile still there after exit: %v", err)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "supervisord.log"))
	for _, want := range []string{
		"INFO daemonizing the supervisord process\n",
		"INFO set current directory: '" + work + "'\n",
		fmt.Sprintf("INFO supervisord started with pid %d\n", pid),
		"WARN received SIGTERM indicating exit request\n",
	} {
		if !strings.Contains(string(log), want) {
			t.Errorf("main log lacks %q:\n%s", want, log)
		}
	}
}

// In the foreground SIGHUP restarts the tree in the same process, SIGUSR2
// reopens the logs, and SIGTERM ends it with status 0.
func TestForegroundSignals(t *testing.T) {
	t.Parallel()
	d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+"[program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
	started := fmt.Sprintf("INFO supervisord started with pid %d\n", d.Pid())
	d.WaitLog(t, regexp.QuoteMeta(started), 10*time.Second)
	if err := d.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.WaitLog(t, "WARN received SIGHUP indicating restart request\n(?s:.*)"+regexp.QuoteMeta(started), 10*time.Second)
	if err := d.Signal(syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	d.WaitLog(t, "INFO received SIGUSR2 indicating log reopen request\n.* INFO supervisord logreopen\n", 10*time.Second)
	st := d.Stop(15 * time.Second)
	if st == nil || st.ExitCode() != 0 {
		t.Fatalf("exit status %v, want 0", st)
	}
	if _, err := os.Stat(filepath.Join(d.Dir, "supervisord.pid")); !os.IsNotExist(err) {
		t.Errorf("pidfile still there after exit: %v", err)
	}
	// The foreground echoes the main log on stdout.
	if !strings.Contains(d.Output(), started) {
		t.Errorf("stdout lacks %q:\n%s", started, d.Output())
	}
}

// A config that went bad before a SIGHUP ends the daemon with the usage
// error, as the reference does, and leaves no pidfile.
func TestReloadWithBadConfigExits(t *testing.T) {
	t.Parallel()
	d := testkit.StartDaemon(t, bin, testkit.Config("{dir}"))
	d.WaitLog(t, "supervisord started with pid", 10*time.Second)
	if err := os.WriteFile(d.Conf, []byte("[supervisord]\nminfds=x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	st := d.Wait(15 * time.Second)
	if st == nil || st.ExitCode() != 2 {
		t.Fatalf("exit status %v, want 2", st)
	}
	if want := "Error: invalid literal for int() with base 10: 'x'\nFor help, use " + bin + " -h\n"; !strings.HasSuffix(d.Output(), want) {
		t.Errorf("output does not end with %q:\n%s", want, d.Output())
	}
	if _, err := os.Stat(filepath.Join(d.Dir, "supervisord.pid")); !os.IsNotExist(err) {
		t.Errorf("pidfile still there after exit: %v", err)
	}
}

// A second daemon on a socket a live one serves refuses to start with the
// reference's words and usage status; the first keeps its socket.
func TestSecondDaemonRefused(t *testing.T) {
	t.Parallel()
	d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+testkit.RPCConfig("{dir}"))
	d.WaitLog(t, "supervisord started with pid", 10*time.Second)
	second := strings.Replace(testkit.Config(d.Dir)+testkit.RPCConfig(d.Dir), "supervisord.log", "second.log", 1)
	second = strings.Replace(second, "supervisord.pid", "second.pid", 1)
	path := filepath.Join(d.Dir, "second.conf")
	if err := os.WriteFile(path, []byte(second), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, d.Dir, "-n", "-c", path)
	want := "Error: Another program is already listening on a port that one of our HTTP servers is configured to use.  Shut this program down first before starting supervisord.\nFor help, use " + bin + " -h\n"
	if code != 2 || stderr != want {
		t.Errorf("second daemon: status %d, stderr %q; want 2, %q", code, stderr, want)
	}
	if out, code := testkit.Ctl(t, d, "pid"); code != 0 || strings.TrimSpace(out) != strconv.Itoa(d.Pid()) {
		t.Errorf("first daemon no longer answers: %q (%d)", out, code)
	}
}
