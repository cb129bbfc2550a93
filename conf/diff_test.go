package conf

import (
	"path/filepath"
	"reflect"
	"testing"
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
