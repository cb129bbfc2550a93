package conf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScheduleNext checks the due times each form of schedule= gives after
// a fixed instant, in the schedule's time zone, across DST changes too.
func TestScheduleNext(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// at reads s in loc, or in UTC when it ends in Z (for an instant of
	// an hour that repeats).
	at := func(loc *time.Location, s string) time.Time {
		t.Helper()
		if u, ok := strings.CutSuffix(s, "Z"); ok {
			s, loc = u, time.UTC
		}
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		spec string
		loc  *time.Location
		from string   // in loc
		want []string // the next due times, one after another, in loc
	}{
		{"0 3 * * *", time.UTC, "2024-12-06 02:59:59", []string{"2024-12-06 03:00:00", "2024-12-07 03:00:00"}},
		{"*/5 * * * *", time.UTC, "2024-12-06 03:00:00", []string{"2024-12-06 03:05:00", "2024-12-06 03:10:00"}},
		{"30 8 * * MON-FRI", time.UTC, "2024-12-06 09:00:00", []string{"2024-12-09 08:30:00", "2024-12-10 08:30:00"}},
		{"0 0 1 */3 *", time.UTC, "2024-02-10 00:00:00", []string{"2024-04-01 00:00:00", "2024-07-01 00:00:00"}},
		// Six fields: seconds first.
		{"*/10 * * * * *", time.UTC, "2024-12-06 03:00:01", []string{"2024-12-06 03:00:10", "2024-12-06 03:00:20"}},
		{"15 0 3 * * *", time.UTC, "2024-12-06 03:00:00", []string{"2024-12-06 03:00:15", "2024-12-07 03:00:15"}},
		// Descriptors.
		{"@hourly", time.UTC, "2024-12-06 03:20:00", []string{"2024-12-06 04:00:00", "2024-12-06 05:00:00"}},
		{"@daily", time.UTC, "2024-12-06 03:20:00", []string{"2024-12-07 00:00:00", "2024-12-08 00:00:00"}},
		{"@midnight", time.UTC, "2024-12-06 03:20:00", []string{"2024-12-07 00:00:00"}},
		{"@weekly", time.UTC, "2024-12-06 03:20:00", []string{"2024-12-08 00:00:00", "2024-12-15 00:00:00"}},
		{"@monthly", time.UTC, "2024-12-06 03:20:00", []string{"2025-01-01 00:00:00", "2025-02-01 00:00:00"}},
		{"@yearly", time.UTC, "2024-12-06 03:20:00", []string{"2025-01-01 00:00:00", "2026-01-01 00:00:00"}},
		{"@annually", time.UTC, "2024-12-06 03:20:00", []string{"2025-01-01 00:00:00"}},
		// @every counts from the instant, in whole seconds.
		{"@every 2s", time.UTC, "2024-12-06 03:20:00", []string{"2024-12-06 03:20:02", "2024-12-06 03:20:04"}},
		{"@every 1h30m", time.UTC, "2024-12-06 03:20:00", []string{"2024-12-06 04:50:00", "2024-12-06 06:20:00"}},
		// The time zone: 03:00 in Paris is 02:00 UTC in winter.
		{"0 3 * * *", paris, "2024-12-06 02:59:00", []string{"2024-12-06 03:00:00", "2024-12-07 03:00:00"}},
		// Paris springs forward on 2024-03-31 at 02:00 (to 03:00): a time
		// that does not exist that day is not due that day.
		{"30 2 * * *", paris, "2024-03-30 03:00:00", []string{"2024-04-01 02:30:00", "2024-04-02 02:30:00"}},
		// ...and falls back on 2024-10-27 at 03:00 (to 02:00): 02:30 comes
		// twice, and is due the first time only (00:30 UTC).
		{"30 2 * * *", paris, "2024-10-26 03:00:00", []string{"2024-10-27 00:30:00Z", "2024-10-28 02:30:00"}},
		// Hourly across New York's spring-forward night: 02:00 is skipped.
		{"0 * * * *", ny, "2024-03-10 00:30:00", []string{"2024-03-10 01:00:00", "2024-03-10 03:00:00", "2024-03-10 04:00:00"}},
	} {
		t.Run(c.spec+" in "+c.loc.String(), func(t *testing.T) {
			s, err := ParseSchedule(c.spec, c.loc, at(c.loc, c.from))
			if err != nil {
				t.Fatal(err)
			}
			prev := at(c.loc, c.from)
			for i, w := range c.want {
				got := s.Next(prev)
				if want := at(c.loc, w); !got.Equal(want) {
					t.Fatalf("due time %d after %s: got %s, want %s", i+1, prev.In(c.loc), got.In(c.loc), want)
				}
				prev = got
			}
		})
	}
}

