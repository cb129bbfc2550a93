package conf

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Readers of the lifecycle options (lifecycle.go). The reference has none
// of them; their words follow its converters' where one fits.

// defaultLifecycle is a program's Lifecycle when it sets none of the
// options; the option table takes its defaults from here.
func defaultLifecycle() Lifecycle {
	return Lifecycle{
		ReadyTimeout:   60 * time.Second,
		HealthInterval: 10 * time.Second,
		HealthTimeout:  5 * time.Second,
		HealthRetries:  3,
	}
}

// readLifecycle reads one process's lifecycle options of section, expanded
// with names (so %(process_num)d may pick each instance's port).
func (l *loader) readLifecycle(section string, names expansions, lc *Lifecycle) error {
	def := defaultLifecycle()
	secs := func(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }
	*lc = def
	return l.readOptions(section, names, []option{
		opt("depends_on", "", &lc.DependsOn, parseDependsOn),
		opt("ready", "", &lc.Ready, parseReady),
		opt("ready_timeout", secs(def.ReadyTimeout), &lc.ReadyTimeout, secondsFrom(1)),
		opt("health", "", &lc.Health, parseHealth),
		opt("health_interval", secs(def.HealthInterval), &lc.HealthInterval, secondsFrom(1)),
		opt("health_timeout", secs(def.HealthTimeout), &lc.HealthTimeout, secondsFrom(1)),
		opt("health_retries", strconv.Itoa(def.HealthRetries), &lc.HealthRetries, parseHealthRetries),
		opt("health_action", def.HealthAction.String(), &lc.HealthAction, parseHealthAction),
		opt("watchdog_sec", secs(def.Watchdog), &lc.Watchdog, secondsFrom(0)),
		optCheck("watchdog_sec", func() error {
			if lc.Watchdog > 0 && lc.Ready.Kind != ProbeNotify {
				return errors.New("watchdog_sec needs ready=notify: the watchdog is fed by the program's WATCHDOG=1 notifications")
			}
			return nil
		}),
		opt("backoff", def.Backoff.String(), &lc.Backoff, parseBackoff),
		optIfSet("backoff_max", func(v string) (err error) {
			lc.BackoffMax, err = secondsFrom(1)(v)
			return err
		}),
		opt("backoff_jitter", "0", &lc.BackoffJitter, parseJitter),
		opt("restart_limit", "", &lc.RestartLimit, parseRestartLimit),
	})
}

// maxSeconds is the largest count of seconds a time.Duration holds.
const maxSeconds = math.MaxInt64 / int64(time.Second)

// secondsFrom reads an integer count of seconds of at least lo.
func secondsFrom(lo int) func(string) (time.Duration, error) {
	return func(s string) (time.Duration, error) {
		n, err := parseInt(s)
		switch {
		case err != nil:
			return 0, err
		case n < lo:
			return 0, fmt.Errorf("%d is below lower bound (%d)", n, lo)
		case int64(n) > maxSeconds:
			return 0, fmt.Errorf("%d is above upper bound (%d)", n, maxSeconds)
		}
		return time.Duration(n) * time.Second, nil
	}
}

// parseStartRetries reads startretries: an integer exactly as the
// reference reads it (a negative one included), or "unlimited".
func parseStartRetries(s string) (int, error) {
	if strings.EqualFold(strings.TrimFunc(s, isPySpace), "unlimited") {
		return UnlimitedRetries, nil
	}
	return parseInt(s)
}

func parseHealthRetries(s string) (int, error) {
	n, err := parseInt(s)
	if err == nil && n < 1 {
		return 0, fmt.Errorf("%d is below lower bound (1)", n)
	}
	return n, err
}

// parseWord finds s, case-insensitively and stripped, among the String()
// forms of values.
func parseWord[T fmt.Stringer](what, s string, values ...T) (T, error) {
	w := strings.ToLower(strings.TrimFunc(s, isPySpace))
	forms := make([]string, len(values))
	for i, v := range values {
		if v.String() == w {
			return v, nil
		}
		forms[i] = v.String()
	}
	var zero T
	return zero, fmt.Errorf("invalid %s value %s: expected %s", what, PyRepr(s), orList(forms))
}

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func parseBackoff(s string) (BackoffKind, error) {
	return parseWord("backoff", s, BackoffLinear, BackoffExponential)
}

