package logfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	_ "time/tzdata" // the zones below, whatever the machine has
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestPeriodNext(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	kolkata := mustZone(t, "Asia/Kolkata")
	at := func(loc *time.Location, s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04:05.000 -0700", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name  string
		every Period
		loc   *time.Location
		from  string
		want  string
	}{
		{"hourly mid-hour", Hourly, time.UTC, "2024-05-01 10:15:30.250 +0000", "2024-05-01 11:00:00.000 +0000"},
		{"hourly at the boundary is the next one", Hourly, time.UTC, "2024-05-01 10:00:00.000 +0000", "2024-05-01 11:00:00.000 +0000"},
		{"hourly, half-hour zone, on the local hour", Hourly, kolkata, "2024-05-01 10:45:00.000 +0530", "2024-05-01 11:00:00.000 +0530"},
		{"hourly over the skipped hour", Hourly, ny, "2024-03-10 01:30:00.000 -0500", "2024-03-10 03:00:00.000 -0400"},
		{"hourly in the first of two 1 o'clocks", Hourly, ny, "2024-11-03 01:30:00.000 -0400", "2024-11-03 01:00:00.000 -0500"},
		{"hourly in the second", Hourly, ny, "2024-11-03 01:30:00.000 -0500", "2024-11-03 02:00:00.000 -0500"},
		{"daily", Daily, time.UTC, "2024-05-01 23:59:59.999 +0000", "2024-05-02 00:00:00.000 +0000"},
		{"daily at midnight is the next one", Daily, time.UTC, "2024-05-01 00:00:00.000 +0000", "2024-05-02 00:00:00.000 +0000"},
		{"daily, end of year", Daily, ny, "2024-12-31 12:00:00.000 -0500", "2025-01-01 00:00:00.000 -0500"},
		{"daily over a 23-hour day", Daily, ny, "2024-03-09 22:00:00.000 -0500", "2024-03-10 00:00:00.000 -0500"},
		{"daily into a 25-hour day", Daily, ny, "2024-11-03 00:30:00.000 -0400", "2024-11-04 00:00:00.000 -0500"},
		{"local, not UTC", Daily, kolkata, "2024-05-01 23:00:00.000 +0530", "2024-05-02 00:00:00.000 +0530"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.every.Next(at(tt.loc, tt.from))
			if want := at(tt.loc, tt.want); !got.Equal(want) {
				t.Errorf("Next(%s) = %s, want %s", tt.from, got, want)
			}
		})
	}
	if !NoPeriod.Next(time.Now()).IsZero() {
		t.Error("NoPeriod has a boundary")
	}
}

// zoneClock is the bubble's clock seen from a time zone.
type zoneClock struct{ loc *time.Location }

func (c zoneClock) Now() time.Time                            { return time.Now().In(c.loc) }
func (c zoneClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// sleepUntil moves the bubble's clock to the local time hh:mm:ss of
// today (or tomorrow, when that is past) and lets the timers run.
func sleepUntil(t *testing.T, c zoneClock, clock string) {
	t.Helper()
	now := c.Now()
	var h, m, s int
	if _, err := fmt.Sscanf(clock, "%d:%d:%d", &h, &m, &s); err != nil {
		t.Fatal(err)
	}
	y, mo, d := now.Date()
	at := time.Date(y, mo, d, h, m, s, 0, c.loc)
	if !at.After(now) {
		at = time.Date(y, mo, d+1, h, m, s, 0, c.loc)
	}
	time.Sleep(at.Sub(now))
	synctest.Wait()
}

// files lists path, path.1, … as "content" strings ("-" when absent),
// as far as the last present one.
func files(t *testing.T, path string, upTo int) []string {
	t.Helper()
	var out []string
	for i := 0; i <= upTo; i++ {
		p := path
		if i > 0 {
			p = path + "." + strconv.Itoa(i)
		}
		if exists(p) {
			out = append(out, readFile(t, p))
		} else {
			out = append(out, "-")
		}
	}
	return out
}

// TestPeriodRotation runs a File on the bubble's fake clock, seen from New
// York: the timer rotates at each boundary a file holding output, an
// empty one is left alone, size rotations in between number the same way,
// and backups 0 starts the file over.
func TestPeriodRotation(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	type step struct {
		at    string // move the clock to this local time first ("" stays)
		write string
	}
	tests := []struct {
		name     string
		every    Period
		maxBytes int64
		backups  int
		steps    []step
		want     []string // path, path.1, …
	}{
		{"hourly", Hourly, 0, 5, []step{{"10:15:00", "a"}, {"10:59:59", "b"}, {"11:00:00", ""}, {"11:30:00", "c"}, {"12:00:00", ""}},
			[]string{"", "c", "ab", "-"}},
		{"an empty hour is not rotated", Hourly, 0, 5, []step{{"10:15:00", "a"}, {"11:00:01", ""}, {"12:00:01", ""}, {"13:00:01", ""}},
			[]string{"", "a", "-"}},
		{"daily", Daily, 0, 5, []step{{"10:00:00", "mon"}, {"23:00:00", "day"}, {"00:00:00", ""}, {"08:00:00", "tue"}},
			[]string{"tue", "monday", "-"}},
		{"size and hour together", Hourly, 4, 5, []step{{"10:00:00", "aaaa"}, {"", "bb"}, {"11:00:00", ""}, {"", "cc"}},
			[]string{"cc", "bb", "aaaa", "-"}},
		{"no backups starts over", Hourly, 0, 0, []step{{"10:00:00", "a"}, {"11:00:00", ""}, {"", "b"}},
			[]string{"b", "-"}},
		{"oldest falls off", Hourly, 0, 2, []step{{"10:00:00", "a"}, {"11:00:00", "b"}, {"12:00:00", "c"}, {"13:00:00", "d"}},
			[]string{"d", "c", "b", "-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := zoneClock{ny}
				path := filepath.Join(t.TempDir(), "p.log")
				sleepUntil(t, c, "09:00:00")
				lf, err := OpenWith(path, Options{MaxBytes: tt.maxBytes, Backups: tt.backups, Every: tt.every, Clock: c})
				if err != nil {
					t.Fatal(err)
				}
				defer lf.Close()
				for _, s := range tt.steps {
					if s.at != "" {
						sleepUntil(t, c, s.at)
					}
					if s.write != "" {
						if _, err := lf.Write([]byte(s.write)); err != nil {
							t.Fatal(err)
						}
					}
				}
				if got := files(t, path, len(tt.want)-1); strings.Join(got, "|") != strings.Join(tt.want, "|") {
					t.Errorf("files %q, want %q", got, tt.want)
				}
			})
		})
	}
}

