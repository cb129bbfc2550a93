package main

import (
	"math"
	"slices"
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

func TestDeriveGrowth(t *testing.T) {
	one := func(v float64) *stat { return newStat([]float64{v}) }
	r := &report{Rows: []*row{
		{Key: "scale1k/load", Lower: true, Ours: one(0.1), Ref: one(2)},
		{Key: "scale1k/gapi", Lower: true, Ours: one(8), Ref: one(0)},
		{Key: "scale10k/load", Lower: true, Ours: one(0.6), Ref: one(30)},
		{Key: "scale10k/gapi", Lower: true, Ours: one(90), Ref: one(5000)},
		{Key: "restart/rate", Ours: one(500)},
	}, byKey: map[string]*row{}}
	for _, rw := range r.Rows {
		r.byKey[rw.Key] = rw
	}
	r.derive()
	var keys []string
	for _, rw := range r.Rows {
		keys = append(keys, rw.Key)
	}
	// Derived rows follow the scenario they end at, in derivedRows' order.
	want := []string{"scale1k/load", "scale1k/gapi", "scale10k/load", "scale10k/gapi",
		"scale/load_growth", "scale/gapi_growth", "restart/rate"}
	if !slices.Equal(keys, want) {
		t.Fatalf("rows %v, want %v", keys, want)
	}
	load, gapi := r.byKey["scale/load_growth"], r.byKey["scale/gapi_growth"]
	if load.Unit != "×" || math.Abs(load.Ours.Median-6) > 1e-9 || math.Abs(load.Ref.Median-15) > 1e-9 {
		t.Errorf("load growth %+v %+v, want 6× and 15×", load.Ours, load.Ref)
	}
	if math.Abs(load.Ratio-2.5) > 1e-9 {
		t.Errorf("load growth ratio %v, want 2.5 (the reference grows 2.5 times as much)", load.Ratio)
	}
	// A side measured as 0 at 1000 has no growth.
	if gapi.Ref != nil || math.Abs(gapi.Ours.Median-90.0/8) > 1e-9 {
		t.Errorf("getAllProcessInfo growth %+v %+v, want 11.25× and none", gapi.Ours, gapi.Ref)
	}
}
