package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"supervisord/testkit"
)

// pid1 starts the daemon as PID 1 of a new PID namespace, as a container
// runtime would, on config text ("{dir}" is a temporary directory).
func pid1(t *testing.T, text string) (cmd *exec.Cmd, dir string) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("SKIPPED: needs root for unshare --pid; CI runs as root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("SKIPPED: needs unshare (util-linux)")
	}
	dir = t.TempDir()
	conf := filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(conf, []byte(strings.ReplaceAll(text, "{dir}", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(unshare, "--pid", "--fork", "--mount-proc", bin, "-n", "-c", conf)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "supervisord.log"))
			t.Logf("main log:\n%s", b)
		}
	})
	return cmd, dir
}

// children lists the pids whose parent is pid.
func children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(s); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// zombie reports whether pid has exited and waits to be reaped.
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] == "Z"
}

// As PID 1 the daemon reaps the orphans its programs leave behind, so
// zombies never pile up, and SIGTERM ends it within stopwaitsecs with exit
// status 0.
func TestPID1ReapsOrphansAndStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	cmd, dir := pid1(t, testkit.Config("{dir}")+
		// Each pass leaves an orphan: a sleep whose parent subshell is gone.
		"[program:orphans]\ncommand=/bin/sh -c 'while :; do (sleep 0.01 & echo x >> {dir}/made); sleep 0.02; done'\nstartsecs=0\n"+
		"[program:stubborn]\ncommand=/bin/sh -c 'trap \"\" TERM; while :; do sleep 0.1; done'\nstartsecs=0\nstopwaitsecs=2\n")
	var daemon int
	// Under load a pass takes far longer than its 30 ms of sleeps.
	if !testkit.Poll(60*time.Second, func() bool {
		if c := children(cmd.Process.Pid); len(c) == 1 {
			daemon = c[0]
		}
		b, _ := os.ReadFile(filepath.Join(dir, "made"))
		return daemon != 0 && strings.Count(string(b), "x") >= 50
	}) {
		t.Fatal("no daemon, or no orphans made")
	}
	// 50 orphans have come and gone; at any moment at most a few may wait
	// to be reaped.
	most := 0
	for range 20 {
		n := 0
		for _, c := range children(daemon) {
			if zombie(c) {
				n++
			}
		}
		most = max(most, n)
		time.Sleep(10 * time.Millisecond)
	}
	if most > 5 {
		t.Errorf("up to %d zombies under PID 1", most)
	}
	if err := syscall.Kill(daemon, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit: %v, want status 0", err)
		}
	case <-time.After(15 * time.Second): // stopwaitsecs is 2
		t.Fatal("PID 1 did not stop on SIGTERM")
	}
}

// As PID 1, an essential program's exit status becomes the container's.
func TestPID1EssentialExitStatus(t *testing.T) {
	t.Parallel()
	cmd, _ := pid1(t, testkit.Config("{dir}")+
		"[program:app]\ncommand=/bin/sh -c 'sleep 0.3; exit 42'\nstartsecs=0\nautorestart=false\nessential=true\n"+
		"[program:sidecar]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		if code := cmd.ProcessState.ExitCode(); code != 42 {
			t.Errorf("exit status %d, want 42", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("PID 1 did not exit when its essential program did")
	}
}
