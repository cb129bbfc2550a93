package conf

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSources checks what each process keeps of the sections that define
// it: file and line of each header, the options as written with their
// values expanded for that instance, an option a later file repeats
// pointing at that file, and the [group:x] after the program's own. The
// expected text is testdata/sources/NAME.txt (-update rewrites it).
func TestSources(t *testing.T) {
	files := map[string]string{
		"supervisord.conf": `[supervisord]
logfile=%(here)s/supervisord.log
environment=GREETING="hi"

[include]
files = conf.d/*.conf

[program:solo]
command=/bin/echo %(ENV_GREETING)s %(host_node_name)s
; a comment, not kept
autostart=false   ; nor this one

[eventlistener:ears]
command=/bin/cat
events=PROCESS_STATE
`,
		"conf.d/web.conf": `[group:site]
programs=web,api
priority=5

[program:web]
command=/bin/sleep 100 --port=80%(process_num)02d
process_name=%(program_name)s_%(process_num)d
numprocs=3
numprocs_start=1
environment=SLOT="%(group_name)s-%(process_num)d"
stdout_logfile=%(here)s/%(ENV_SLOT)s.log
args = one
    two

    three

[program:api]
command=/bin/sleep 1
`,
		"conf.d/z.conf": `[program:solo]
priority=7%(ENV_DIGIT)s
`,
	}
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	main := filepath.Join(dir, "supervisord.conf")
	host, _ := os.Hostname()
	cfg, err := Parse([]byte(files["supervisord.conf"]), main, []string{"DIGIT=2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"site:web_2", "site:api", "solo:solo", "ears:ears"} {
		g, pn := SplitNamespec(name)
		var proc *Process
		for _, grp := range cfg.Groups {
			if grp.Name == g {
				proc = grp.Process(pn)
			}
		}
		if proc == nil {
			t.Fatalf("no process %s", name)
		}
		var b strings.Builder
		for _, s := range proc.Sources {
			b.WriteString("; " + s.File + ":" + strconv.Itoa(s.Line) + "\n" + s.Text() + "\n")
		}
		got := strings.ReplaceAll(b.String(), dir, "$DIR")
		if host != "" {
			got = strings.ReplaceAll(got, host, "$HOST")
		}
		golden := filepath.Join("testdata", "sources", strings.ReplaceAll(name, ":", "_")+".txt")
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s: got\n%s\nwant\n%s", name, got, want)
		}
	}
}

// TestSourcesIgnoredByEqual: moving a section down a line changes where
// it is written, not what runs, so reread must not call it changed.
func TestSourcesIgnoredByEqual(t *testing.T) {
	a, err := Parse([]byte("[supervisord]\n[program:x]\ncommand=/bin/true\n"), "/tmp/s.conf", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse([]byte("[supervisord]\n\n; moved\n[program:x]\ncommand=/bin/true\n"), "/tmp/s.conf", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Groups[0].Processes[0].Sources[0].Line == b.Groups[0].Processes[0].Sources[0].Line {
		t.Fatal("the header's line did not move")
	}
	if !a.Groups[0].Equal(b.Groups[0]) {
		t.Error("a section moved down a line compares changed")
	}
}
