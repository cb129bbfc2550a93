package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"supervisord/testkit"
)

// A descriptor the daemon inherited from whatever started it does not reach
// its programs: the reference closes every descriptor from 3 up in each
// child, and so do we.
func TestProgramsInheritNoStrayDescriptors(t *testing.T) {
	t.Parallel()
	for name, binary := range map[string]string{"ours": bin, "reference": reference} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := os.Stat(binary); err != nil {
				t.Skip("SKIPPED: " + binary + " is not installed")
			}
			dir := t.TempDir()
			out := filepath.Join(dir, "probe.log")
			cfg := testkit.Config(dir) + `
[program:probe]
command=/bin/sh -c 'for fd in 7 8; do [ -e /proc/$$/fd/$fd ] && echo "inherited $fd"; done; echo checked'
startsecs=0
autorestart=false
stdout_logfile=` + out + "\n"
			path := filepath.Join(dir, "supervisord.conf")
			if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			// The shell leaves descriptors 7 and 8 open, without
			// close-on-exec, for the daemon it becomes.
			cmd := exec.Command("/bin/sh", "-c", `exec 7</dev/null 8>/dev/null; exec "$0" -n -c "$1"`, binary, path)
			cmd.Dir = dir
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				cmd.Process.Signal(syscall.SIGTERM)
				done := make(chan struct{})
				go func() { cmd.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(20 * time.Second):
					syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
					<-done
				}
			})
			var got string
			testkit.Eventually(t, 20*time.Second, func() bool {
				b, _ := os.ReadFile(out)
				got = string(b)
				return strings.Contains(got, "checked")
			}, "the probe's output")
			if strings.Contains(got, "inherited") {
				t.Errorf("the program saw the daemon's inherited descriptors:\n%s", got)
			}
		})
	}
}