func parseHealthAction(s string) (HealthAction, error) {
	return parseWord("health_action", s, HealthRestart, HealthStop, HealthNone)
}

var conditions = []Condition{CondStarted, CondRunning, CondHealthy, CondCompleted, CondCompletedOK}

// parseJitter reads backoff_jitter, a fraction from 0 to 1.
func parseJitter(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimFunc(s, isPySpace), 64)
	if err != nil {
		return 0, fmt.Errorf("could not convert string to float: %s", PyRepr(s))
	}
	if !(f >= 0 && f <= 1) {
		return 0, fmt.Errorf("%s is not between 0 and 1", PyRepr(s))
	}
	return f, nil
}

// parseRestartLimit reads restart_limit=N/SECONDS; "" is no limit.
func parseRestartLimit(s string) (RestartLimit, error) {
	t := strings.TrimFunc(s, isPySpace)
	if t == "" {
		return RestartLimit{}, nil
	}
	bad := func(why string) (RestartLimit, error) {
		return RestartLimit{}, fmt.Errorf("invalid restart_limit value %s: %s", PyRepr(s), why)
	}
	count, window, ok := strings.Cut(t, "/")
	if !ok {
		return bad("expected COUNT/SECONDS, as 5/60")
	}
	n, err := strconv.Atoi(strings.TrimFunc(count, isPySpace))
	if err != nil || n < 1 {
		return bad("the count must be a whole number of at least 1")
	}
	w, err := strconv.ParseInt(strings.TrimFunc(window, isPySpace), 10, 64)
	if err != nil || w < 1 || w > maxSeconds {
		return bad("the seconds must be a whole number of at least 1")
	}
	return RestartLimit{Count: n, Window: time.Duration(w) * time.Second}, nil
}

// parseDependsOn reads depends_on: a comma list of NAME[:CONDITION]; ""
// is no dependencies. The names are resolved once every section is read
// (resolveDependencies).
func parseDependsOn(s string) ([]Dependency, error) {
	if strings.TrimFunc(s, isPySpace) == "" {
		return nil, nil
	}
	var deps []Dependency
	for _, entry := range strings.Split(s, ",") {
		d, err := parseDependency(entry)
		if err != nil {
			return nil, err
		}
		deps = append(deps, d)
	}
	return deps, nil
}

// parseDependency reads one depends_on entry. NAME may hold a colon itself
// ("group:name", "group:*"), so the condition is the part after the last
// colon when that part is a condition's name; "g:healthy" is therefore
// group g's healthy condition, and "g:healthy:running" its process healthy.
func parseDependency(entry string) (Dependency, error) {
	e := strings.TrimFunc(entry, isPySpace)
	if e == "" {
		return Dependency{}, errors.New("empty entry in depends_on list")
	}
	d := Dependency{Name: e, Condition: CondRunning}
	if i := strings.LastIndexByte(e, ':'); i >= 0 {
		word := strings.ToLower(strings.TrimFunc(e[i+1:], isPySpace))
		for _, c := range conditions {
			if c.String() == word {
				d.Name, d.Condition = e[:i], c
				break
			}
		}
	}
	parts := strings.Split(d.Name, ":")
	if len(parts) > 2 {
		return Dependency{}, fmt.Errorf("%s: unknown condition %s (expected %s)", PyRepr(e), PyRepr(parts[len(parts)-1]), orList(conditionWords()))
	}
	for i, part := range parts {
		part = strings.TrimFunc(part, isPySpace)
		if part == "" {
			return Dependency{}, fmt.Errorf("%s: expected NAME, GROUP:NAME or GROUP:*, optionally followed by :CONDITION", PyRepr(e))
		}
		if i == 0 || part != "*" {
			if _, err := processName(part); err != nil {
				return Dependency{}, fmt.Errorf("%s: %w", PyRepr(e), err)
			}
		}
		parts[i] = part
	}
	d.Name = strings.Join(parts, ":")
	return d, nil
}

func conditionWords() []string {
	words := make([]string, len(conditions))
	for i, c := range conditions {
		words[i] = c.String()
	}
	return words
}

const (
	readyForms  = "notify, tcp://HOST:PORT, http://HOST[:PORT]/PATH, exec:COMMAND or log:REGEX"
	healthForms = "tcp://HOST:PORT, http://HOST[:PORT]/PATH or exec:COMMAND"
)

// errNotProbe is parseProbe's answer to a value of no probe form.
var errNotProbe = errors.New("not a probe")

