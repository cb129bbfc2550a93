package main

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// reloadConf is a config with a numprocs program, a [group:x] of two and an
// include; numprocs and b's command are the parts the tests edit.
func reloadConf(dir, numprocs, bCommand, extra string) string {
	return testkit.Config(dir) + extra + testkit.RPCConfig(dir) + `
[include]
files=` + dir + `/conf.d/*.conf

[program:w]
command=/bin/sleep 1000
process_name=w_%(process_num)d
numprocs=` + numprocs + `
startsecs=0

[program:a]
command=/bin/sleep 1000
startsecs=0

[program:b]
command=` + bCommand + `
startsecs=0

[group:g]
programs=a,b
`
}

func spawnCounts(log string, names ...string) map[string]int {
	out := map[string]int{}
	for _, n := range names {
		out[n] = strings.Count(log, "spawned: '"+n+"'")
	}
	return out
}

func checkSpawns(t *testing.T, d *testkit.Daemon, want map[string]int) {
	t.Helper()
	var names []string
	for n := range want {
		names = append(names, n)
	}
	if got := spawnCounts(d.Log(), names...); !maps.Equal(got, want) {
		t.Errorf("spawns %v, want %v", got, want)
	}
}

// Edits while the daemon runs, with no ctl call: a new numprocs adds and
// drops instances, a changed member of a [group:x] restarts alone, a
// deleted include removes its group, a bad edit is refused and shown by
// `supervisorctl autoreload` until fixed.
func TestAutoReloadAsUsersSeeIt(t *testing.T) {
	t.Parallel()
	ours := filepath.Join(bin, "supervisord")
	dir := "{dir}"
	d := testkit.StartDaemon(t, ours, reloadConf(dir, "3", "/bin/sleep 1000", ""))
	dir = d.Dir
	if err := os.Mkdir(filepath.Join(dir, "conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	d.WaitLog(t, "success: b entered RUNNING", 10*time.Second)
	d.WaitWatching(t, 10*time.Second)
	ctl := func(args ...string) testkit.CtlRun {
		t.Helper()
		return testkit.RunCtl(t, oursCtl(), dir, "", append([]string{"-c", d.Conf}, args...)...)
	}

	testkit.WriteOver(t, filepath.Join(dir, "conf.d", "inc.conf"), "[program:inc]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
	d.WaitLog(t, "success: inc entered RUNNING", 10*time.Second)

	testkit.WriteOver(t, d.Conf, reloadConf(dir, "5", "/bin/sleep 1001", ""))
	d.WaitLog(t, `updated process group w in place \(changed: none; added: w_3, w_4; removed: none\)`, 10*time.Second)
	d.WaitLog(t, `updated process group g in place \(changed: b; added: none; removed: none\)`, 10*time.Second)
	d.WaitLog(t, "success: w_4 entered RUNNING", 10*time.Second)
	d.WaitLog(t, "success: b entered RUNNING(?s:.*)success: b entered RUNNING", 10*time.Second)
	checkSpawns(t, d, map[string]int{"w_0": 1, "w_1": 1, "w_2": 1, "w_3": 1, "w_4": 1, "a": 1, "b": 2, "inc": 1})

	r := ctl("autoreload")
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "autoreload: on, watching "+d.Conf) ||
		!regexp.MustCompile(`last applied: \S+ \S+ \(added: none; changed: (g, w|w, g); removed: none\)\n`).MatchString(r.Stdout) {
		t.Errorf("autoreload after a good edit:\n%s", r)
	}
	// The API's view of the config follows the edits (avail reads it).
	if r := ctl("avail"); !strings.Contains(r.Stdout, "w:w_4") {
		t.Errorf("avail does not show the new instance:\n%s", r)
	}

	if err := os.Remove(filepath.Join(dir, "conf.d", "inc.conf")); err != nil {
		t.Fatal(err)
	}
	d.WaitLog(t, "autoreload: removed process group inc", 10*time.Second)
	d.WaitLog(t, "stopped: inc ", 10*time.Second)

	testkit.WriteOver(t, d.Conf, reloadConf(dir, "many", "/bin/sleep 1001", ""))
	d.WaitLog(t, "autoreload: the changed config is not applied", 10*time.Second)
	r = ctl("autoreload")
	if r.Code != 1 || !regexp.MustCompile(`last edit not applied: .*supervisord\.conf:\d+: \[program:w\] numprocs`).MatchString(r.Stdout) {
		t.Errorf("autoreload after a bad edit:\n%s", r)
	}

	testkit.WriteOver(t, d.Conf, reloadConf(dir, "2", "/bin/sleep 1001", ""))
	d.WaitLog(t, `updated process group w in place \(changed: none; added: none; removed: w_2, w_3, w_4\)`, 10*time.Second)
	if r := ctl("autoreload"); r.Code != 0 || strings.Contains(r.Stdout, "not applied") {
		t.Errorf("autoreload after the fix:\n%s", r)
	}
	status := regexp.MustCompile(`(?m)^(\S+)\s+(\S+)`).FindAllStringSubmatch(ctl("status").Stdout, -1)
	var states []string
	for _, m := range status {
		states = append(states, m[1]+" "+m[2])
	}
	if want := "g:a RUNNING,g:b RUNNING,w:w_0 RUNNING,w:w_1 RUNNING"; strings.Join(states, ",") != want {
		t.Errorf("status after the fix: %v, want %s", states, want)
	}
	checkSpawns(t, d, map[string]int{"w_0": 1, "w_1": 1, "a": 1, "b": 2})
}

// A manual `update` by our supervisorctl restarts only the changed member
// of a group and prints what the reference's prints.
func TestUpdateRestartsOnlyChangedMember(t *testing.T) {
	t.Parallel()
	d := testkit.StartDaemon(t, filepath.Join(bin, "supervisord"),
		reloadConf("{dir}", "1", "/bin/sleep 1000", "autoreload=false\n"))
	os.Mkdir(filepath.Join(d.Dir, "conf.d"), 0o755)
	d.WaitLog(t, "success: b entered RUNNING", 10*time.Second)
	testkit.WriteOver(t, d.Conf, reloadConf(d.Dir, "1", "/bin/sleep 1001", "autoreload=false\n"))
	r := testkit.RunCtl(t, oursCtl(), d.Dir, "", "-c", d.Conf, "update")
	if r.Stdout != "g: stopped\ng: updated process group\n" || r.Code != 0 {
		t.Errorf("update printed:\n%s", r)
	}
	d.WaitLog(t, "success: b entered RUNNING(?s:.*)success: b entered RUNNING", 10*time.Second)
	checkSpawns(t, d, map[string]int{"a": 1, "b": 2, "w_0": 1})
	if r := testkit.RunCtl(t, oursCtl(), d.Dir, "", "-c", d.Conf, "autoreload"); r.Stdout != "autoreload: off\n" {
		t.Errorf("autoreload with autoreload=false:\n%s", r)
	}
}