// stoppedClock never fires its timers: only writes can notice a boundary.
type stoppedClock struct{ now *time.Time }

func (c stoppedClock) Now() time.Time                      { return *c.now }
func (stoppedClock) AfterFunc(time.Duration, func()) Timer { return stoppedTimer{} }

type stoppedTimer struct{}

func (stoppedTimer) Stop() bool { return true }

// A write after the boundary goes to the new file even when the timer has
// not run yet.
func TestWriteAfterBoundaryRotatesFirst(t *testing.T) {
	now := time.Date(2024, 5, 1, 10, 59, 59, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "w.log")
	lf, err := OpenWith(path, Options{Backups: 3, Every: Hourly, Clock: stoppedClock{&now}})
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	lf.Write([]byte("before "))
	now = now.Add(time.Second)
	lf.Write([]byte("after"))
	if got := files(t, path, 2); strings.Join(got, "|") != "after|before |-" {
		t.Errorf("files %q", got)
	}
}

// A file last written in an earlier period is rotated as soon as it is
// opened; one written in this period is not.
func TestStaleFileRotatesAtOpen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := zoneClock{time.UTC}
		sleepUntil(t, c, "10:30:00")
		dir := t.TempDir()
		for _, name := range []string{"stale.log", "fresh.log"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		old := time.Now().Add(-time.Hour)
		if err := os.Chtimes(filepath.Join(dir, "stale.log"), old, old); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(dir, "fresh.log"), time.Now(), time.Now()); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"stale.log", "fresh.log"} {
			lf, err := OpenWith(filepath.Join(dir, name), Options{Backups: 1, Every: Hourly, Clock: c})
			if err != nil {
				t.Fatal(err)
			}
			defer lf.Close()
		}
		synctest.Wait()
		if got := files(t, filepath.Join(dir, "stale.log"), 1); strings.Join(got, "|") != "|stale.log" {
			t.Errorf("stale: %q", got)
		}
		if got := files(t, filepath.Join(dir, "fresh.log"), 1); strings.Join(got, "|") != "fresh.log|-" {
			t.Errorf("fresh: %q", got)
		}
	})
}

// Rotate is a size rotation on demand; an empty file stays as it is.
func TestRotateNow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.log")
	lf, err := Open(path, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	if err := lf.Rotate(); err != nil {
		t.Fatal(err)
	}
	if exists(path + ".1") {
		t.Fatal("an empty file was rotated")
	}
	for _, w := range []string{"a", "b", "c"} {
		lf.Write([]byte(w))
		if err := lf.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	if got := files(t, path, 3); strings.Join(got, "|") != "|c|b|-" {
		t.Errorf("files %q", got)
	}
	lf.Close()
	if err := lf.Rotate(); err == nil {
		t.Error("Rotate after Close succeeded")
	}
}