// TestScheduleDSTFallBackOnce checks a half-hourly schedule across the
// hour that repeats when clocks fall back: that hour is due on its first
// pass only, and the due times keep moving forward.
func TestScheduleDSTFallBackOnce(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	s, err := ParseSchedule("*/30 * * * *", paris, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2024, 10, 27, 0, 0, 0, 0, time.UTC) // 02:00 CEST
	var got []string
	for t0, i := from, 0; i < 4; i++ {
		t0 = s.Next(t0)
		got = append(got, t0.UTC().Format("15:04"))
	}
	if want := "00:30 02:00 02:30 03:00"; strings.Join(got, " ") != want {
		t.Errorf("due times (UTC) %s, want %s", strings.Join(got, " "), want)
	}
}

func TestParseScheduleEmpty(t *testing.T) {
	s, err := ParseSchedule("  ", nil, time.Now())
	if s != nil || err != nil {
		t.Errorf("ParseSchedule(blank) = %v, %v; want no schedule", s, err)
	}
}

func TestScheduleEqual(t *testing.T) {
	a, _ := ParseSchedule("@daily", nil, time.Now())
	b, _ := ParseSchedule("@daily", nil, time.Now())
	c, _ := ParseSchedule("@hourly", nil, time.Now())
	var none *Schedule
	for _, x := range []struct {
		a, b *Schedule
		want bool
	}{{a, b, true}, {a, c, false}, {a, none, false}, {none, none, true}} {
		if got := x.a.Equal(x.b); got != x.want {
			t.Errorf("%v.Equal(%v) = %t", x.a, x.b, got)
		}
	}
	b.Overlap = OverlapQueue
	if a.Equal(b) {
		t.Error("schedules of different overlap are equal")
	}
}

func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"0 3 * * *", "*/10 * * * * *", "@every 2s", "@daily", "0 0 30 2 *", "@every", "TZ=UTC * * * * *", "1-5/2 1,2 L * ?"} {
		f.Add(s)
	}
	now := time.Date(2024, 12, 6, 3, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := ParseSchedule(spec, time.UTC, now)
		if err != nil || s == nil {
			return
		}
		next := s.Next(now)
		if !next.After(now) {
			t.Fatalf("%q: next due time %s is not after %s", spec, next, now)
		}
	})
}

// TestScheduleWarnings checks what a scheduled program's file is warned
// about: options that say it autostarts or restarts, and schedule options
// without a schedule.
func TestScheduleWarnings(t *testing.T) {
	text := `[supervisord]
[program:tick]
command=/bin/true
schedule=@every 2s
autostart=true
autorestart=true

[program:quiet]
command=/bin/true
schedule=@daily
autostart=false
autorestart=false

[program:plain]
command=/bin/true
schedule_overlap=queue
schedule_catchup=true
`
	path := filepath.Join(t.TempDir(), "s.conf")
	cfg, err := Parse([]byte(text), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range cfg.OwnWarnings {
		got = append(got, w.String())
	}
	want := []string{
		path + ":5: warning: autostart=true in [program:tick] is ignored: a scheduled program starts at its due times only",
		path + ":6: warning: autorestart in [program:tick] is ignored: a run of a scheduled program that ends stays EXITED until the next due time",
		path + ":16: warning: schedule_overlap in [program:plain] has no effect without schedule=",
		path + ":17: warning: schedule_catchup in [program:plain] has no effect without schedule=",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, g := range cfg.Groups {
		p := g.Processes[0]
		if p.Program != "plain" && (p.AutoStart || p.AutoRestart != RestartNever) {
			t.Errorf("%s: autostart=%t autorestart=%d; a scheduled program neither autostarts nor restarts", p.Name, p.AutoStart, p.AutoRestart)
		}
	}
}

// TestREADMESchedule loads the README's example of scheduled programs.
func TestREADMESchedule(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), "\n## Scheduled programs\n")
	if !ok {
		t.Fatal("the README has no Scheduled programs section")
	}
	_, block, ok := strings.Cut(sec, "```ini\n")
	if !ok {
		t.Fatal("the Scheduled programs section has no ini example")
	}
	block, _, _ = strings.Cut(block, "```")
	cfg, err := Parse([]byte("[supervisord]\n"+block), filepath.Join(t.TempDir(), "s.conf"), nil)
	if err != nil {
		t.Fatalf("the README's example: %v", err)
	}
	var got []string
	for _, g := range cfg.Groups {
		got = append(got, g.Name+" "+g.Processes[0].Schedule.String())
	}
	if want := "backup 30 3 * * * (Europe/Paris),poll @every 30s"; strings.Join(got, ",") != want {
		t.Errorf("schedules %q, want %q", strings.Join(got, ","), want)
	}
}
