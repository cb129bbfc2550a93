package main

import (
	"fmt"
	"strings"
)

// slope is a row derived from two scenarios' rows rather than measured
// by a scenario of its own: what each of the n2-n1 extra items costs,
// (median at n2 - median at n1) / (n2 - n1), on each side, scaled by
// scale (MB to KB, say).
type slope struct {
	key, title, metric, unit string
	from, to                 string // row keys: the metric at n1 and at n2 items
	n1, n2                   int
	scale                    float64
}

// derivedRows are the rows computed from others once every scenario has run.
var derivedRows = []slope{
	{key: "spawn-s0/rss_per_proc", title: "spawn 1000 → 5000 (startsecs=0)", metric: "RSS per supervised process (slope)",
		unit: "KB", from: "spawn1000-s0/rss", to: "spawn5000-s0/rss", n1: 1000, n2: 5000, scale: 1024},
	{key: "spawn-s1/rss_per_proc", title: "spawn 1000 → 5000 (startsecs=1)", metric: "RSS per supervised process (slope)",
		unit: "KB", from: "spawn1000-s1/rss", to: "spawn5000-s1/rss", n1: 1000, n2: 5000, scale: 1024},
}

// derive adds the derived rows whose inputs this run measured, each right
// after the rows of the scenario it ends at.
func (r *report) derive() {
	for _, d := range derivedRows {
		a, b := r.byKey[d.from], r.byKey[d.to]
		if a == nil || b == nil || r.byKey[d.key] != nil {
			continue
		}
		per := func(x, y *stat) *stat {
			if x == nil || y == nil {
				return nil
			}
			v := (y.Median - x.Median) / float64(d.n2-d.n1) * d.scale
			return &stat{Median: v, Min: v, Max: v, Samples: []float64{v}}
		}
		rw := &row{Key: d.key, Scenario: d.title, Metric: d.metric, Unit: d.unit, Lower: true,
			Ours: per(a.Ours, b.Ours), Ref: per(a.Ref, b.Ref)}
		if rw.Ours == nil && rw.Ref == nil {
			continue
		}
		rw.Ratio = rw.ratio()
		at := len(r.Rows)
		scenario, _, _ := strings.Cut(d.to, "/")
		for i, x := range r.Rows {
			if strings.HasPrefix(x.Key, scenario+"/") {
				at = i + 1
			}
		}
		r.Rows = append(r.Rows[:at], append([]*row{rw}, r.Rows[at:]...)...)
		r.byKey[rw.Key] = rw
	}
}

// stated is a target met by measuring key at all: the bench states the
// number (with the reference's beside it).
func stated(key, text string) target {
	return target{text, func(r *report) (bool, string, bool) {
		rw := r.byKey[key]
		if rw == nil || rw.Ours == nil {
			return false, "", false
		}
		measured := fmt.Sprintf("%s %s", fmtVal(rw.Ours.Median), rw.Unit)
		if rw.Ref != nil {
			measured += fmt.Sprintf(" (reference: %s %s)", fmtVal(rw.Ref.Median), rw.Unit)
		}
		return true, measured, true
	}}
}