// parseReady reads ready=; "" is no readiness check.
func parseReady(s string) (Probe, error) {
	p, err := parseProbe(s)
	if errors.Is(err, errNotProbe) {
		return Probe{}, fmt.Errorf("invalid ready value %s: expected %s", PyRepr(s), readyForms)
	}
	return p, err
}

// parseHealth reads health=, which takes the probes that can be repeated;
// "" is no health check.
func parseHealth(s string) (Probe, error) {
	p, err := parseProbe(s)
	switch {
	case errors.Is(err, errNotProbe):
		return Probe{}, fmt.Errorf("invalid health value %s: expected %s", PyRepr(s), healthForms)
	case err != nil:
		return Probe{}, err
	case p.Kind == ProbeNotify:
		return Probe{}, fmt.Errorf("health=notify is not a health check (a notifying program is watched with watchdog_sec=): expected %s", healthForms)
	case p.Kind == ProbeLog:
		return Probe{}, fmt.Errorf("health=log: is not a health check (output is matched once, not at each interval): expected %s", healthForms)
	}
	return p, nil
}

// parseProbe reads any probe form; "" is ProbeNone. The scheme and keyword
// are matched case-insensitively; Target keeps the rest as written.
func parseProbe(s string) (Probe, error) {
	t := strings.TrimFunc(s, isPySpace)
	cut := func(prefix string) (string, bool) {
		if len(t) >= len(prefix) && strings.EqualFold(t[:len(prefix)], prefix) {
			return t[len(prefix):], true
		}
		return "", false
	}
	if t == "" {
		return Probe{}, nil
	}
	if strings.EqualFold(t, "notify") {
		return Probe{Kind: ProbeNotify}, nil
	}
	if rest, ok := cut("tcp://"); ok {
		host, port, err := net.SplitHostPort(rest)
		if err != nil || host == "" || strings.IndexFunc(host, isPySpace) >= 0 {
			return Probe{}, fmt.Errorf("invalid tcp probe %s: expected tcp://HOST:PORT", PyRepr(s))
		}
		if err := checkPort(port); err != nil {
			return Probe{}, fmt.Errorf("invalid tcp probe %s: %w", PyRepr(s), err)
		}
		return Probe{Kind: ProbeTCP, Target: rest}, nil
	}
	if _, ok := cut("http://"); ok {
		u, err := url.Parse(t)
		if err != nil {
			return Probe{}, fmt.Errorf("invalid http probe %s: %w", PyRepr(s), errors.Unwrap(err))
		}
		if u.Hostname() == "" {
			return Probe{}, fmt.Errorf("invalid http probe %s: no host", PyRepr(s))
		}
		if port := u.Port(); port != "" || strings.HasSuffix(u.Host, ":") {
			if err := checkPort(port); err != nil {
				return Probe{}, fmt.Errorf("invalid http probe %s: %w", PyRepr(s), err)
			}
		}
		return Probe{Kind: ProbeHTTP, Target: t}, nil
	}
	if rest, ok := cut("exec:"); ok {
		argv, err := SplitCommand(rest)
		if err != nil {
			return Probe{}, fmt.Errorf("invalid exec probe %s: %w", PyRepr(s), err)
		}
		if len(argv) == 0 {
			return Probe{}, fmt.Errorf("invalid exec probe %s: no command", PyRepr(s))
		}
		return Probe{Kind: ProbeExec, Target: rest, Argv: argv}, nil
	}
	if rest, ok := cut("log:"); ok {
		if rest == "" {
			return Probe{}, fmt.Errorf("invalid log probe %s: no regular expression", PyRepr(s))
		}
		if _, err := regexp.Compile(rest); err != nil {
			return Probe{}, fmt.Errorf("invalid log probe %s: %w", PyRepr(s), err)
		}
		return Probe{Kind: ProbeLog, Target: rest}, nil
	}
	return Probe{}, errNotProbe
}

// checkPort accepts a decimal TCP port from 1 to 65535.
func checkPort(port string) error {
	if port == "" || len(port) > 5 || strings.Trim(port, "0123456789") != "" {
		return fmt.Errorf("port %s is not a number from 1 to 65535", PyRepr(port))
	}
	if n, _ := strconv.Atoi(port); n < 1 || n > 65535 {
		return fmt.Errorf("port %s is not a number from 1 to 65535", PyRepr(port))
	}
	return nil
}
