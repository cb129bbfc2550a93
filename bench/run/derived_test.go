package main

import (
	"math"
	"testing"
)

func TestDeriveSlope(t *testing.T) {
	one := func(v float64) *stat { return newStat([]float64{v}) }
	tests := []struct {
		name          string
		rows          []*row
		ours, ref     float64 // KB per process; NaN: no such side
		at            int     // where the derived row lands; -1: none
		wantRatioOver float64 // ratio > this
	}{
		{"both sides", []*row{
			{Key: "spawn1000-s0/rss", Ours: one(28.8), Ref: one(34.6)},
			{Key: "spawn1000-s0/peak", Ours: one(28.8), Ref: one(34.6)},
			{Key: "spawn5000-s0/rss", Ours: one(57.1), Ref: one(51.6)},
			{Key: "spawn5000-s0/peak", Ours: one(57.1), Ref: one(51.6)},
			{Key: "idle/cpu", Ours: one(1)},
		}, (57.1 - 28.8) / 4000 * 1024, (51.6 - 34.6) / 4000 * 1024, 4, 0},
		{"ours only", []*row{
			{Key: "spawn1000-s0/rss", Ours: one(20)},
			{Key: "spawn5000-s0/rss", Ours: one(40)},
		}, 20.0 / 4000 * 1024, math.NaN(), 2, -1},
		{"5000 not run", []*row{{Key: "spawn1000-s0/rss", Ours: one(20)}}, 0, 0, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &report{Rows: tt.rows, byKey: map[string]*row{}}
			for _, rw := range tt.rows {
				r.byKey[rw.Key] = rw
			}
			r.derive()
			r.derive() // once only
			got := r.byKey["spawn-s0/rss_per_proc"]
			if tt.at < 0 {
				if got != nil || len(r.Rows) != len(tt.rows) {
					t.Fatalf("derived a row from missing inputs: %+v", got)
				}
				return
			}
			if got == nil || r.Rows[tt.at] != got || len(r.Rows) != len(tt.rows)+1 {
				t.Fatalf("derived row missing or misplaced (want index %d of %d rows)", tt.at, len(tt.rows)+1)
			}
			if math.Abs(got.Ours.Median-tt.ours) > 1e-9 {
				t.Errorf("ours %v KB, want %v", got.Ours.Median, tt.ours)
			}
			if math.IsNaN(tt.ref) != (got.Ref == nil) || (got.Ref != nil && math.Abs(got.Ref.Median-tt.ref) > 1e-9) {
				t.Errorf("reference %+v, want %v", got.Ref, tt.ref)
			}
			if tt.wantRatioOver >= 0 && got.Ratio <= tt.wantRatioOver {
				t.Errorf("ratio %v", got.Ratio)
			}
		})
	}
}
