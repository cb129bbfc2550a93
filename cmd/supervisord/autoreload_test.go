package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"supervisord/internal/rpcclient"
	"supervisord/testkit"
)

func prog(name, command string) string {
	return "\n[program:" + name + "]\ncommand=" + command + "\nstartsecs=0\n"
}

// Edits to the config and its includes are applied without any ctl call,
// touching only what changed; a bad edit is refused and the running config
// kept; a burst of writes makes one update.
func TestAutoReload(t *testing.T) {
	t.Parallel()
	base := testkit.Config("{dir}") + "\n[include]\nfiles={dir}/conf.d/*.conf\n"
	d := testkit.StartDaemon(t, bin, base+prog("keep", "/bin/sleep 1000")+prog("change", "/bin/sleep 1000"))
	d.WaitLog(t, "success: keep entered RUNNING", 10*time.Second)
	d.WaitLog(t, "success: change entered RUNNING", 10*time.Second)
	d.WaitWatching(t, 10*time.Second)
	spawns := func(name string) int { return strings.Count(d.Log(), "spawned: '"+name+"'") }
	base = strings.ReplaceAll(base, "{dir}", d.Dir)

	// A changed program and a new include file: both applied, keep untouched.
	os.Mkdir(filepath.Join(d.Dir, "conf.d"), 0o755)
	testkit.WriteOver(t, d.Conf, base+prog("keep", "/bin/sleep 1000")+prog("change", "/bin/sleep 1001"))
	testkit.WriteOver(t, filepath.Join(d.Dir, "conf.d", "new.conf"), prog("fresh", "/bin/sleep 1000"))
	d.WaitLog(t, "autoreload: updated process group change", 10*time.Second)
	d.WaitLog(t, "success: fresh entered RUNNING", 10*time.Second)
	d.WaitLog(t, "success: change entered RUNNING(?s:.*)success: change entered RUNNING", 10*time.Second)
	if n := spawns("keep"); n != 1 {
		t.Errorf("keep spawned %d times, want once", n)
	}

	// A new account is served only after a restart, and the log says so;
	// so is joining a fleet.
	const restartNote = `autoreload: \[supervisord\], server, \[user:\] or \[fleet\] settings changed; they apply on restart \(SIGHUP\)`
	account := "\n[user:viewer]\npassword=look\n"
	testkit.WriteOver(t, d.Conf, base+prog("keep", "/bin/sleep 1000")+prog("change", "/bin/sleep 1001")+account)
	d.WaitLog(t, restartNote, 10*time.Second)
	ca := testkit.NewCA(t, d.Dir, "fleet")
	node := ca.Server(t, d.Dir, "node")
	fleet := "\n[fleet]\nname=one\nlisten=127.0.0.1:0\ngossip=127.0.0.1:0\nca=" + ca.File + "\ncert=" + node.CertFile + "\nkey=" + node.KeyFile + "\n"
	testkit.WriteOver(t, d.Conf, base+prog("keep", "/bin/sleep 1000")+prog("change", "/bin/sleep 1001")+account+fleet)
	d.WaitLog(t, "(?s:"+restartNote+".*"+restartNote+")", 10*time.Second)

	// A bad edit is refused with its place named; nothing is touched.
	testkit.WriteOver(t, d.Conf, base+prog("keep", "/bin/sleep 1000")+"\n[program:broken]\ncommand=/bin/true\nstartsecs=soon\n")
	d.WaitLog(t, `autoreload: the changed config is not applied: .*supervisord.conf:\d+: \[program:broken\] startsecs`, 10*time.Second)

	// Fixed, in a burst of writes: one update, which removes what is gone.
	before := strings.Count(d.Log(), "reading the config again")
	for i := range 5 {
		testkit.WriteOver(t, d.Conf, base+prog("keep", "/bin/sleep 1000")+strings.Repeat("\n", i))
	}
	d.WaitLog(t, "autoreload: removed process group change", 10*time.Second)
	time.Sleep(2 * settleForTests)
	if n := strings.Count(d.Log(), "reading the config again") - before; n != 1 {
		t.Errorf("%d rereads for one burst, want 1", n)
	}
	if n := spawns("keep"); n != 1 {
		t.Errorf("keep spawned %d times, want once", n)
	}
	if regexp.MustCompile(`stopped: keep `).MatchString(d.Log()) {
		t.Error("keep was stopped")
	}
}

