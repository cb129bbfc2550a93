package actors

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"supervisord/conf"
	"supervisord/internal/output"
)

// scheduled makes a program scheduled by spec with overlap, as conf
// would: not autostarted, not restarted.
func scheduled(t *testing.T, name, spec string, overlap conf.Overlap, numprocs int, change ...func(*conf.Schedule)) *conf.Group {
	t.Helper()
	s, err := conf.ParseSchedule(spec, time.UTC, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s.Overlap = overlap
	for _, f := range change {
		f(s)
	}
	g := program(name, "exec "+name, func(p *conf.Process) {
		p.AutoStart, p.AutoRestart, p.StartSecs, p.Schedule = false, conf.RestartNever, 0, s
	})
	if numprocs > 1 {
		tmpl := g.Processes[0]
		g.Processes = nil
		for i := range numprocs {
			p := *tmpl
			p.Name = fmt.Sprintf("%s_%d", name, i)
			g.Processes = append(g.Processes, &p)
		}
	}
	return g
}

// scheduleRun runs a tree of groups on the fake clock for the given time
// and returns the main log's lines about spawns and scheduled runs, each
// with its time since the start.
func scheduleRun(t *testing.T, runs map[string][]fakeRun, until time.Duration, pidfile string, groups ...*conf.Group) []string {
	t.Helper()
	hub, err := output.New() // outside the bubble: its goroutine waits on the netpoller
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	var lines []string
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := &timedRecorder{t0: t0}
		cfg := &conf.Config{Groups: groups}
		cfg.Supervisord.Identifier = "supervisor"
		cfg.Supervisord.Pidfile = pidfile
		d, err := Start(cfg, Options{Log: slog.New(rec), Spawner: newFakeSpawner(runs), Output: hub,
			Clock: func() time.Time { return time.Now().Add(clockSkew) }})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(until)
		synctest.Wait()
		for _, l := range rec.matching("") {
			if strings.Contains(l, "spawned:") || strings.Contains(l, "scheduled run") || strings.Contains(l, "exited:") {
				lines = append(lines, l)
			}
		}
		d.Shutdown()
		<-d.Done()
	})
	return lines
}

