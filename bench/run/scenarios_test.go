package main

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestTimeCalls(t *testing.T) {
	errBroken := errors.New("broken")
	tests := []struct {
		name     string
		lo, hi   int
		budget   time.Duration
		failAt   int // the call that fails, from 1; 0: none
		want     int // calls timed
		wantFail bool
	}{
		{"no budget: lo calls", 3, 20, 0, 0, 3, false},
		{"budget left: hi calls", 1, 5, time.Hour, 0, 5, false},
		{"lo above hi: hi calls", 8, 5, 0, 0, 5, false},
		{"a failure keeps the calls before it", 1, 5, time.Hour, 3, 2, true},
		{"the first call fails", 1, 5, time.Hour, 1, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			lat, err := timeCalls(tt.lo, tt.hi, tt.budget, time.Minute, func(ctx context.Context) error {
				calls++
				if _, ok := ctx.Deadline(); !ok {
					t.Error("a call without a deadline")
				}
				if calls == tt.failAt {
					return errBroken
				}
				return nil
			})
			if len(lat) != tt.want {
				t.Errorf("%d calls timed, want %d", len(lat), tt.want)
			}
			if errors.Is(err, errBroken) != tt.wantFail || (err != nil) != tt.wantFail {
				t.Errorf("error %v, want a failure: %v", err, tt.wantFail)
			}
			for _, ms := range lat {
				if ms < 0 {
					t.Errorf("negative time %v", ms)
				}
			}
		})
	}
}
