package actors

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"supervisord/conf"
)

// waitFile polls path until it holds want, failing the test otherwise.
func waitFile(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var got string
	for got != want && time.Now().Before(deadline) {
		b, _ := os.ReadFile(path)
		got = string(b)
		time.Sleep(10 * time.Millisecond)
	}
	if got != want {
		t.Errorf("%s holds %q, want %q", path, got, want)
	}
}

// limitsProgram is a program printing its nofile limits to a stdout log.
func limitsProgram(t *testing.T, rlimits []conf.Rlimit, change ...func(*conf.Process)) (*conf.Group, string) {
	out := filepath.Join(t.TempDir(), "out.log")
	g := program("limited", "ulimit -n; ulimit -Hn; id -u; exec sleep 100", append([]func(*conf.Process){func(p *conf.Process) {
		p.StartSecs = 0
		p.Stdout.Logfile = out
		p.Rlimits = rlimits
	}}, change...)...)
	return g, out
}

func TestRlimitsReachChild(t *testing.T) {
	g, out := limitsProgram(t, []conf.Rlimit{{Resource: syscall.RLIMIT_NOFILE, Soft: 123, Hard: 456}})
	tr := startTree(t, []*conf.Group{g})
	tr.waitState(t, "limited", Running, 5*time.Second)
	waitFile(t, out, "123\n456\n"+strconv.Itoa(os.Getuid())+"\n")
}

// With user=, the limits are set before the switch, so a hard limit above
// the daemon's own (which needs CAP_SYS_RESOURCE to set) reaches the
// program running as the user.
func TestRlimitsWithUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("SKIPPED: user= needs root")
	}
	var cur syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &cur); err != nil {
		t.Fatal(err)
	}
	hard := cur.Max
	if canRaise() { // else root may not raise it either
		hard += 1000
	}
	g, out := limitsProgram(t, []conf.Rlimit{{Resource: syscall.RLIMIT_NOFILE, Soft: 64, Hard: hard}}, func(p *conf.Process) {
		p.User, p.UID, p.GID = "nobody", 65534, 65534
	})
	tr := startTree(t, []*conf.Group{g})
	tr.waitState(t, "limited", Running, 5*time.Second)
	waitFile(t, out, "64\n"+strconv.FormatUint(hard, 10)+"\n65534\n")
}

// canRaise reports whether this process has CAP_SYS_RESOURCE.
func canRaise() bool {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(status), "\n") {
		if hex, ok := strings.CutPrefix(line, "CapEff:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			return err == nil && mask&(1<<24) != 0
		}
	}
	return false
}

// Environment files: read in order after the SUPERVISOR_* variables and
// before environment=, an optional missing one skipped, and read again at
// each spawn.
func TestEnvFilesReachChild(t *testing.T) {
	dir := t.TempDir()
	a, b, out := filepath.Join(dir, "a.env"), filepath.Join(dir, "b.env"), filepath.Join(dir, "out.log")
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(a, "# first\nA=from-a\nB=from-a\nC='quoted  value'\nSUPERVISOR_GROUP_NAME=from-a\n")
	write(b, "B=from-b\nD=from-b\n")
	g := program("envy", `printf '%s|' "$A" "$B" "$C" "$D" "$SUPERVISOR_GROUP_NAME"; echo; exec sleep 100`, func(p *conf.Process) {
		p.StartSecs = 0
		p.Stdout.Logfile = out
		p.EnvFiles = []conf.EnvFile{{Path: a}, {Path: filepath.Join(dir, "missing.env"), Optional: true}, {Path: b}}
		p.Environment = []conf.EnvVar{{Key: "D", Value: "from-environment"}}
	})
	tr := startTree(t, []*conf.Group{g})
	tr.waitState(t, "envy", Running, 5*time.Second)
	first := "from-a|from-b|quoted  value|from-environment|from-a|\n"
	waitFile(t, out, first)

	write(b, "B=edited\n")
	ctx := context.Background()
	if err := tr.Stop(ctx, "envy", "envy", true); err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(ctx, "envy", "envy", true); err != nil {
		t.Fatal(err)
	}
	waitFile(t, out, first+"from-a|edited|quoted  value|from-environment|from-a|\n")
}

// A required environment file that cannot be read is a spawn error naming
// it: BACKOFF, then FATAL, as any spawn error.
func TestEnvFileMissingIsSpawnError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.env")
	tr := startTree(t, []*conf.Group{program("lost", "exec sleep 100", func(p *conf.Process) {
		p.StartRetries = 1
		p.EnvFiles = []conf.EnvFile{{Path: missing}}
	})})
	in := tr.waitState(t, "lost", Fatal, 10*time.Second)
	want := "couldn't read environment_file " + missing + ": no such file or directory"
	if in.SpawnErr != want {
		t.Errorf("spawnerr %q, want %q", in.SpawnErr, want)
	}
	if n := len(tr.log.matching("INFO spawnerr: " + want)); n != 2 {
		t.Errorf("%d spawnerr lines, want 2 (a start and a retry)", n)
	}
	if n := len(tr.log.matching("spawned: 'lost'")); n != 0 {
		t.Errorf("%d spawns, want none", n)
	}
}
