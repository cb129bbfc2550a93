package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"supervisord/testkit"
)

const reference = "/usr/bin/supervisord"

// programs exercises the state machine's end states in one config: what
// each program settles in is the same for our daemon and the reference.
const programs = `
[program:runs]
command=/bin/sleep 1000
startsecs=1

[program:done]
command=/bin/sh -c 'exit 0'
startsecs=0
autorestart=unexpected

[program:oddcode]
command=/bin/sh -c 'sleep 0.2; exit 3'
startsecs=0
exitcodes=3
autorestart=unexpected

[program:crashes]
command=/bin/sh -c 'exit 1'
startsecs=1
startretries=1

[program:missing]
command=/no/such/program
startretries=0

[program:notexec]
command={dir}/notexec
startretries=0

[program:badcwd]
command=/bin/sleep 1000
directory={dir}/nowhere
startretries=0

[program:manual]
command=/bin/sleep 1000
autostart=false

[program:many]
command=/bin/sleep 1000
process_name=%(program_name)s_%(process_num)d
numprocs=3
startsecs=0

[program:restarts]
command=/bin/sh -c 'sleep 0.3; exit 0'
startsecs=0
autorestart=true
`

var settled = map[string]string{
	"runs": "RUNNING", "done": "EXITED", "oddcode": "EXITED", "crashes": "FATAL",
	"missing": "FATAL", "notexec": "FATAL", "badcwd": "FATAL",
	"many_0": "RUNNING", "many_1": "RUNNING", "many_2": "RUNNING",
}

// statesOf waits for the daemon's log to show every program of want in its
// state and returns what it shows then (or at the deadline).
func statesOf(t *testing.T, d *testkit.Daemon, want map[string]string) map[string]string {
	t.Helper()
	var got map[string]string
	testkit.Poll(20*time.Second, func() bool {
		got = testkit.StatesFromLog(d.Log())
		// "restarts" keeps cycling; it only has to have been seen.
		delete(got, "restarts")
		return maps.Equal(got, want)
	})
	return got
}

func startOnPrograms(t *testing.T, binary string) *testkit.Daemon {
	d := testkit.StartDaemon(t, binary, testkit.Config("{dir}")+programs)
	if err := os.WriteFile(filepath.Join(d.Dir, "notexec"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSameStatesAsReference(t *testing.T) {
	t.Parallel()
	daemons := map[string]string{"ours": bin}
	if _, err := os.Stat(reference); err == nil {
		daemons["reference"] = reference
	} else {
		t.Log("REFERENCE MISSING: apt-get install supervisor to compare with " + reference)
	}
	for name, binary := range daemons {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := startOnPrograms(t, binary)
			if got := statesOf(t, d, settled); !maps.Equal(got, settled) {
				t.Errorf("states %v,\nwant %v", got, settled)
			}
			if !strings.Contains(d.Log(), "spawned: 'restarts'") {
				t.Error("restarts never spawned")
			}
		})
	}
	if _, ok := daemons["reference"]; !ok {
		t.Skip("SKIPPED the reference half: " + reference + " is not installed")
	}
}

// SIGTERM stops groups from the highest priority number down, every child
// is gone when the daemon exits, and the exit status is 0.
func TestShutdownOrderAndNoOrphans(t *testing.T) {
	t.Parallel()
	d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+`
[program:first]
command=/bin/sleep 1000
priority=1
startsecs=0
[program:middle]
command=/bin/sh -c 'trap "sleep 0.3; exit 0" TERM; while :; do sleep 0.05; done'
priority=50
startsecs=0
[program:last]
command=/bin/sleep 1000
priority=100
startsecs=0
`)
	for _, p := range []string{"first", "middle", "last"} {
		d.WaitLog(t, "success: "+p+" entered RUNNING", 10*time.Second)
	}
	if err := d.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if st := d.Wait(20 * time.Second); st == nil || st.ExitCode() != 0 {
		t.Fatalf("exit status %v, want 0", st)
	}
	log := d.Log()
	stopped := regexp.MustCompile(`stopped: (\w+) `).FindAllStringSubmatch(log, -1)
	var order []string
	for _, m := range stopped {
		order = append(order, m[1])
	}
	if want := []string{"last", "middle", "first"}; !slices.Equal(order, want) {
		t.Errorf("stop order %v, want %v", order, want)
	}
	for _, m := range regexp.MustCompile(`spawned: '\w+' with pid (\d+)`).FindAllStringSubmatch(log, -1) {
		pid, _ := strconv.Atoi(m[1])
		if alive(pid) {
			t.Errorf("child %d outlived the daemon", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// alive reports whether pid runs and is not a zombie waiting for init.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || len(b) < i+3 || b[i+2] != 'Z'
}

// A chatty child's output survives rotation and a SIGUSR2 reopen whole and
// in order: the backups, oldest first, then the live file, hold every line.
func TestChildLogLosesNoByte(t *testing.T) {
	t.Parallel()
	const lines = 30000
	d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+fmt.Sprintf(`
[program:chatty]
command=/bin/sh -c 'seq 1 %d; touch {dir}/half; while [ ! -e {dir}/go ]; do sleep 0.05; done; seq %d %d; sleep 1000'
stdout_logfile={dir}/chatty.log
stdout_logfile_maxbytes=16KB
stdout_logfile_backups=100
startsecs=0
`, lines/2, lines/2+1, lines))
	testkit.Eventually(t, 20*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(d.Dir, "half"))
		return err == nil
	}, "first half never written")
	// Logrotate's way: move the files aside, then ask for a reopen.
	moved := filepath.Join(d.Dir, "moved")
	os.Mkdir(moved, 0o755)
	var wantAll strings.Builder
	for i := 1; i <= lines; i++ {
		fmt.Fprintf(&wantAll, "%d\n", i)
	}
	readAll := func(dir string) string {
		var b strings.Builder
		for i := 100; i >= 1; i-- {
			data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("chatty.log.%d", i)))
			if err == nil {
				b.Write(data)
			}
		}
		data, _ := os.ReadFile(filepath.Join(dir, "chatty.log"))
		b.Write(data)
		return b.String()
	}
	// Wait until the first half has been written out before moving it.
	half := wantAll.String()[:strings.Index(wantAll.String(), fmt.Sprintf("\n%d\n", lines/2+1))+1]
	if !testkit.Poll(10*time.Second, func() bool { return readAll(d.Dir) == half }) {
		t.Fatalf("first half in logs is %d bytes, want %d", len(readAll(d.Dir)), len(half))
	}
	matches, _ := filepath.Glob(filepath.Join(d.Dir, "chatty.log*"))
	if len(matches) < 2 { // reads come in chunks of up to 64 KiB, and a write is never split
		t.Fatalf("no rotation happened: %v", matches)
	}
	for _, m := range matches {
		os.Rename(m, filepath.Join(moved, filepath.Base(m)))
	}
	d.Signal(syscall.SIGUSR2)
	d.WaitLog(t, "supervisord logreopen", 10*time.Second)
	os.WriteFile(filepath.Join(d.Dir, "go"), nil, 0o644)
	rest := wantAll.String()[len(half):]
	if !testkit.Poll(10*time.Second, func() bool { return readAll(d.Dir) == rest }) {
		got := readAll(d.Dir)
		t.Fatalf("second half in logs is %d bytes, want %d; starts %q", len(got), len(rest), got[:min(len(got), 40)])
	}
	if got := readAll(moved); got != half {
		t.Errorf("moved logs hold %d bytes, want %d", len(got), len(half))
	}
}
