package conf

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func soakCount(t *testing.T) int {
	n, err := strconv.Atoi(os.Getenv("CONF_SOAK"))
	if err != nil || n <= 0 {
		t.Skip("set CONF_SOAK=<count> to compare random configs with the reference")
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("the reference is not installed")
	}
	return n
}

// soakValues are option values chosen to hit each datatype's edges.
var soakValues = []string{"", "0", "1", "-1", "7", "022", "0o17", "9", "abc", "true", "Off", "yes", "unexpected", "TERM", "sigkill", "64", "33", "1KB", "2 mb", "50MB", "3gb",
	"%(program_name)s", "%(process_num)d", "%(process_num)03d", "%(group_name)s", "%(here)s", "%(ENV_FOO)s", "%(ENV_NOPE)s", "%%", "100%", "%(numprocs)d", "%(host_node_name)s",
	"A=1", "A=\"x,y\",B=2", "A=1 B=2", "A='q", "NONE", "AUTO", "syslog", "$DIR/x.log", "/no/dir/x.log", "x.log", "root", "nobody", "nosuchuser", "0,1", "1,256", "tcp://localhost:1", "unix://$DIR/s.sock", "unix://rel", "TICK_5", "PROCESS_STATE, tick_60", "BOGUS",
	"a b", "a:b", " spaced ", "x ;c", "x;c", "x #c", "x\n  cont", "%(process_num)s%(process_num)s", "%(program_name)d", "%(process_num)x", "0x1f", "1_0", " 5 ", "+3", "SIG_DFL", "rtmin", "65536", "*:80", "h:", "root:root", "~/x.log", "~nosuch/x", "Auto", "%(ENV_A)s", "A=%(ENV_FOO)s,B=%(process_num)d", "\"x\"", "é", "a=b=c", "[x]", "x:y", "%(ENV_HOME)s/x"}

var soakProgramOptions = []string{"command", "process_name", "numprocs", "numprocs_start", "priority", "autostart", "autorestart", "startsecs", "startretries", "exitcodes", "stopsignal", "stopwaitsecs", "stopasgroup", "killasgroup", "user", "redirect_stderr", "stdout_logfile", "stdout_logfile_maxbytes", "stdout_logfile_backups", "stdout_capture_maxbytes", "stdout_events_enabled", "stdout_syslog", "stderr_logfile", "stderr_logfile_maxbytes", "stderr_logfile_backups", "environment", "directory", "umask", "serverurl"}
var soakSupervisordOptions = []string{"logfile_maxbytes", "logfile_backups", "loglevel", "umask", "nodaemon", "silent", "minfds", "minprocs", "nocleanup", "identifier", "strip_ansi", "environment", "user", "childlogdir"}

// TestSoakOptions compares $CONF_SOAK random configs built from awkward
// option values with the reference's parser; it takes minutes, so it only
// runs on request: CONF_SOAK=500 go test -run Soak ./conf
func TestSoakOptions(t *testing.T) {
	n := soakCount(t)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	dir := t.TempDir()
	env := append(os.Environ(), testEnv...)
	pick := func() string { return strings.ReplaceAll(soakValues[rng.Intn(len(soakValues))], "$DIR", dir) }
	bad := 0
	for i := 0; i < n; i++ {
		var b strings.Builder
		b.WriteString("[supervisord]\nlogfile=" + dir + "/s.log\npidfile=" + dir + "/s.pid\n")
		for j := rng.Intn(3); j > 0; j-- {
			b.WriteString(soakSupervisordOptions[rng.Intn(len(soakSupervisordOptions))] + "=" + pick() + "\n")
		}
		kinds := []string{"program", "eventlistener", "fcgi-program", "group"}
		for k := rng.Intn(3) + 1; k > 0; k-- {
			kind := kinds[rng.Intn(len(kinds))]
			name := []string{"a", "b", "c"}[rng.Intn(3)]
			fmt.Fprintf(&b, "[%s:%s]\n", kind, name)
			if kind == "group" {
				fmt.Fprintf(&b, "programs=%s\n", []string{"a", "b", "a,b", "c,zz"}[rng.Intn(4)])
				continue
			}
			b.WriteString("command=/bin/true " + pick() + "\n")
			if kind == "eventlistener" {
				b.WriteString("events=" + []string{"TICK_5", "TICK_5,PROCESS_STATE", "bogus"}[rng.Intn(3)] + "\n")
			}
			if kind == "fcgi-program" {
				b.WriteString("socket=" + []string{"tcp://localhost:1", "unix://" + dir + "/s.sock", "unix://rel"}[rng.Intn(3)] + "\n")
			}
			for j := rng.Intn(4); j > 0; j-- {
				b.WriteString(soakProgramOptions[rng.Intn(len(soakProgramOptions))] + "=" + pick() + "\n")
			}
		}
		path := filepath.Join(dir, fmt.Sprintf("c%d.conf", i))
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		bad += soakCompare(t, path, []byte(b.String()), dir, env)
		if bad > 10 {
			t.Fatal("stopping after ten differences")
		}
	}
}

