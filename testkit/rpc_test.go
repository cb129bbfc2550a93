package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	dir := t.TempDir()
	d := &Daemon{Dir: dir, MainLog: filepath.Join(dir, "supervisord.log"),
		cmd: &exec.Cmd{Process: &os.Process{Pid: 777}}}
	log := "2026-01-01 10:00:00,000 INFO supervisord started with pid 777\n" +
		"2026-01-01 10:00:01,000 INFO spawned: 'a' with pid 4242\n" +
		"2026-01-01 10:00:01,000 INFO spawned: 'b' with pid 4343\n"
	if err := os.WriteFile(d.MainLog, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	in := fmt.Sprintf(`a RUNNING   pid 4343, uptime 0:00:01
b RUNNING   pid 4242, uptime 1 day, 2:03:04
c STOPPED   Nov 26 11:42 AM
4242
4343
777
12
0
{"pid": 4343, "start": %d, "stop": 0, "big": 1000000000, "logfile": "%s/a-stdout---supervisor-ab_c12xy.log"}
{"pid": 0, "stdout_logfile": "%s/a-stdout---supervisor-ab_c12xy.log", "stderr_logfile": "%s/a-stderr---supervisor-zz9zz9zz.log"}
2026-11-26 11:42:00,123 INFO supervisord started with pid 777
pid 99999 unknown
error: <Fault 92: 'x'>: file: /usr/lib/python3.11/xmlrpc/client.py line: 668
`, now-5, dir, dir, dir)
	want := `a RUNNING   pid <PID1>, uptime <UPTIME>
b RUNNING   pid <PID2>, uptime <UPTIME>
c STOPPED   <DATE>
<PID2>
<PID1>
<SUPERVISORD_PID>
12
0
{"pid": <PID1>, "start": <TIME>, "stop": 0, "big": 1000000000, "logfile": "<DIR>/a-stdout---supervisor-<AUTO1>.log"}
{"pid": 0, "stdout_logfile": "<DIR>/a-stdout---supervisor-<AUTO1>.log", "stderr_logfile": "<DIR>/a-stderr---supervisor-<AUTO2>.log"}
<STAMP> INFO supervisord started with pid <SUPERVISORD_PID>
pid <PID3> unknown
error: <Fault 92: 'x'>: file: <FILE> line: <LINE>
`
	if got := Normalize(in, d); got != want {
		t.Errorf("Normalize:\n%s", LineDiff(want, got))
	}
}

func TestLineDiff(t *testing.T) {
	if d := LineDiff("a\nb\n", "a\nb\n"); d != "" {
		t.Errorf("equal texts give %q", d)
	}
	want := "a\nb\nc\nd\ne\nf\ng\n"
	got := "a\nb\nc\nD\ne\nf\ng\nh\n"
	d := LineDiff(want, got)
	for _, line := range []string{"--- want\n", "+++ got\n", "@@ want line 2, got line 2 @@\n", "- d\n", "+ D\n", "+ h\n", "  c\n"} {
		if !strings.Contains(d, line) {
			t.Errorf("diff lacks %q:\n%s", line, d)
		}
	}
	if strings.Contains(d, "  a\n") {
		t.Errorf("diff shows more than two lines of context:\n%s", d)
	}
	// Trailing blanks and a missing final newline are made visible.
	d = LineDiff("x \n", "x")
	if !strings.Contains(d, "- x·⏎\n") || !strings.Contains(d, `+ \ no newline at end`) {
		t.Errorf("invisible differences stay invisible:\n%s", d)
	}
	// A long one-sided run is cut so the other side still shows.
	long := strings.Repeat("same\n", 3) + strings.Repeat("only in want\n", 100) + "end\n"
	d = LineDiff(long, strings.Repeat("same\n", 3)+"only in got\nend\n")
	if !strings.Contains(d, "- ... 88 more lines only in want\n") || !strings.Contains(d, "+ only in got\n") {
		t.Errorf("long run not cut:\n%s", d)
	}
}
