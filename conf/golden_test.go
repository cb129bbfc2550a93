package conf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"supervisord/internal/logfmt"
	"supervisord/protocol/selector"
)

var update = flag.Bool("update", false, "rewrite the want part of testdata/*.conftest")

// A .conftest file is the main config, optionally more files each after a
// "---- file: relative/path" line, then "---- want" and the expected dump or
// error. "$DIR" in the input is the directory the config lives in. A first
// line "; noref" keeps the case out of the reference comparison; "; noref
// values" keeps it out of the comparison of parsed values as well, for a
// config that uses this project's extensions the reference refuses.
type confCase struct {
	name  string
	path  string
	main  string
	files map[string]string
	want  string
}

func readCases(t *testing.T) []confCase {
	t.Helper()
	paths, err := filepath.Glob("testdata/*.conftest")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	var cases []confCase
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		in, want, ok := strings.Cut(text, "---- want\n")
		if !ok {
			t.Fatalf("%s: no '---- want' line", p)
		}
		c := confCase{name: strings.TrimSuffix(filepath.Base(p), ".conftest"), path: p, want: want, files: map[string]string{}}
		parts := strings.Split(in, "---- file: ")
		c.main = parts[0]
		for _, part := range parts[1:] {
			name, body, _ := strings.Cut(part, "\n")
			c.files[name] = body
		}
		cases = append(cases, c)
	}
	return cases
}

