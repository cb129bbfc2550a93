package listenertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"supervisord/testkit"
)

// ReferenceConf is a [supervisord] section, with {dir} for a temporary
// directory, a control socket at {dir}/supervisor.sock and debug logging.
const ReferenceConf = `
[unix_http_server]
file={dir}/supervisor.sock

[supervisord]
logfile={dir}/supervisord.log
pidfile={dir}/supervisord.pid
childlogdir={dir}
loglevel=debug
identifier=reftest

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{dir}/supervisor.sock
`

// Daemon is a supervisord a listener test runs under.
type Daemon struct {
	Name string // "ours" or "reference"
	Path string
}

// Daemons are the supervisords to run listener tests under: ours, built
// for the test, and the reference (/usr/bin/supervisord) when installed.
// The test is skipped, saying so, without the reference's supervisorctl
// and python3, which the tests drive the daemons with.
func Daemons(t *testing.T) []Daemon {
	t.Helper()
	for _, bin := range []string{"/usr/bin/supervisorctl", "/usr/bin/python3"} {
		if _, err := os.Stat(bin); err != nil {
			t.Skipf("SKIPPED: %s is missing; this test needs the real Supervisor's client", bin)
		}
	}
	root, err := testkit.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	ours := filepath.Join(t.TempDir(), "supervisord")
	build := exec.Command("go", "build", "-o", ours, "./cmd/supervisord")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building our supervisord: %v\n%s", err, out)
	}
	ds := []Daemon{{"ours", ours}}
	if _, err := os.Stat("/usr/bin/supervisord"); err == nil {
		ds = append(ds, Daemon{"reference", "/usr/bin/supervisord"})
	} else {
		t.Log("SKIPPED the reference half: /usr/bin/supervisord is missing")
	}
	return ds
}

// Ctl runs the reference supervisorctl on the daemon started in dir.
func Ctl(t *testing.T, dir string, args ...string) string {
	t.Helper()
	r := testkit.RunCtl(t, testkit.Supervisorctl, dir, "", append([]string{"-c", filepath.Join(dir, "supervisord.conf")}, args...)...)
	return strings.TrimSpace(r.Stdout)
}
