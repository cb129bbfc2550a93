package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// scheduledRun is one run of a scheduled script: when it started and ended.
type scheduledRun struct{ start, end float64 }

// readRuns reads the "start T" and "end T" lines a script appended.
func readRuns(t *testing.T, path string) []scheduledRun {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var runs []scheduledRun
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		word, at, _ := strings.Cut(line, " ")
		v, err := strconv.ParseFloat(at, 64)
		if err != nil {
			t.Fatalf("%s: line %q", path, line)
		}
		switch word {
		case "start":
			runs = append(runs, scheduledRun{start: v})
		case "end":
			if len(runs) == 0 || runs[len(runs)-1].end != 0 {
				t.Fatalf("%s: an end without its start: %q", path, data)
			}
			runs[len(runs)-1].end = v
		}
	}
	return runs
}

// Under a real daemon: an @every 2s program runs every 2 s, one run at a
// time; one whose runs last longer than the interval, with overlap=skip,
// never has two runs at once; one not yet due is STOPPED and its status
// says when it runs next.
func TestScheduleRunsOnTime(t *testing.T) {
	t.Parallel()
	script := func(name string, secs int) string {
		return "command=/bin/sh -c 'echo start $(date +%%s.%%N) >> {dir}/" + name + ".runs; sleep " + strconv.Itoa(secs) +
			"; echo end $(date +%%s.%%N) >> {dir}/" + name + ".runs'\nstartsecs=0\n"
	}
	d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+testkit.RPCConfig("{dir}")+
		"[program:tick]\nschedule=@every 2s\n"+script("tick", 1)+
		"[program:long]\nschedule=@every 2s\nschedule_overlap=skip\n"+script("long", 3)+
		"[program:later]\nschedule=@hourly\ncommand=/bin/sleep 1\n")
	d.WaitLog(t, `(?s)(spawned: 'tick'.*){3}`, 15*time.Second)
	d.WaitLog(t, `skipped: the previous run is still RUNNING`, 10*time.Second)
	out, _ := testkit.Ctl(t, d, "status", "later")
	if !strings.Contains(out, "STOPPED") || !strings.Contains(out, "Not started, next run ") {
		t.Errorf("status of a program not yet due: %q", out)
	}
	d.WaitLog(t, `(?s)(exited: tick.*){3}`, 10*time.Second)
	if st := d.Stop(20 * time.Second); st == nil {
		t.Fatal("the daemon did not stop")
	}

	tick := readRuns(t, filepath.Join(d.Dir, "tick.runs"))
	if len(tick) < 3 {
		t.Fatalf("tick ran %d times: %v", len(tick), tick)
	}
	for i := 1; i < len(tick); i++ {
		if gap := tick[i].start - tick[i-1].start; gap < 1.7 || gap > 2.3 {
			t.Errorf("tick's runs %d and %d started %.3f s apart, want 2 s: %v", i-1, i, gap, tick)
		}
		if tick[i-1].end == 0 || tick[i].start < tick[i-1].end {
			t.Errorf("tick's runs %d and %d overlap: %v", i-1, i, tick)
		}
	}
	long := readRuns(t, filepath.Join(d.Dir, "long.runs"))
	if len(long) < 2 {
		t.Fatalf("long ran %d times: %v\n%s", len(long), long, d.Log())
	}
	for i := 1; i < len(long); i++ {
		if long[i-1].end == 0 || long[i].start < long[i-1].end {
			t.Errorf("long's runs %d and %d overlap: %v", i-1, i, long)
		}
		// A 3 s run of an every-2 s schedule skips one due time: the
		// next run starts 4 s after the last.
		if gap := long[i].start - long[i-1].start; gap < 3.7 || gap > 4.3 {
			t.Errorf("long's runs %d and %d started %.3f s apart, want 4 s: %v", i-1, i, gap, long)
		}
	}
	if strings.Contains(d.Log(), "spawned: 'later'") {
		t.Error("a program not yet due was started")
	}
}
