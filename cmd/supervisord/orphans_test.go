package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"supervisord/testkit"
)

// A daemon killed with SIGKILL takes its programs with it, except one
// with keep_on_daemon_death=true.
func TestProgramsDieWithAKilledDaemon(t *testing.T) {
	t.Parallel()
	d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+`
[program:dies]
command=/bin/sleep 1000
startsecs=0
[program:kept]
command=/bin/sleep 1000
startsecs=0
keep_on_daemon_death=true
`)
	pidOf := func(name string) int {
		m := d.WaitLog(t, `spawned: '`+name+`' with pid \d+`, 20*time.Second)
		pid, _ := strconv.Atoi(m[strings.LastIndexByte(m, ' ')+1:])
		return pid
	}
	dies, kept := pidOf("dies"), pidOf("kept")
	defer syscall.Kill(kept, syscall.SIGKILL)
	defer syscall.Kill(dies, syscall.SIGKILL) // only when it failed to die
	d.Signal(syscall.SIGKILL)
	d.Wait(20 * time.Second)
	// This process is a subreaper (TestMain): the orphans are its to reap.
	reap := func(pid int) {
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	}
	testkit.Eventually(t, 20*time.Second, func() bool {
		reap(dies)
		return !alive(dies)
	}, "a program outlived its SIGKILLed daemon")
	if !alive(kept) {
		t.Fatal("the keep_on_daemon_death program died with the daemon")
	}
}

// stopasgroup reaches a program's descendant that left its process group
// (setsid, as npm and gunicorn do); without it the reference's behaviour
// stands: only the program itself is signalled and such a descendant
// lives on.
func TestStopAsGroupReachesSetsid(t *testing.T) {
	t.Parallel()
	for _, group := range []bool{true, false} {
		t.Run("stopasgroup="+strconv.FormatBool(group), func(t *testing.T) {
			t.Parallel()
			d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+`
[program:tree]
command=/bin/sh -c 'setsid sleep 1000 & echo $! > {dir}/pid; wait'
startsecs=0
stopasgroup=`+strconv.FormatBool(group)+`
`)
			d.WaitLog(t, "success: tree entered RUNNING", 20*time.Second)
			pidfile := filepath.Join(d.Dir, "pid")
			var sleep int
			testkit.Eventually(t, 20*time.Second, func() bool {
				b, _ := os.ReadFile(pidfile)
				sleep, _ = strconv.Atoi(strings.TrimSpace(string(b)))
				if sleep == 0 {
					return false
				}
				f, err := os.ReadFile("/proc/" + strconv.Itoa(sleep) + "/stat")
				s := string(f)
				// setsid done: the sleep leads a session of its own.
				return err == nil && strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[3] == strconv.Itoa(sleep)
			}, "the setsid'd sleep never showed up")
			defer syscall.Kill(sleep, syscall.SIGKILL)
			d.Signal(syscall.SIGTERM) // shutdown stops every program
			d.Wait(20 * time.Second)
			if group {
				testkit.Eventually(t, 20*time.Second, func() bool {
					var ws unix.WaitStatus
					unix.Wait4(sleep, &ws, unix.WNOHANG, nil)
					return !alive(sleep)
				}, "setsid'd descendant outlived a stopasgroup stop")
				if n := strings.Count(d.Log(), "process trees:"); n != 1 {
					t.Errorf("%d main log lines about process trees, want 1", n)
				}
			} else if !alive(sleep) {
				t.Fatal("without stopasgroup the setsid'd descendant was stopped too")
			}
		})
	}
}