// soakCompare parses one config both ways and reports each difference.
func soakCompare(t *testing.T, path string, data []byte, dir string, env []string) (bad int) {
	t.Helper()
	ours, ourErr := Parse(data, path, env)
	cmd := exec.Command("/usr/bin/python3", "-c", refDumpScript, path)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.Output()
	if err != nil {
		t.Errorf("%s: reference crashed: %v", path, err)
		return 1
	}
	var ref map[string]any
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Errorf("%s: reference output %q: %v", path, out, err)
		return 1
	}
	if msg, refFailed := ref["error"]; refFailed || ourErr != nil {
		var e *Error
		if !refFailed || ourErr == nil {
			t.Errorf("%s: verdicts differ: ours %v, reference %v", path, ourErr, msg)
			return 1
		}
		if errors.As(ourErr, &e) && e.Reference() != msg {
			t.Errorf("%s: messages differ:\n ours %q\n  ref %q", path, e.Reference(), msg)
			return 1
		}
		return 0
	}
	if _, ok := ref["warnings"].([]any); !ok {
		ref["warnings"] = []any{}
	}
	var got map[string]any
	b, _ := json.Marshal(refDump(ours))
	_ = json.Unmarshal(b, &got)
	for _, key := range []string{"supervisord", "groups", "servers", "warnings"} {
		if !reflect.DeepEqual(got[key], ref[key]) {
			g, _ := json.Marshal(got[key])
			r, _ := json.Marshal(ref[key])
			t.Errorf("%s: %s differs\n ours: %s\n  ref: %s", path, key, g, r)
			bad++
		}
	}
	return bad
}

// TestSoakText is TestSoakOptions for random ini text: comments,
// continuations, delimiters and section headers in odd places.
func TestSoakText(t *testing.T) {
	n := soakCount(t)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	dir := t.TempDir()
	env := append(os.Environ(), testEnv...)
	toks := []string{"[supervisord]", "[program:a]", "[program:b]", "[DEFAULT]", "[group:g]", "command", "COMMAND", "autostart", "programs", "priority", "environment", "=", ":", " = ", ";", " ;", "#", " #", " ", "\t", "\n", "\n", "\n", "\n  ", "\n\n", "x", "1", "false", "%(here)s", "%%", "a,b", "\r\n", "\x1c", "]", "[", "/bin/true", "A=1"}
	bad := 0
	for i := 0; i < n; i++ {
		var b strings.Builder
		b.WriteString("[supervisord]\nlogfile=" + dir + "/s.log\npidfile=" + dir + "/s.pid\n")
		for j := rng.Intn(40); j > 0; j-- {
			b.WriteString(toks[rng.Intn(len(toks))])
		}
		path := filepath.Join(dir, fmt.Sprintf("c%d.conf", i))
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		bad += soakCompare(t, path, []byte(b.String()), dir, env)
		if bad > 10 {
			t.Fatal("stopping after ten differences")
		}
	}
}