func TestScheduleOverlap(t *testing.T) {
	for _, c := range []struct {
		name  string
		group func(t *testing.T) *conf.Group
		runs  []fakeRun
		until time.Duration
		want  []string
	}{
		{
			name:  "runs shorter than the interval start at each due time",
			group: func(t *testing.T) *conf.Group { return scheduled(t, "job", "@every 2s", conf.OverlapSkip, 1) },
			runs:  []fakeRun{{exitAfter: time.Second}},
			until: 7 * time.Second,
			want: []string{
				"2s INFO spawned: 'job' with pid 1001", "3s INFO exited: job (exit status 0; expected)",
				"4s INFO spawned: 'job' with pid 1002", "5s INFO exited: job (exit status 0; expected)",
				"6s INFO spawned: 'job' with pid 1003", "7s INFO exited: job (exit status 0; expected)",
			},
		},
		{
			name:  "skip: a run due while the previous one runs is skipped",
			group: func(t *testing.T) *conf.Group { return scheduled(t, "job", "@every 2s", conf.OverlapSkip, 1) },
			runs:  []fakeRun{{exitAfter: 3 * time.Second}},
			until: 9 * time.Second,
			want: []string{
				"2s INFO spawned: 'job' with pid 1001",
				"4s INFO scheduled run of job due at 2000-02-11 16:00:04 skipped: the previous run is still RUNNING (schedule_overlap=skip)",
				"5s INFO exited: job (exit status 0; expected)",
				"6s INFO spawned: 'job' with pid 1002",
				"8s INFO scheduled run of job due at 2000-02-11 16:00:08 skipped: the previous run is still RUNNING (schedule_overlap=skip)",
				"9s INFO exited: job (exit status 0; expected)",
			},
		},
		{
			name:  "queue: a run due while the previous one runs starts when it ends",
			group: func(t *testing.T) *conf.Group { return scheduled(t, "job", "@every 2s", conf.OverlapQueue, 1) },
			runs:  []fakeRun{{exitAfter: 3500 * time.Millisecond}},
			until: 9500 * time.Millisecond,
			want: []string{
				"2s INFO spawned: 'job' with pid 1001",
				"4s INFO scheduled run of job due at 2000-02-11 16:00:04 queued: the previous run is still RUNNING",
				"5.5s INFO exited: job (exit status 0; expected)",
				"5.5s INFO spawned: 'job' with pid 1002",
				"6s INFO scheduled run of job due at 2000-02-11 16:00:06 queued: the previous run is still RUNNING",
				"8s INFO scheduled run of job due at 2000-02-11 16:00:08 skipped: a run is already queued",
				"9s INFO exited: job (exit status 0; expected)",
				"9s INFO spawned: 'job' with pid 1003",
			},
		},
		{
			name:  "allow: a due run takes an instance that is not running",
			group: func(t *testing.T) *conf.Group { return scheduled(t, "job", "@every 2s", conf.OverlapAllow, 2) },
			runs:  []fakeRun{{exitAfter: 5 * time.Second}},
			until: 8 * time.Second,
			want: []string{
				"2s INFO spawned: 'job_0' with pid 1001",
				"4s INFO spawned: 'job_1' with pid 1002",
				"6s INFO scheduled run of job due at 2000-02-11 16:00:06 skipped: every instance is still running (schedule_overlap=allow)",
				"7s INFO exited: job_0 (exit status 0; expected)",
				"8s INFO spawned: 'job_0' with pid 1003",
			},
		},
		{
			name:  "a six-field cron schedule falls on its seconds",
			group: func(t *testing.T) *conf.Group { return scheduled(t, "job", "*/3 * * * * *", conf.OverlapSkip, 1) },
			runs:  []fakeRun{{exitAfter: time.Second}},
			until: 7 * time.Second,
			want: []string{
				"3s INFO spawned: 'job' with pid 1001", "4s INFO exited: job (exit status 0; expected)",
				"6s INFO spawned: 'job' with pid 1002", "7s INFO exited: job (exit status 0; expected)",
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := c.group(t)
			runs := map[string][]fakeRun{}
			for _, p := range g.Processes {
				runs[p.Name] = c.runs
			}
			got := scheduleRun(t, runs, c.until, "", g)
			if !slices.Equal(got, c.want) {
				t.Errorf("log:\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

// The status of a scheduled program between runs shows its next run, and
// Daemon.Schedule reports its schedule.
func TestScheduleInfo(t *testing.T) {
	hub, err := output.New()
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		g := scheduled(t, "job", "@every 1m", conf.OverlapQueue, 1)
		plain := program("plain", "exec plain")
		cfg := &conf.Config{Groups: []*conf.Group{g, plain}}
		d, err := Start(cfg, Options{Log: slog.New(slog.DiscardHandler), Spawner: newFakeSpawner(map[string][]fakeRun{"job": {{exitAfter: time.Second}}}), Output: hub})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { d.Shutdown(); <-d.Done() }()
		ctx := context.Background()
		time.Sleep(90 * time.Second)
		synctest.Wait()
		in, err := d.Info(ctx, "job", "job")
		if err != nil {
			t.Fatal(err)
		}
		if want := t0.Add(2 * time.Minute); in.State != Exited || !in.NextRun.Equal(want) {
			t.Errorf("job is %s, next run %v; want EXITED, next run %v", in.State, in.NextRun, want)
		}
		want := in.Stop.Local().Format("Jan 02 03:04 PM") + ", next run " + t0.Add(2*time.Minute).Local().Format("15:04:05")
		if got := in.Description(); got != want {
			t.Errorf("description %q, want %q", got, want)
		}
		si, err := d.Schedule(ctx, "job", "job")
		if err != nil {
			t.Fatal(err)
		}
		if si.Schedule != "@every 1m" || si.Overlap != "queue" || !si.NextRun.Equal(t0.Add(2*time.Minute)) || !si.LastRun.Equal(t0.Add(time.Minute)) {
			t.Errorf("schedule %+v", si)
		}
		if _, err := d.Schedule(ctx, "plain", "plain"); err == nil || !strings.Contains(err.Error(), "plain has no schedule") {
			t.Errorf("the schedule of an unscheduled program: %v", err)
		}
		if in, _ := d.Info(ctx, "plain", "plain"); !in.NextRun.IsZero() {
			t.Errorf("an unscheduled program has a next run %v", in.NextRun)
		}
	})
}

// With schedule_catchup, a run missed while the daemon was down is made
// up once at start; without a missed run, or without catchup, nothing
// runs at start. The last runs are kept beside the pidfile.
func TestScheduleCatchup(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		name    string
		catchup bool
		lastAgo time.Duration // the recorded last run, before the start; 0: none
		want    []string
	}{
		{"missed runs are made up once", true, 3 * day, []string{
			"0s INFO catching up the scheduled run of job due at 2000-02-09 00:00:00, missed while the daemon was down",
			"0s INFO spawned: 'job' with pid 1001",
		}},
		{"nothing missed", true, time.Hour, nil},
		{"no record", true, 0, nil},
		{"catchup off", false, 3 * day, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			pidfile := filepath.Join(dir, "supervisord.pid")
			file := filepath.Join(dir, "supervisord.schedule")
			// The bubble starts at 2000-01-01 00:00 UTC; the tree's clock
			// runs clockSkew ahead: 2000-02-11 16:00.
			start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(clockSkew)
			if c.lastAgo > 0 {
				data, _ := json.Marshal(scheduleFile{LastRun: map[string]time.Time{"job": start.Add(-c.lastAgo)}})
				if err := os.WriteFile(file, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			g := scheduled(t, "job", "@daily", conf.OverlapSkip, 1, func(s *conf.Schedule) { s.Catchup = c.catchup })
			got := scheduleRun(t, map[string][]fakeRun{"job": {{exitAfter: time.Hour}}}, 10*time.Second, pidfile, g)
			if !slices.Equal(got, c.want) {
				t.Errorf("log:\n got %q\nwant %q", got, c.want)
			}
			if !c.catchup {
				return
			}
			// What the next start reads: the run made up, or the first
			// start as the point from which misses count.
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var sf scheduleFile
			if err := json.Unmarshal(data, &sf); err != nil {
				t.Fatal(err)
			}
			want := start
			if c.name == "nothing missed" {
				want = start.Add(-c.lastAgo)
			}
			if got := sf.LastRun["job"]; !got.Equal(want) {
				t.Errorf("recorded last run %v, want %v", got, want)
			}
		})
	}
}

func TestScheduleFileIgnoresOlderSaves(t *testing.T) {
	f := &fileScheduleStore{path: filepath.Join(t.TempDir(), "supervisord.schedule")}
	t1 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := f.save(2, map[string]time.Time{"a": t1}); err != nil {
		t.Fatal(err)
	}
	if err := f.save(1, map[string]time.Time{"a": t1.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	runs, err := f.load()
	if err != nil || !runs["a"].Equal(t1) {
		t.Errorf("load = %v, %v; want a at %v", runs, err, t1)
	}
	if err := os.WriteFile(f.path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.load(); err == nil {
		t.Error("a corrupt file loads")
	}
	entries, _ := os.ReadDir(filepath.Dir(f.path))
	if len(entries) != 1 {
		t.Errorf("files left beside the store: %v", entries)
	}
}