// materialize writes a case's files into a fresh directory.
func (c confCase) materialize(t *testing.T) (dir, main string) {
	t.Helper()
	dir = t.TempDir()
	for name, body := range c.files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(body, "$DIR", dir)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	main = filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(main, []byte(strings.ReplaceAll(c.main, "$DIR", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, main
}

var testEnv = []string{"HOME=/home/tester", "FOO=foo-value", "EMPTY="}

func TestGolden(t *testing.T) {
	for _, c := range readCases(t) {
		t.Run(c.name, func(t *testing.T) {
			dir, main := c.materialize(t)
			data, _ := os.ReadFile(main)
			cfg, err := Parse(data, main, testEnv)
			got := render(cfg, err, dir)
			if *update {
				in, _, _ := strings.Cut(mustRead(t, c.path), "---- want\n")
				if err := os.WriteFile(c.path, []byte(in+"---- want\n"+got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != c.want {
				t.Errorf("%s: got\n%s\nwant\n%s", c.path, got, c.want)
			}
		})
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// render prints a parse result with machine-specific paths replaced.
func render(cfg *Config, err error, dir string) string {
	var b strings.Builder
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return "non-*Error error: " + err.Error() + "\n"
		}
		fmt.Fprintf(&b, "error: %s\nreference: %s\n", e.Error(), e.Reference())
	} else {
		dump(&b, cfg)
	}
	out := b.String()
	if strings.Contains(out, dir) {
		// Offsets into expanded text move with the temporary directory's
		// length; show them relative to it.
		out = atIndex.ReplaceAllStringFunc(out, func(m string) string {
			n, _ := strconv.Atoi(m[len("at index "):])
			return fmt.Sprintf("at index len($DIR)+%d", n-len(dir))
		})
	}
	cwd, _ := os.Getwd()
	host, _ := os.Hostname()
	out = strings.ReplaceAll(out, dir, "$DIR")
	out = strings.ReplaceAll(out, cwd, "$CWD")
	out = strings.ReplaceAll(out, os.TempDir()+"\n", "$TMP\n")
	if host != "" {
		out = strings.ReplaceAll(out, host, "$HOST")
	}
	return out
}

var atIndex = regexp.MustCompile(`at index \d+`)

func dump(b *strings.Builder, c *Config) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	p("files: %q", c.Files[1:])
	p("include globs: %q", c.IncludeGlobs)
	for _, w := range c.Warnings {
		p("warning: %s", w)
	}
	s := c.Supervisord
	p("[supervisord] logfile=%s maxbytes=%d backups=%d level=%s pidfile=%s umask=%o nodaemon=%t silent=%t",
		s.Logfile, s.LogfileMaxBytes, s.LogfileBackups, s.LogLevel, s.Pidfile, s.Umask, s.Nodaemon, s.Silent)
	p("  minfds=%d minprocs=%d nocleanup=%t childlogdir=%s user=%q uid=%d gid=%d directory=%q strip_ansi=%t identifier=%q autoreload=%t env=%v",
		s.Minfds, s.Minprocs, s.NoCleanup, s.ChildLogDir, s.User, s.UID, s.GID, s.Directory, s.StripANSI, s.Identifier, s.AutoReload, s.Environment)
	if s.ExitWhenAllDone {
		p("  exit_when_all_done=true")
	}
	if s.LogFormat != LogText {
		p("  logformat=%s", s.LogFormat)
	}
	if s.EventHistory != DefaultEventHistory {
		p("  event_history=%d", s.EventHistory)
	}
	if s.StateFile != filepath.Join(filepath.Dir(s.Pidfile), DefaultStateFile) {
		p("  statefile=%s", s.StateFile)
	}
	for _, u := range c.UnixHTTPServers {
		p("[unix_http_server %q] file=%s chmod=%o chown=%d:%d auth=%q:%q", u.Name, u.File, u.Chmod, u.ChownUID, u.ChownGID, u.Username, u.Password)
		for _, pr := range u.PeerRoles {
			p("  peer uid=%d role=%s", pr.UID, pr.Role)
		}
	}
	for _, i := range c.InetHTTPServers {
		p("[inet_http_server %q] host=%q port=%d auth=%q:%q", i.Name, i.Host, i.Port, i.Username, i.Password)
		if i.CertFile != "" {
			p("  certfile=%s keyfile=%s client_ca=%q", i.CertFile, i.KeyFile, i.ClientCA)
		}
	}
	for _, u := range c.Users {
		p("[user:%s] role=%s password=%q", u.Name, u.Role, u.Password)
	}
	if f := c.Fleet; f != nil {
		p("[fleet] name=%q labels=%q listen=%s gossip=%s seeds=%q timeout=%s", f.Name, selector.FormatLabels(f.Labels), f.Listen, f.Gossip, f.Seeds, f.Timeout)
		p("  ca=%s cert=%s key=%s gossip_key_file=%q", f.CA, f.Cert, f.Key, f.GossipKeyFile)
	}
	ctl := c.Supervisorctl
	p("[supervisorctl] serverurl=%s prompt=%q auth=%q:%q history=%q", ctl.ServerURL, ctl.Prompt, ctl.Username, ctl.Password, ctl.HistoryFile)
	for _, r := range c.RPCInterfaces {
		keys := make([]string, 0, len(r.Options))
		for k := range r.Options {
			keys = append(keys, k+"="+r.Options[k])
		}
		sort.Strings(keys)
		p("[rpcinterface:%s] %s %q", r.Name, r.Factory, keys)
	}
	for _, g := range c.Groups {
		p("group %q kind=%d priority=%d", g.Name, g.Kind, g.Priority)
		if g.Kind == KindEventListener {
			p("  buffer_size=%d events=%v result_handler=%s", g.BufferSize, g.Events, g.ResultHandler)
		}
		if g.Kind == KindFCGIProgram {
			p("  socket=%s backlog=%d owner=%q (%d:%d) mode=%o", g.Socket, g.SocketBacklog, g.SocketOwner, g.SocketOwnerUID, g.SocketOwnerGID, g.SocketMode)
		}
		for _, pr := range g.Processes {
			p("  process %q group=%q program=%q priority=%d", pr.Name, pr.Group, pr.Program, pr.Priority)
			p("    command=%q argv=%q", pr.Command, pr.Argv)
			p("    directory=%q umask=%o/%t user=%q uid=%d gid=%d", pr.Directory, pr.Umask, pr.HasUmask, pr.User, pr.UID, pr.GID)
			p("    autostart=%t autorestart=%d startsecs=%s startretries=%d exitcodes=%v", pr.AutoStart, pr.AutoRestart, pr.StartSecs, pr.StartRetries, pr.ExitCodes)
			p("    stopsignal=%d stopwaitsecs=%s stopasgroup=%t killasgroup=%t redirect_stderr=%t serverurl=%q", int(pr.StopSignal), pr.StopWaitSecs, pr.StopAsGroup, pr.KillAsGroup, pr.RedirectStderr, pr.ServerURL)
			for _, lc := range []struct {
				n string
				l LogConfig
			}{{"stdout", pr.Stdout}, {"stderr", pr.Stderr}} {
				lf := lc.l.Logfile
				if lf == AutoLog {
					lf = "AUTO"
				}
				p("    %s: logfile=%q maxbytes=%d backups=%d capture=%d events=%t syslog=%t", lc.n, lf, lc.l.MaxBytes, lc.l.Backups, lc.l.CaptureMaxBytes, lc.l.EventsEnabled, lc.l.Syslog)
				if lc.l.Rotate != RotateSize || lc.l.Compress != CompressNone {
					p("    %s: rotate=%s compress=%s", lc.n, lc.l.Rotate, lc.l.Compress)
				}
				if lc.l.Format != logfmt.Raw || lc.l.Prefix || lc.l.SyslogTag != "" {
					p("      log_format=%s log_prefix=%t syslog_tag=%q", lc.l.Format, lc.l.Prefix, lc.l.SyslogTag)
				}
			}
			p("    environment=%q", pr.Environment)
			if pr.SyslogFacility != FacilityUser {
				p("    syslog_facility=%s", pr.SyslogFacility)
			}
			if pr.Essential {
				p("    essential=true")
			}
			if pr.EnvFiles != nil {
				p("    environment_file=%q", pr.EnvFiles)
			}
			for _, rl := range pr.Rlimits {
				p("    %s=%s", RlimitName(rl.Resource), rl)
			}
			if sc := pr.Schedule; sc != nil {
				p("    schedule=%q timezone=%q location=%s overlap=%s catchup=%t", sc.Spec, sc.TimeZone, sc.Location, sc.Overlap, sc.Catchup)
			}
			if lc := pr.Lifecycle; !lc.equal(defaultLifecycle()) {
				for _, d := range lc.DependsOn {
					p("    depends_on %s -> %v", d, d.Targets)
				}
				p("    ready=%q argv=%q ready_timeout=%s", lc.Ready, lc.Ready.Argv, lc.ReadyTimeout)
				p("    health=%q argv=%q interval=%s timeout=%s retries=%d action=%s watchdog=%s",
					lc.Health, lc.Health.Argv, lc.HealthInterval, lc.HealthTimeout, lc.HealthRetries, lc.HealthAction, lc.Watchdog)
				p("    backoff=%s max=%s jitter=%g restart_limit=%q", lc.Backoff, lc.BackoffMax, lc.BackoffJitter, lc.RestartLimit)
			}
		}
	}
}

// TestReferenceVerdicts runs the real supervisord on every golden config and
// checks it accepts exactly the configs we accept.
func TestReferenceVerdicts(t *testing.T) {
	const ref = "/usr/bin/supervisord"
	if _, err := os.Stat(ref); err != nil {
		t.Skip("SKIPPING REFERENCE COMPARISON: " + ref + " is not installed")
	}
	type parsed struct {
		c   confCase
		err error
	}
	var cases []parsed
	var names strings.Builder
	for _, c := range readCases(t) {
		if strings.HasPrefix(c.main, "; noref") {
			continue
		}
		dir, main := c.materialize(t)
		data, _ := os.ReadFile(main)
		_, err := Parse(data, main, append(os.Environ(), testEnv...))
		cases = append(cases, parsed{c, err})
		fmt.Fprintf(&names, "%s\t%s\t%s\n", c.name, dir, main)
	}
	verdicts := runReference(t, ref, names.String())
	for _, p := range cases {
		t.Run(p.c.name, func(t *testing.T) {
			v, ok := verdicts[p.c.name]
			if !ok {
				t.Fatal("the reference was not run on it")
			}
			if (p.err == nil) != (v.err == "") {
				t.Errorf("%s: we say %v; reference says %q (output %q)", p.c.path, p.err, v.err, v.output)
			}
			var e *Error
			if errors.As(p.err, &e) && v.err != "" && e.Reference() != v.err {
				t.Errorf("%s: message differs\n ours: %q\n  ref: %q", p.c.path, e.Reference(), v.err)
			}
		})
	}
}

// refStartScript runs the reference's supervisord in the foreground on
// each config named on its stdin, one "name<TAB>dir<TAB>path" a line, in
// turn: its own main, in a child forked from one interpreter that imported
// it once (starting Python costs far more than the start itself), in dir,
// with its output in a file. The child is killed with its process group
// once it logs that it started or writes a pidfile (the golden configs
// start nothing, so that leaves nothing behind and skips its one-second
// signal latency), or after 8 s. One JSON line a config tells how it went.
const refStartScript = `
import sys, os, glob, json, signal, time
from supervisor import supervisord
for line in sys.stdin:
    name, dir, path = line.rstrip("\n").split("\t")
    out = os.path.join(dir, "reference.out")
    open(out, "w").close()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setpgid(0, 0)
            os.chdir(dir)
            null = os.open(os.devnull, os.O_RDONLY)
            fd = os.open(out, os.O_WRONLY | os.O_APPEND)
            os.dup2(null, 0)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            sys.argv = [sys.argv[1], "-n", "-c", path]
            code = supervisord.main()
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code or 0)
    deadline = time.monotonic() + 8
    verdict = "timed out"
    while time.monotonic() < deadline:
        if os.waitpid(pid, os.WNOHANG)[0]:
            verdict = "exited"
            break
        with open(out) as f:
            started = "supervisord started with pid" in f.read()
        if started or glob.glob(os.path.join(dir, "*.pid")):
            verdict = "started"
            break
        time.sleep(0.005)
    if verdict != "exited":
        os.killpg(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    with open(out) as f:
        print(json.dumps({"name": name, "verdict": verdict, "output": f.read()}), flush=True)
`

// refVerdict is how the reference took a config: err is its error
// message, "" when it started.
type refVerdict struct {
	err, output string
}

// runReference runs refStartScript on the configs in names and returns
// the reference's verdict on each, by name.
func runReference(t *testing.T, ref, names string) map[string]refVerdict {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", "-c", refStartScript, ref)
	cmd.Env = append(os.Environ(), testEnv...)
	cmd.Stdin = strings.NewReader(names)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running the reference: %v\n%s", err, stderr.Bytes())
	}
	verdicts := map[string]refVerdict{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r struct{ Name, Verdict, Output string }
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("running the reference: %q: %v", line, err)
		}
		v := refVerdict{output: r.Output}
		switch r.Verdict {
		case "exited":
			v.err = "exited without starting"
			if i := strings.Index(r.Output, "Error: "); i >= 0 {
				v.err, _, _ = strings.Cut(r.Output[i+len("Error: "):], "\nFor help, use")
			}
		case "timed out":
			v.err = "timed out"
		}
		verdicts[r.Name] = v
	}
	return verdicts
}