// settleForTests is a little more than the watcher's quiet period.
const settleForTests = 700 * time.Millisecond

// Edits of depends_on reload like any option: a cycle is refused with the
// cycle spelled out, and the running config kept; a good edit restarts
// only the program edited.
func TestAutoReloadDependencies(t *testing.T) {
	t.Parallel()
	base := testkit.Config("{dir}")
	db := prog("db", "/bin/sleep 1000")
	d := testkit.StartDaemon(t, bin, base+db+prog("api", "/bin/sleep 1000")+"depends_on=db\n")
	d.WaitLog(t, "success: api entered RUNNING", 10*time.Second)
	d.WaitWatching(t, 10*time.Second)
	base = strings.ReplaceAll(base, "{dir}", d.Dir)
	spawns := func(name string) int { return strings.Count(d.Log(), "spawned: '"+name+"'") }

	testkit.WriteOver(t, d.Conf, base+db+"depends_on=api\n"+prog("api", "/bin/sleep 1000")+"depends_on=db\n")
	d.WaitLog(t, `autoreload: the changed config is not applied: .*supervisord.conf:\d+: \[program:(api|db)\] depends_on: dependency cycle: (api -> db -> api|db -> api -> db)`, 10*time.Second)

	testkit.WriteOver(t, d.Conf, base+db+prog("api", "/bin/sleep 1000")+"depends_on=db:started\n")
	d.WaitLog(t, "autoreload: updated process group api", 10*time.Second)
	d.WaitLog(t, "success: api entered RUNNING(?s:.*)success: api entered RUNNING", 10*time.Second)
	if n := spawns("db"); n != 1 {
		t.Errorf("db spawned %d times, want once", n)
	}
}

// A process stopped by hand stays stopped through an automatic reload of
// an unrelated edit, which restarts only what the edit changed; start
// clears the stop.
func TestAutoReloadKeepsManualStop(t *testing.T) {
	t.Parallel()
	base := testkit.Config("{dir}") + testkit.RPCConfig("{dir}")
	d := testkit.StartDaemon(t, bin, base+prog("held", "/bin/sleep 1000")+prog("edited", "/bin/sleep 1000"))
	d.WaitLog(t, "success: held entered RUNNING", 10*time.Second)
	d.WaitLog(t, "success: edited entered RUNNING", 10*time.Second)
	d.WaitWatching(t, 10*time.Second)
	base = strings.ReplaceAll(base, "{dir}", d.Dir)
	rpc := rpcclient.New(rpcclient.Server{Network: "unix", Address: d.Socket(), Host: "localhost"}, rpcclient.Options{})
	ctx := context.Background()
	if _, err := rpc.Call(ctx, "supervisor.stopProcess", "held"); err != nil {
		t.Fatal(err)
	}
	testkit.WriteOver(t, d.Conf, base+prog("held", "/bin/sleep 1000")+prog("edited", "/bin/sleep 1001"))
	d.WaitLog(t, "autoreload: updated process group edited", 10*time.Second)
	d.WaitLog(t, "success: edited entered RUNNING(?s:.*)success: edited entered RUNNING", 10*time.Second)
	state := func(name string) string {
		v, err := rpc.Call(ctx, "supervisor.getProcessInfo", name)
		if err != nil {
			t.Fatal(err)
		}
		return v.(map[string]any)["statename"].(string)
	}
	if s := state("held"); s != "STOPPED" {
		t.Errorf("held after an unrelated edit: %s", s)
	}
	if n := strings.Count(d.Log(), "spawned: 'held'"); n != 1 {
		t.Errorf("held spawned %d times", n)
	}
	if _, err := rpc.Call(ctx, "supervisor.startProcess", "held"); err != nil {
		t.Fatal(err)
	}
	// Another edit: held, started by hand again, is no longer held back.
	testkit.WriteOver(t, d.Conf, base+prog("held", "/bin/sleep 1000")+prog("edited", "/bin/sleep 1002"))
	d.WaitLog(t, "(?s)autoreload: updated process group edited.*autoreload: updated process group edited", 10*time.Second)
	if s := state("held"); s != "RUNNING" {
		t.Errorf("held after start and another edit: %s", s)
	}
}
