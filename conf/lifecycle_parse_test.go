package conf

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// checkParse compares one parse with its table row: wantErr "" expects
// success and want, otherwise an error containing wantErr.
func checkParse[T any](t *testing.T, fn string, in string, got T, err error, want T, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%s(%q) = %+v, %v; want an error containing %q", fn, in, got, err, wantErr)
		}
		return
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("%s(%q) = %+v, %v; want %+v", fn, in, got, err, want)
	}
}

func TestParseProbe(t *testing.T) {
	tests := []struct {
		in      string
		want    Probe
		wantErr string
	}{
		{"", Probe{}, ""},
		{"notify", Probe{Kind: ProbeNotify}, ""},
		{" NOTIFY ", Probe{Kind: ProbeNotify}, ""},
		{"tcp://localhost:5432", Probe{Kind: ProbeTCP, Target: "localhost:5432"}, ""},
		{"TCP://10.0.0.1:1", Probe{Kind: ProbeTCP, Target: "10.0.0.1:1"}, ""},
		{"tcp://[::1]:65535", Probe{Kind: ProbeTCP, Target: "[::1]:65535"}, ""},
		{"tcp://localhost", Probe{}, "expected tcp://HOST:PORT"},
		{"tcp://:80", Probe{}, "expected tcp://HOST:PORT"},
		{"tcp://localhost:0", Probe{}, "port '0' is not a number from 1 to 65535"},
		{"tcp://localhost:65536", Probe{}, "port '65536' is not a number from 1 to 65535"},
		{"tcp://localhost:http", Probe{}, "port 'http' is not a number"},
		{"tcp://localhost:+80", Probe{}, "port '+80' is not a number"},
		{"tcp://localhost:80/x", Probe{}, "is not a number"},
		{"http://localhost/health", Probe{Kind: ProbeHTTP, Target: "http://localhost/health"}, ""},
		{"http://localhost:8080/a?b=c", Probe{Kind: ProbeHTTP, Target: "http://localhost:8080/a?b=c"}, ""},
		{"http://[::1]:80", Probe{Kind: ProbeHTTP, Target: "http://[::1]:80"}, ""},
		{"http://localhost:0/", Probe{}, "port '0' is not a number"},
		{"http://localhost:/", Probe{}, "port '' is not a number"},
		{"http:///x", Probe{}, "no host"},
		{"http://h:99999/", Probe{}, "port '99999'"},
		{"http://h:x/", Probe{}, "invalid http probe 'http://h:x/': invalid port"},
		{"exec:/bin/check --fast", Probe{Kind: ProbeExec, Target: "/bin/check --fast", Argv: []string{"/bin/check", "--fast"}}, ""},
		{`exec:sh -c "a b"`, Probe{Kind: ProbeExec, Target: `sh -c "a b"`, Argv: []string{"sh", "-c", "a b"}}, ""},
		{"exec:", Probe{}, "no command"},
		{"exec:   ", Probe{}, "no command"},
		{`exec:sh -c 'x`, Probe{}, "No closing quotation"},
		{"log:^ready$", Probe{Kind: ProbeLog, Target: "^ready$"}, ""},
		{"log:", Probe{}, "no regular expression"},
		{"log:a(", Probe{}, "missing closing )"},
		{"https://localhost/", Probe{}, "not a probe"},
		{"ftp://x:1", Probe{}, "not a probe"},
		{"notify me", Probe{}, "not a probe"},
	}
	for _, tt := range tests {
		got, err := parseProbe(tt.in)
		checkParse(t, "parseProbe", tt.in, got, err, tt.want, tt.wantErr)
	}
}

func TestParseReadyAndHealth(t *testing.T) {
	tests := []struct {
		in               string
		readyErr, health string
	}{
		{"notify", "", "health=notify is not a health check"},
		{"log:up", "", "health=log: is not a health check"},
		{"tcp://h:1", "", ""},
		{"http://h/", "", ""},
		{"exec:true", "", ""},
		{"https://h/", "expected notify, tcp://HOST:PORT, http://HOST[:PORT]/PATH, exec:COMMAND or log:REGEX",
			"expected tcp://HOST:PORT, http://HOST[:PORT]/PATH or exec:COMMAND"},
		{"tcp://h", "invalid tcp probe", "invalid tcp probe"},
	}
	for _, tt := range tests {
		want, _ := parseProbe(tt.in)
		got, err := parseReady(tt.in)
		checkParse(t, "parseReady", tt.in, got, err, want, tt.readyErr)
		got, err = parseHealth(tt.in)
		checkParse(t, "parseHealth", tt.in, got, err, want, tt.health)
	}
}

