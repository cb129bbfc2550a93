package conf

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Equal reports whether a reread group g may keep running unchanged in
// place of o, comparing like the reference's config equality: name,
// priority and processes always; socket for fcgi-programs; buffer size,
// events and result handler for eventlisteners. As in the reference, a plain
// program group also equals an fcgi-program group with the same processes.
func (g *Group) Equal(o *Group) bool {
	if g == nil || o == nil {
		return g == o
	}
	switch g.Kind {
	case KindProgram:
		if o.Kind == KindEventListener {
			return false
		}
	case KindFCGIProgram:
		if o.Kind != KindFCGIProgram || g.Socket != o.Socket {
			return false
		}
	case KindEventListener:
		if o.Kind != KindEventListener || g.BufferSize != o.BufferSize ||
			g.ResultHandler != o.ResultHandler || !sameSet(g.Events, o.Events) {
			return false
		}
	}
	return g.Name == o.Name && g.Priority == o.Priority &&
		slices.EqualFunc(g.Processes, o.Processes, (*Process).Equal)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// Equal compares the settings the reference compares, and the lifecycle,
// environment_file and rlimit options it lacks; a logfile that is AUTO on
// either side is not compared, as in the reference.
func (p *Process) Equal(o *Process) bool { return len(p.Differences(o)) == 0 }

// Differences are the options whose settings differ between p and o, by
// their names in the config (a log's as stdout_logfile and its kin, the
// lifecycle's each by its own), in the order of this list: what Equal
// compares.
func (p *Process) Differences(o *Process) []string {
	logEq := func(a, b LogConfig) bool {
		if a.Logfile != AutoLog && b.Logfile != AutoLog && a.Logfile != b.Logfile {
			return false
		}
		a.Logfile, b.Logfile = "", ""
		return a == b
	}
	envEq := func(a, b []EnvVar) bool {
		if len(a) != len(b) {
			return false
		}
		m := map[string]string{}
		for _, kv := range a {
			m[kv.Key] = kv.Value
		}
		for _, kv := range b {
			if v, ok := m[kv.Key]; !ok || v != kv.Value {
				return false
			}
		}
		return true
	}
	umask := func(q *Process) int {
		if !q.HasUmask {
			return -1
		}
		return int(q.Umask)
	}
	depEq := func(x, y Dependency) bool {
		return x.Name == y.Name && x.Condition == y.Condition && slices.Equal(x.Targets, y.Targets)
	}
	probeEq := func(x, y Probe) bool {
		return x.Kind == y.Kind && x.Target == y.Target && slices.Equal(x.Argv, y.Argv)
	}
	a, b := p.Lifecycle, o.Lifecycle
	var out []string
	for _, c := range []struct {
		option string
		same   bool
	}{
		{"process_name", p.Name == o.Name},
		{"user", p.UID == o.UID},
		{"command", p.Command == o.Command},
		{"directory", p.Directory == o.Directory},
		{"umask", umask(p) == umask(o)},
		{"priority", p.Priority == o.Priority},
		{"autostart", p.AutoStart == o.AutoStart},
		{"autorestart", p.AutoRestart == o.AutoRestart},
		{"startsecs", p.StartSecs == o.StartSecs},
		{"startretries", p.StartRetries == o.StartRetries},
		{"stdout_logfile (or its other stdout_ options)", logEq(p.Stdout, o.Stdout)},
		{"stderr_logfile (or its other stderr_ options)", logEq(p.Stderr, o.Stderr)},
		{"stopsignal", p.StopSignal == o.StopSignal},
		{"stopwaitsecs", p.StopWaitSecs == o.StopWaitSecs},
		{"stopasgroup", p.StopAsGroup == o.StopAsGroup},
		{"killasgroup", p.KillAsGroup == o.KillAsGroup},
		{"keep_on_daemon_death", p.KeepOnDaemonDeath == o.KeepOnDaemonDeath},
		{"exitcodes", slices.Equal(p.ExitCodes, o.ExitCodes)},
		{"redirect_stderr", p.RedirectStderr == o.RedirectStderr},
		{"environment", envEq(p.Environment, o.Environment)},
		{"serverurl", p.ServerURL == o.ServerURL},
		{"environment_file", slices.Equal(p.EnvFiles, o.EnvFiles)},
		{"rlimit_*", slices.Equal(p.Rlimits, o.Rlimits)},
		// Dependencies by name, condition and the processes they resolved
		// to, so a dependency group that gains or loses a process changes
		// its dependents too.
		{"depends_on", slices.EqualFunc(a.DependsOn, b.DependsOn, depEq)},
		{"ready", probeEq(a.Ready, b.Ready)},
		{"ready_timeout", a.ReadyTimeout == b.ReadyTimeout},
		{"health", probeEq(a.Health, b.Health)},
		{"health_interval", a.HealthInterval == b.HealthInterval},
		{"health_timeout", a.HealthTimeout == b.HealthTimeout},
		{"health_retries", a.HealthRetries == b.HealthRetries},
		{"health_action", a.HealthAction == b.HealthAction},
		{"watchdog_sec", a.Watchdog == b.Watchdog},
		{"backoff", a.Backoff == b.Backoff},
		{"backoff_max", a.BackoffMax == b.BackoffMax},
		{"backoff_jitter", a.BackoffJitter == b.BackoffJitter},
		{"restart_limit", a.RestartLimit == b.RestartLimit},
		{"essential", p.Essential == o.Essential},
		{"syslog_facility", p.SyslogFacility == o.SyslogFacility},
		{"schedule (or its other schedule_ options)", p.Schedule.Equal(o.Schedule)},
	} {
		if !c.same {
			out = append(out, c.option)
		}
	}
	return out
}

// Reshapable reports whether a running group old may become new by
// replacing, adding and removing processes alone, leaving the others
// running: both must be plain program groups of the same priority. A pool's
// buffer and subscriptions and an fcgi group's socket belong to the whole
// group, which is restarted as the reference always does.
func Reshapable(old, new *Group) bool {
	return old != nil && new != nil && old.Name == new.Name && old.Kind == KindProgram &&
		new.Kind == KindProgram && old.Priority == new.Priority
}

// DiffProcesses names the processes of group config new that old lacks
// (added), those whose settings differ (changed), both in new's order, and
// old's processes new lacks (removed), in old's order.
func DiffProcesses(old, new *Group) (added, changed, removed []string) {
	was := map[string]*Process{}
	for _, p := range old.Processes {
		was[p.Name] = p
	}
	is := map[string]bool{}
	for _, p := range new.Processes {
		is[p.Name] = true
		if o, ok := was[p.Name]; !ok {
			added = append(added, p.Name)
		} else if !p.Equal(o) {
			changed = append(changed, p.Name)
		}
	}
	for _, p := range old.Processes {
		if !is[p.Name] {
			removed = append(removed, p.Name)
		}
	}
	return added, changed, removed
}

// Diff names the groups reread reports between the running config old and
// the freshly read new: added and changed in new's order, removed in old's.
func Diff(old, new *Config) (added, changed, removed []string) {
	byName := func(c *Config) map[string]*Group {
		m := map[string]*Group{}
		if c != nil {
			for _, g := range c.Groups {
				m[g.Name] = g
			}
		}
		return m
	}
	oldG, newG := byName(old), byName(new)
	if new != nil {
		for _, g := range new.Groups {
			if o, ok := oldG[g.Name]; !ok {
				added = append(added, g.Name)
			} else if !g.Equal(o) {
				changed = append(changed, g.Name)
			}
		}
	}
	if old != nil {
		for _, g := range old.Groups {
			if _, ok := newG[g.Name]; !ok {
				removed = append(removed, g.Name)
			}
		}
	}
	return added, changed, removed
}

// Search finds the config file the reference would use without -c: next to
// the executable (../etc/supervisord.conf, ../supervisord.conf), then in the
// working directory (supervisord.conf, etc/supervisord.conf), then
// /etc/supervisord.conf and /etc/supervisor/supervisord.conf.
func Search() (string, error) {
	// The reference starts from its script's path as the kernel passed it,
	// symlinks unresolved; for a bare name that is the $PATH entry.
	exe := os.Args[0]
	if !strings.Contains(exe, "/") {
		if p, err := exec.LookPath(exe); err == nil {
			exe = p
		}
	}
	return search(searchPaths(exe))
}

func searchPaths(exe string) []string {
	// Like the reference, "here" is the directory above the one holding
	// the program (the prefix of .../bin/supervisord).
	here := filepath.Dir(filepath.Dir(exe))
	return []string{
		filepath.Join(here, "etc", "supervisord.conf"),
		filepath.Join(here, "supervisord.conf"),
		"supervisord.conf",
		"etc/supervisord.conf",
		"/etc/supervisord.conf",
		"/etc/supervisor/supervisord.conf",
	}
}

func search(paths []string) (string, error) {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", &Error{Msg: "No config file found at default paths (" + strings.Join(paths, ", ") +
		"); use the -c option to specify a config file at a different path"}
}

// equal compares every lifecycle option, as Differences does.
func (a Lifecycle) equal(b Lifecycle) bool {
	return len((&Process{Lifecycle: a}).Differences(&Process{Lifecycle: b})) == 0
}
