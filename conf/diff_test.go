package conf

import (
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

func parseText(t *testing.T, text string) *Config {
	t.Helper()
	dir := t.TempDir()
	head := "[supervisord]\nlogfile=" + dir + "/l.log\npidfile=" + dir + "/p.pid\nchildlogdir=" + dir + "\n"
	cfg, err := Parse([]byte(head+text), filepath.Join(dir, "supervisord.conf"), []string{"HOME=/root"})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestDiff(t *testing.T) {
	base := `
[program:same]
command=/bin/sleep 1
[program:edited]
command=/bin/sleep 1
[program:gone]
command=/bin/sleep 1
[program:autolog]
command=/bin/sleep 1
[eventlistener:ev]
command=/bin/cat
events=TICK_5,TICK_60
[fcgi-program:f]
command=/bin/cat
socket=tcp://localhost:9000
`
	tests := []struct {
		name                    string
		next                    string
		added, changed, removed []string
	}{
		{"identical", base, nil, nil, nil},
		{"add remove change", `
[program:same]
command=/bin/sleep 1
[program:edited]
command=/bin/sleep 2
[program:new2]
command=/bin/true
priority=5
[program:new1]
command=/bin/true
[program:autolog]
command=/bin/sleep 1
[eventlistener:ev]
command=/bin/cat
events=TICK_5,TICK_60
[fcgi-program:f]
command=/bin/cat
socket=tcp://localhost:9000
`, []string{"new2", "new1"}, []string{"edited"}, []string{"gone"}},
		{"auto logfile vs path is not a change; event order is not either", `
[program:same]
command=/bin/sleep 1
[program:edited]
command=/bin/sleep 1
[program:gone]
command=/bin/sleep 1
[program:autolog]
command=/bin/sleep 1
stdout_logfile=/tmp/x.log
[eventlistener:ev]
command=/bin/cat
events=TICK_60,TICK_5
[fcgi-program:f]
command=/bin/cat
socket=tcp://localhost:9000
`, nil, nil, nil},
		{"socket, events and environment changes", `
[program:same]
command=/bin/sleep 1
environment=A=1
[program:edited]
command=/bin/sleep 1
[program:gone]
command=/bin/sleep 1
[program:autolog]
command=/bin/sleep 1
[eventlistener:ev]
command=/bin/cat
events=TICK_5
[fcgi-program:f]
command=/bin/cat
socket=tcp://localhost:9001
`, nil, []string{"ev", "f", "same"}, nil},
	}
	old := parseText(t, base)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			added, changed, removed := Diff(old, parseText(t, tt.next))
			if !reflect.DeepEqual(added, tt.added) || !reflect.DeepEqual(changed, tt.changed) || !reflect.DeepEqual(removed, tt.removed) {
				t.Errorf("Diff = %q %q %q; want %q %q %q", added, changed, removed, tt.added, tt.changed, tt.removed)
			}
		})
	}
}

func TestGroupEqualKinds(t *testing.T) {
	prog := &Group{Name: "x", Kind: KindProgram}
	fcgi := &Group{Name: "x", Kind: KindFCGIProgram, Socket: "tcp://a:1"}
	ev := &Group{Name: "x", Kind: KindEventListener}
	if !prog.Equal(fcgi) || fcgi.Equal(prog) || prog.Equal(ev) || ev.Equal(prog) || !ev.Equal(ev) {
		t.Errorf("kind comparison does not follow the reference")
	}
	var none *Group
	if none.Equal(prog) || !none.Equal(nil) {
		t.Errorf("nil comparison")
	}
}

// TestDiffLifecycle checks that editing any lifecycle option changes the
// program, and that a dependency's group gaining a process changes its
// dependents.
func TestDiffLifecycle(t *testing.T) {
	options := map[string][2]string{
		"depends_on":      {"db", "db:started"},
		"ready":           {"tcp://localhost:1", "tcp://localhost:2"},
		"ready_timeout":   {"60", "61"},
		"health":          {"exec:/bin/true", "exec:/bin/true -x"},
		"health_interval": {"10", "11"},
		"health_timeout":  {"5", "6"},
		"health_retries":  {"3", "4"},
		"health_action":   {"restart", "stop"},
		"backoff":         {"linear", "exponential"},
		"backoff_max":     {"30", "31"},
		"backoff_jitter":  {"0", "0.5"},
		"restart_limit":   {"5/60", "5/61"},
		"startretries":    {"3", "unlimited"},
	}
	program := func(opt, value string) string {
		text := "[program:db]\ncommand=/bin/true\n[program:web]\ncommand=/bin/true\n"
		for name, v := range options {
			if name != opt {
				text += name + "=" + v[0] + "\n"
			}
		}
		return text + opt + "=" + value + "\n"
	}
	for opt, v := range options {
		t.Run(opt, func(t *testing.T) {
			old := parseText(t, program(opt, v[0]))
			if _, changed, _ := Diff(old, parseText(t, program(opt, v[0]))); changed != nil {
				t.Fatalf("the same config changed %q", changed)
			}
			_, changed, _ := Diff(old, parseText(t, program(opt, v[1])))
			if !reflect.DeepEqual(changed, []string{"web"}) {
				t.Errorf("%s=%s -> %s: changed = %q, want [web]", opt, v[0], v[1], changed)
			}
		})
	}
	t.Run("watchdog_sec", func(t *testing.T) {
		base := "[program:web]\ncommand=/bin/true\nready=notify\nwatchdog_sec="
		_, changed, _ := Diff(parseText(t, base+"0\n"), parseText(t, base+"5\n"))
		if !reflect.DeepEqual(changed, []string{"web"}) {
			t.Errorf("changed = %q, want [web]", changed)
		}
	})
	t.Run("dependency gains a process", func(t *testing.T) {
		base := "[program:web]\ncommand=/bin/true\ndepends_on=db\n[program:db]\ncommand=/bin/true\nprocess_name=db_%(process_num)d\nnumprocs="
		_, changed, _ := Diff(parseText(t, base+"1\n"), parseText(t, base+"2\n"))
		if !reflect.DeepEqual(changed, []string{"db", "web"}) {
			t.Errorf("changed = %q, want [db web]", changed)
		}
	})
}

// TestDifferences names the options that differ, in the config's words.
func TestDifferences(t *testing.T) {
	base := func() *Process {
		return &Process{Name: "web", Command: "/bin/web", AutoStart: true, StartSecs: time.Second,
			Lifecycle: Lifecycle{Ready: Probe{Kind: ProbeTCP, Target: "127.0.0.1:80"}}}
	}
	for _, tc := range []struct {
		change func(p *Process)
		want   []string
	}{
		{func(p *Process) {}, nil},
		{func(p *Process) { p.Command = "/bin/web --fast" }, []string{"command"}},
		{func(p *Process) { p.AutoStart = false; p.Lifecycle.Ready.Target = "127.0.0.1:81" }, []string{"autostart", "ready"}},
		{func(p *Process) { p.Stdout.MaxBytes = 1 }, []string{"stdout_logfile (or its other stdout_ options)"}},
		{func(p *Process) { p.Lifecycle.RestartLimit.Count = 3 }, []string{"restart_limit"}},
	} {
		p := base()
		tc.change(p)
		got := base().Differences(p)
		if !slices.Equal(got, tc.want) {
			t.Errorf("differences %q, want %q", got, tc.want)
		}
		if base().Equal(p) != (len(tc.want) == 0) {
			t.Errorf("Equal disagrees with Differences %q", got)
		}
	}
}