func TestParseDependsOn(t *testing.T) {
	dep := func(name string, c Condition) Dependency { return Dependency{Name: name, Condition: c} }
	tests := []struct {
		in      string
		want    []Dependency
		wantErr string
	}{
		{"", nil, ""},
		{"  ", nil, ""},
		{"db", []Dependency{dep("db", CondRunning)}, ""},
		{"db:healthy", []Dependency{dep("db", CondHealthy)}, ""},
		{" db : Healthy , cache:started", []Dependency{dep("db", CondHealthy), dep("cache", CondStarted)}, ""},
		{"g:web", []Dependency{dep("g:web", CondRunning)}, ""},
		{"g:web:completed_ok", []Dependency{dep("g:web", CondCompletedOK)}, ""},
		{"g:*", []Dependency{dep("g:*", CondRunning)}, ""},
		{"g:*:completed", []Dependency{dep("g:*", CondCompleted)}, ""},
		// The last part is the condition when it names one.
		{"g:healthy", []Dependency{dep("g", CondHealthy)}, ""},
		{"g:healthy:running", []Dependency{dep("g:healthy", CondRunning)}, ""},
		{"running", []Dependency{dep("running", CondRunning)}, ""},
		{"a,,b", nil, "empty entry in depends_on list"},
		{"a,", nil, "empty entry in depends_on list"},
		{"a:b:c", nil, "'a:b:c': unknown condition 'c' (expected started, running, healthy, completed or completed_ok)"},
		{"a:b:c:running", nil, "unknown condition"},
		{"g:", nil, "expected NAME, GROUP:NAME or GROUP:*"},
		{":running", nil, "expected NAME"},
		{"g::healthy", nil, "expected NAME"},
		{"a b", nil, "Invalid name: 'a b' because of character: ' '"},
		{"a/b", nil, "because of character: '/'"},
		{"*:a", []Dependency{dep("*:a", CondRunning)}, ""}, // no such group; resolution refuses it
	}
	for _, tt := range tests {
		got, err := parseDependsOn(tt.in)
		checkParse(t, "parseDependsOn", tt.in, got, err, tt.want, tt.wantErr)
	}
}

func TestParseRestartLimit(t *testing.T) {
	tests := []struct {
		in      string
		want    RestartLimit
		wantErr string
	}{
		{"", RestartLimit{}, ""},
		{"5/60", RestartLimit{Count: 5, Window: time.Minute}, ""},
		{" 1 / 1 ", RestartLimit{Count: 1, Window: time.Second}, ""},
		{"5", RestartLimit{}, "expected COUNT/SECONDS"},
		{"0/60", RestartLimit{}, "the count must be a whole number of at least 1"},
		{"-1/60", RestartLimit{}, "the count must"},
		{"5/0", RestartLimit{}, "the seconds must be a whole number of at least 1"},
		{"5/1.5", RestartLimit{}, "the seconds must"},
		{"5/60/2", RestartLimit{}, "the seconds must"},
		{"x/60", RestartLimit{}, "the count must"},
		{"5/99999999999", RestartLimit{}, "the seconds must"},
		{"5/9223372036", RestartLimit{Count: 5, Window: 9223372036 * time.Second}, ""},
	}
	for _, tt := range tests {
		got, err := parseRestartLimit(tt.in)
		checkParse(t, "parseRestartLimit", tt.in, got, err, tt.want, tt.wantErr)
	}
}

func TestParseJitter(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr string
	}{
		{"0", 0, ""},
		{"1", 1, ""},
		{" 0.25 ", 0.25, ""},
		{"1e-1", 0.1, ""},
		{"1.0001", 0, "'1.0001' is not between 0 and 1"},
		{"-0.1", 0, "is not between 0 and 1"},
		{"NaN", 0, "is not between 0 and 1"},
		{"inf", 0, "is not between 0 and 1"},
		{"", 0, "could not convert string to float: ''"},
		{"half", 0, "could not convert string to float: 'half'"},
	}
	for _, tt := range tests {
		got, err := parseJitter(tt.in)
		checkParse(t, "parseJitter", tt.in, got, err, tt.want, tt.wantErr)
	}
}

