package conf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// refDumpScript loads a config with the reference's own option parser and
// prints the parsed values as JSON in the shape refDump builds for ours.
//
// It loads every config named on its stdin, one "name<TAB>dir<TAB>path" a
// line, in a fresh ServerOptions with dir as the working directory, and
// prints one JSON line for each, {"name": ..., "dump": ...}, or with
// "crash" for a traceback: one interpreter for all, as starting Python
// and importing the parser costs far more than a parse.
const refDumpScript = `
import sys, os, json, traceback
from supervisor.options import ServerOptions
from supervisor.datatypes import Automatic, RestartUnconditionally, RestartWhenExitUnexpected
from supervisor.events import getEventNameByType
class Usage(Exception):
    pass
def dump(path):
    o = ServerOptions()
    def usage(msg):
        raise Usage(str(msg))
    o.usage = usage
    try:
        o.realize(args=['-c', path])
    except Usage as e:
        return {"error": str(e)}
    s = o.configroot.supervisord
    def logfile(v):
        if v is Automatic: return "AUTO"
        return v or ""
    def restart(v):
        if v is RestartUnconditionally: return "always"
        if v is RestartWhenExitUnexpected: return "unexpected"
        return "never"
    def proc(p):
        return {"name": p.name, "command": p.command, "directory": p.directory or "",
            "umask": -1 if p.umask is None else p.umask, "priority": p.priority,
            "autostart": p.autostart, "autorestart": restart(p.autorestart),
            "startsecs": p.startsecs, "startretries": p.startretries,
            "uid": -1 if p.uid is None else p.uid,
            "stopsignal": int(p.stopsignal), "stopwaitsecs": p.stopwaitsecs,
            "stopasgroup": p.stopasgroup, "killasgroup": p.killasgroup,
            "exitcodes": p.exitcodes, "redirect_stderr": p.redirect_stderr,
            "environment": dict(p.environment or {}), "serverurl": p.serverurl or "",
            "logs": [[logfile(getattr(p, k + "_logfile")), getattr(p, k + "_logfile_maxbytes"),
                      getattr(p, k + "_logfile_backups"), getattr(p, k + "_capture_maxbytes"),
                      getattr(p, k + "_events_enabled"), getattr(p, k + "_syslog")] for k in ("stdout", "stderr")]}
    groups = []
    for g in o.process_group_configs:
        d = {"name": g.name, "priority": g.priority, "kind": type(g).__name__,
             "processes": [proc(p) for p in g.process_configs]}
        if hasattr(g, "buffer_size"):
            d["buffer_size"] = g.buffer_size
            d["events"] = sorted(getEventNameByType(e) for e in g.pool_events)
        if hasattr(g, "socket_config"):
            d["socket"] = g.socket_config.url
        groups.append(d)
    servers = []
    for c in o.server_configs:
        if "file" in c:
            servers.append({"file": c["file"], "chmod": c["chmod"], "chown": list(c["chown"]),
                            "username": c["username"] or "", "password": c["password"] or ""})
        else:
            servers.append({"host": c["host"], "port": c["port"],
                            "username": c["username"] or "", "password": c["password"] or ""})
    return {"supervisord": {"logfile": o.logfile, "pidfile": o.pidfile,
        "logfile_maxbytes": s.logfile_maxbytes, "logfile_backups": s.logfile_backups,
        "loglevel": s.loglevel, "umask": s.umask, "nodaemon": s.nodaemon, "silent": s.silent,
        "minfds": s.minfds, "minprocs": s.minprocs, "nocleanup": s.nocleanup,
        "childlogdir": s.childlogdir, "user": s.user or "", "directory": s.directory or "",
        "strip_ansi": s.strip_ansi, "identifier": s.identifier, "environment": dict(s.environment)},
        "groups": groups, "servers": servers, "warnings": o.parse_warnings}
for line in sys.stdin:
    name, dir, path = line.rstrip("\n").split("\t")
    os.chdir(dir)
    try:
        out = {"name": name, "dump": dump(path)}
    except Exception:
        out = {"name": name, "crash": traceback.format_exc()}
    print(json.dumps(out, sort_keys=True), flush=True)
`

