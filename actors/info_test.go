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
	} {
		if got := tc.in.Description(); got != tc.want {
			t.Errorf("Description(%v) = %q, want %q", tc.in.State, got, tc.want)
		}
	}
}