func TestParseLifecycleWords(t *testing.T) {
	retries := []struct {
		in      string
		want    int
		wantErr string
	}{
		{"3", 3, ""},
		{"unlimited", UnlimitedRetries, ""},
		{" Unlimited ", UnlimitedRetries, ""},
		// Plain integers read as the reference reads them, negative ones
		// included.
		{"-2", -2, ""},
		{"1_0", 10, ""},
		{"forever", 0, "invalid literal for int() with base 10: 'forever'"},
	}
	for _, tt := range retries {
		got, err := parseStartRetries(tt.in)
		checkParse(t, "parseStartRetries", tt.in, got, err, tt.want, tt.wantErr)
	}
	for _, tt := range []struct {
		in      string
		want    BackoffKind
		wantErr string
	}{
		{"linear", BackoffLinear, ""},
		{"Exponential", BackoffExponential, ""},
		{"fibonacci", 0, "invalid backoff value 'fibonacci': expected linear or exponential"},
	} {
		got, err := parseBackoff(tt.in)
		checkParse(t, "parseBackoff", tt.in, got, err, tt.want, tt.wantErr)
	}
	for _, tt := range []struct {
		in      string
		want    HealthAction
		wantErr string
	}{
		{"restart", HealthRestart, ""},
		{"STOP", HealthStop, ""},
		{"none", HealthNone, ""},
		{"kill", 0, "invalid health_action value 'kill': expected restart, stop or none"},
	} {
		got, err := parseHealthAction(tt.in)
		checkParse(t, "parseHealthAction", tt.in, got, err, tt.want, tt.wantErr)
	}
	for _, tt := range []struct {
		in      string
		lo      int
		want    time.Duration
		wantErr string
	}{
		{"60", 1, time.Minute, ""},
		{"0", 0, 0, ""},
		{"0", 1, 0, "0 is below lower bound (1)"},
		{"-1", 0, 0, "-1 is below lower bound (0)"},
		{"9223372037", 1, 0, "is above upper bound"},
		{"x", 1, 0, "invalid literal for int()"},
	} {
		got, err := secondsFrom(tt.lo)(tt.in)
		checkParse(t, "secondsFrom", tt.in, got, err, tt.want, tt.wantErr)
	}
	if _, err := parseHealthRetries("0"); err == nil || err.Error() != "0 is below lower bound (1)" {
		t.Errorf("parseHealthRetries(0) error = %v", err)
	}
}

// FuzzLifecycleValues feeds one string to every lifecycle value reader:
// none may panic, and what one accepts must read back the same from its
// written form.
func FuzzLifecycleValues(f *testing.F) {
	for _, s := range []string{"", "notify", "tcp://h:1", "http://[::1]:80/x?y", "exec:sh -c 'a b'", "log:^a+$",
		"db:healthy, g:*:completed", "g:healthy:running", "a,,b", "5/60", " 1 / 1 ", "0.5", "1e-3", "NaN",
		"unlimited", "-1", "exec:\"", "tcp://[::1]:0", "http://h:/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := parseProbe(s); err == nil {
			back, err := parseProbe(p.String())
			if err != nil || !reflect.DeepEqual(back, p) {
				t.Fatalf("probe %q read as %+v; its form %q reads as %+v, %v", s, p, p.String(), back, err)
			}
			if (p.Kind == ProbeExec) != (len(p.Argv) > 0) {
				t.Fatalf("probe %q: argv %q for kind %d", s, p.Argv, p.Kind)
			}
		}
		_, _ = parseReady(s)
		_, _ = parseHealth(s)
		if deps, err := parseDependsOn(s); err == nil {
			for _, d := range deps {
				back, err := parseDependency(d.String())
				if err != nil || !reflect.DeepEqual(back, d) {
					t.Fatalf("dependency of %q read as %+v; its form %q reads as %+v, %v", s, d, d.String(), back, err)
				}
			}
		}
		if r, err := parseRestartLimit(s); err == nil {
			if back, err := parseRestartLimit(r.String()); err != nil || back != r || r.Set() != (r.Count > 0) {
				t.Fatalf("restart limit %q read as %+v; its form %q reads as %+v, %v", s, r, r.String(), back, err)
			}
		}
		if j, err := parseJitter(s); err == nil {
			if j < 0 || j > 1 {
				t.Fatalf("jitter %q read as %g", s, j)
			}
			form := strconv.FormatFloat(j, 'g', -1, 64)
			if back, err := parseJitter(form); err != nil || back != j {
				t.Fatalf("jitter %q read as %g; its form %q reads as %g, %v", s, j, form, back, err)
			}
		}
		_, _ = parseStartRetries(s)
		_, _ = parseBackoff(s)
		_, _ = parseHealthAction(s)
	})
}