func refDump(c *Config) map[string]any {
	env := func(e []EnvVar) map[string]any {
		m := map[string]any{}
		for _, kv := range e {
			m[kv.Key] = kv.Value
		}
		return m
	}
	restart := map[AutoRestart]string{RestartAlways: "always", RestartUnexpected: "unexpected", RestartNever: "never"}
	kinds := map[GroupKind]string{KindProgram: "ProcessGroupConfig", KindEventListener: "EventListenerPoolConfig", KindFCGIProgram: "FastCGIGroupConfig"}
	groups := []any{}
	for _, g := range c.Groups {
		procs := []any{}
		for _, p := range g.Processes {
			umask := -1
			if p.HasUmask {
				umask = int(p.Umask)
			}
			var logs []any
			for _, l := range []LogConfig{p.Stdout, p.Stderr} {
				lf := l.Logfile
				if lf == AutoLog {
					lf = "AUTO"
				}
				logs = append(logs, []any{lf, l.MaxBytes, l.Backups, l.CaptureMaxBytes, l.EventsEnabled, l.Syslog})
			}
			exitcodes := []any{}
			for _, x := range p.ExitCodes {
				exitcodes = append(exitcodes, x)
			}
			procs = append(procs, map[string]any{"name": p.Name, "command": p.Command, "directory": p.Directory,
				"umask": umask, "priority": p.Priority, "autostart": p.AutoStart, "autorestart": restart[p.AutoRestart],
				"startsecs": int(p.StartSecs.Seconds()), "startretries": p.StartRetries, "uid": p.UID,
				"stopsignal": int(p.StopSignal), "stopwaitsecs": int(p.StopWaitSecs.Seconds()),
				"stopasgroup": p.StopAsGroup, "killasgroup": p.KillAsGroup, "exitcodes": exitcodes,
				"redirect_stderr": p.RedirectStderr, "environment": env(p.Environment), "serverurl": p.ServerURL, "logs": logs})
		}
		d := map[string]any{"name": g.Name, "priority": g.Priority, "kind": kinds[g.Kind], "processes": procs}
		if g.Kind == KindEventListener {
			ev := append([]string(nil), g.Events...)
			sort.Strings(ev)
			d["buffer_size"], d["events"] = g.BufferSize, ev
		}
		if g.Kind == KindFCGIProgram {
			d["socket"] = g.Socket
		}
		groups = append(groups, d)
	}
	servers := []any{}
	for _, i := range c.InetHTTPServers {
		servers = append(servers, map[string]any{"host": i.Host, "port": i.Port, "username": i.Username, "password": i.Password})
	}
	for _, u := range c.UnixHTTPServers {
		servers = append(servers, map[string]any{"file": u.File, "chmod": int(u.Chmod), "chown": []any{u.ChownUID, u.ChownGID}, "username": u.Username, "password": u.Password})
	}
	s := c.Supervisord
	warnings := []any{}
	own := map[string]bool{}
	for _, w := range c.OwnWarnings {
		own[w.logged()] = true
	}
	for _, w := range c.Warnings {
		if !own[w] {
			warnings = append(warnings, w)
		}
	}
	return map[string]any{"supervisord": map[string]any{"logfile": s.Logfile, "pidfile": s.Pidfile,
		"logfile_maxbytes": s.LogfileMaxBytes, "logfile_backups": s.LogfileBackups, "loglevel": int(s.LogLevel),
		"umask": int(s.Umask), "nodaemon": s.Nodaemon, "silent": s.Silent, "minfds": s.Minfds, "minprocs": s.Minprocs,
		"nocleanup": s.NoCleanup, "childlogdir": s.ChildLogDir, "user": s.User, "directory": s.Directory,
		"strip_ansi": s.StripANSI, "identifier": s.Identifier, "environment": env(s.Environment)},
		"groups": groups, "servers": servers, "warnings": warnings}
}

// TestReferenceValues loads every golden config the reference accepts with
// the reference's own parser and compares each parsed value with ours.
func TestReferenceValues(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import supervisor.options").Run(); err != nil {
		t.Skip("SKIPPING REFERENCE VALUE COMPARISON: the reference's Python package is not importable: ", err)
	}
	type parsed struct {
		c    confCase
		ours *Config
		err  error
	}
	var cases []parsed
	var names strings.Builder
	env := append(os.Environ(), testEnv...)
	for _, c := range readCases(t) {
		if strings.HasPrefix(c.main, "; noref values") {
			continue
		}
		dir, main := c.materialize(t)
		data, _ := os.ReadFile(main)
		ours, err := Parse(data, main, env)
		cases = append(cases, parsed{c, ours, err})
		if err == nil {
			fmt.Fprintf(&names, "%s\t%s\t%s\n", c.name, dir, main)
		}
	}
	cmd := exec.Command(python, "-c", refDumpScript)
	cmd.Env, cmd.Stdin = env, strings.NewReader(names.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reference dump failed: %v\n%s", err, stderr.Bytes())
	}
	refs := map[string]struct {
		Dump  map[string]any
		Crash string
	}{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r struct {
			Name  string
			Dump  map[string]any
			Crash string
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("reference dump %q: %v", line, err)
		}
		refs[r.Name] = struct {
			Dump  map[string]any
			Crash string
		}{r.Dump, r.Crash}
	}
	for _, p := range cases {
		t.Run(p.c.name, func(t *testing.T) {
			if p.err != nil {
				t.Skip("refused configs are compared by TestReferenceVerdicts")
			}
			r, ok := refs[p.c.name]
			switch {
			case !ok:
				t.Fatal("the reference dumped nothing for it")
			case r.Crash != "":
				t.Fatalf("reference dump failed:\n%s", r.Crash)
			}
			ref := r.Dump
			if msg, refFailed := ref["error"]; refFailed {
				t.Fatalf("verdicts differ: ours accepts it, the reference says %v", msg)
			}
			if _, ok := ref["warnings"].([]any); !ok {
				ref["warnings"] = []any{}
			}
			var got map[string]any
			b, _ := json.Marshal(refDump(p.ours))
			_ = json.Unmarshal(b, &got)
			for _, key := range []string{"supervisord", "groups", "servers", "warnings"} {
				if !reflect.DeepEqual(got[key], ref[key]) {
					g, _ := json.MarshalIndent(got[key], "", " ")
					r, _ := json.MarshalIndent(ref[key], "", " ")
					t.Errorf("%s: %s differs\n ours: %s\n  ref: %s", p.c.path, key, g, r)
				}
			}
		})
	}
}
