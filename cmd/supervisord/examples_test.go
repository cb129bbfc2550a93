package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"supervisord/internal/notify"
	"supervisord/protocol/sdnotify"
	"supervisord/testkit"
)

// examplesDir is the repository's examples/.
const examplesDir = "../../examples"

// The container example, run the way its Dockerfile says: its ENTRYPOINT as
// PID 1 of a new PID namespace, its config and app as the COPY lines place
// them (moved into a temporary directory). The container stops cleanly on
// docker stop's SIGTERM, and ends with the application's exit status.
// Where a container runtime answers, the image is built too.
func TestDockerExample(t *testing.T) {
	t.Parallel()
	df, err := os.ReadFile(filepath.Join(examplesDir, "docker", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ENTRYPOINT (\[.*\])$`).FindSubmatch(df)
	if m == nil {
		t.Fatal("no ENTRYPOINT in the Dockerfile")
	}
	var entry []string
	if err := json.Unmarshal(m[1], &entry); err != nil || entry[0] != "/usr/local/bin/supervisord" {
		t.Fatalf("ENTRYPOINT %s: %v", m[1], err)
	}
	for _, cp := range []string{"COPY examples/docker/supervisord.conf /etc/supervisord.conf", "COPY examples/docker/app.sh /app/app.sh"} {
		if !bytes.Contains(df, []byte(cp)) {
			t.Fatalf("the Dockerfile no longer says %q", cp)
		}
	}
	if os.Getuid() != 0 {
		t.Skip("SKIPPED: needs root for unshare --pid; CI runs as root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("SKIPPED: needs unshare (util-linux)")
	}
	// container runs the image's entry point in a fresh "container" dir.
	container := func(t *testing.T) (cmd *exec.Cmd, dir string, out *testkit.SyncBuffer) {
		dir = t.TempDir()
		text, err := os.ReadFile(filepath.Join(examplesDir, "docker", "supervisord.conf"))
		if err != nil {
			t.Fatal(err)
		}
		conf := strings.NewReplacer("/run/", dir+"/", "/app/", dir+"/").Replace(string(text))
		if conf == string(text) {
			t.Fatal("nothing to move in the container's config")
		}
		app, _ := os.ReadFile(filepath.Join(examplesDir, "docker", "app.sh"))
		os.WriteFile(filepath.Join(dir, "app.sh"), bytes.ReplaceAll(app, []byte("/app/"), []byte(dir+"/")), 0o755)
		os.WriteFile(filepath.Join(dir, "supervisord.conf"), []byte(conf), 0o644)
		args := append([]string{"--pid", "--fork", "--mount-proc", bin}, entry[1:]...)
		for i, a := range args {
			if a == "/etc/supervisord.conf" {
				args[i] = filepath.Join(dir, "supervisord.conf")
			}
		}
		out = &testkit.SyncBuffer{}
		cmd = exec.Command(unshare, args...)
		cmd.Stdout, cmd.Stderr = out, out
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			if t.Failed() {
				t.Logf("container output:\n%s", out)
			}
		})
		if !testkit.Poll(15*time.Second, func() bool {
			return strings.Contains(out.String(), "success: app entered RUNNING") && strings.Contains(out.String(), "sidecar: ")
		}) {
			t.Fatal("the container's programs did not come up")
		}
		return cmd, dir, out
	}
	wait := func(t *testing.T, cmd *exec.Cmd) int {
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
			return cmd.ProcessState.ExitCode()
		case <-time.After(20 * time.Second):
			t.Fatal("the container did not end")
			return -1
		}
	}
	t.Run("docker stop", func(t *testing.T) {
		t.Parallel()
		cmd, _, out := container(t)
		daemon := children(cmd.Process.Pid)
		if len(daemon) != 1 {
			t.Fatalf("unshare's children: %v", daemon)
		}
		syscall.Kill(daemon[0], syscall.SIGTERM)
		if code := wait(t, cmd); code != 0 {
			t.Errorf("exit status %d, want 0", code)
		}
		if !strings.Contains(out.String(), "app: stopping") {
			t.Error("the app was not stopped")
		}
	})
	t.Run("the app fails", func(t *testing.T) {
		t.Parallel()
		cmd, dir, out := container(t)
		os.WriteFile(filepath.Join(dir, "exit-with"), []byte("3"), 0o644)
		if code := wait(t, cmd); code != 3 {
			t.Errorf("exit status %d, want the app's 3", code)
		}
		if !strings.Contains(out.String(), "essential program app exited; stopping every program, exit status 3") {
			t.Error("the log does not say the app ended the container")
		}
	})
	t.Run("docker build", func(t *testing.T) {
		if exec.Command("docker", "info").Run() != nil {
			t.Skip("SKIPPED: no container runtime answers here")
		}
		cmd := exec.Command("docker", "build", "-q", "-f", "examples/docker/Dockerfile", "-t", "supervisord-example-test", ".")
		cmd.Dir = "../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("docker build: %v\n%s", err, out)
		}
	})
}

// The systemd unit: systemd-analyze accepts it (with ExecStart pointing at
// the binary under test), and its ExecStart line, run with a NOTIFY_SOCKET
// as systemd would, says READY=1 once up and STOPPING=1 on SIGTERM (what
// KillMode=mixed sends the daemon), and keeps NOTIFY_SOCKET from its
// programs.
func TestSystemdUnitExample(t *testing.T) {
	t.Parallel()
	unit, err := os.ReadFile(filepath.Join(examplesDir, "systemd", "supervisord.service"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ExecStart=(\S+) (.*)$`).FindSubmatch(unit)
	if m == nil || string(m[1]) != "/usr/local/bin/supervisord" || !bytes.Contains(unit, []byte("Type=notify")) {
		t.Fatalf("ExecStart or Type=notify missing from the unit")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "unit.conf")
	os.WriteFile(conf, []byte(strings.ReplaceAll(testkit.Config("{dir}"), "{dir}", dir)+
		"[program:prog]\ncommand=/bin/sh -c 'env > "+dir+"/env; exec sleep 1000'\nstartsecs=0\n"), 0o644)
	args := strings.Fields(strings.ReplaceAll(string(m[2]), "/etc/supervisord.conf", conf))

	if analyze, err := exec.LookPath("systemd-analyze"); err == nil {
		copyUnit := filepath.Join(dir, "supervisord.service")
		os.WriteFile(copyUnit, bytes.ReplaceAll(unit, []byte("/usr/local/bin/supervisord"), []byte(bin)), 0o644)
		if out, err := exec.Command(analyze, "verify", copyUnit).CombinedOutput(); err != nil {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	}

	sock, err := notify.Listen("supervisord-test/unit/" + filepath.Base(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	got := make(chan []sdnotify.Field, 8)
	sock.Serve(func(m notify.Message) { got <- m.Fields })
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock.Addr())
	var out testkit.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	expect := func(key string) []sdnotify.Field {
		t.Helper()
		select {
		case fs := <-got:
			if _, ok := sdnotify.Lookup(fs, key); !ok {
				t.Fatalf("got %q, want %s", fs, key)
			}
			return fs
		case <-time.After(15 * time.Second):
			t.Fatalf("no %s; output:\n%s", key, out.String())
			return nil
		}
	}
	fs := expect("READY")
	if pid, _ := sdnotify.Lookup(fs, "MAINPID"); pid != strconv.Itoa(cmd.Process.Pid) {
		t.Errorf("MAINPID=%s, want %d", pid, cmd.Process.Pid)
	}
	if !testkit.Poll(10*time.Second, func() bool { b, _ := os.ReadFile(filepath.Join(dir, "env")); return len(b) > 0 }) {
		t.Fatal("the program did not write its environment")
	}
	if env, _ := os.ReadFile(filepath.Join(dir, "env")); bytes.Contains(env, []byte("NOTIFY_SOCKET")) {
		t.Error("a program inherited the daemon's NOTIFY_SOCKET")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	expect("STOPPING")
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v", err)
	}
}
