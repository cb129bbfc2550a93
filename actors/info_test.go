package actors

import (
	"testing"
	"time"
)

func TestDescription(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in   ProcessInfo
		want string
	}{
		{ProcessInfo{State: Running, PID: 7, Start: start, Now: start.Add(62 * time.Second)}, "pid 7, uptime 0:01:02"},
		{ProcessInfo{State: Running, PID: 7, Start: start, Now: start.Add(26*time.Hour + 3*time.Second)}, "pid 7, uptime 1 day, 2:00:03"},
		{ProcessInfo{State: Running, PID: 7, Start: start, Now: start.Add(50 * time.Hour)}, "pid 7, uptime 2 days, 2:00:00"},
		{ProcessInfo{State: Fatal, SpawnErr: "boom"}, "boom"},
		{ProcessInfo{State: Backoff, Name: "x"}, `unknown error (try "tail x")`},
		{ProcessInfo{State: Stopped}, "Not started"},
		{ProcessInfo{State: Starting}, ""},
		// A scheduled program between runs: its next run, the time alone
		// on the same day, with the date on another.
		{ProcessInfo{State: Stopped, Now: start, NextRun: start.Add(time.Hour)}, "Not started, next run " + start.Add(time.Hour).Local().Format("15:04:05")},
		{ProcessInfo{State: Exited, Start: start, Stop: start, Now: start, NextRun: start.AddDate(0, 0, 2)},
			start.Local().Format("Jan 02 03:04 PM") + ", next run " + start.AddDate(0, 0, 2).Local().Format("Jan 02 15:04:05")},
		{ProcessInfo{State: Fatal, SpawnErr: "boom", Now: start, NextRun: start.Add(time.Minute)}, "boom, next run " + start.Add(time.Minute).Local().Format("15:04:05")},
		{ProcessInfo{State: Backoff, SpawnErr: "boom", Now: start, NextRun: start.Add(time.Minute)}, "boom"},
	} {
		if got := tc.in.Description(); got != tc.want {
			t.Errorf("Description(%v) = %q, want %q", tc.in.State, got, tc.want)
		}
	}
}
