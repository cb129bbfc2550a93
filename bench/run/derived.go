package main

import (
	"fmt"
	"slices"
	"strings"
)

// derivation is a row computed from two scenarios' rows rather than
// measured by a scenario of its own, on each side: a slope, what each of
// the n2-n1 extra items costs, (median at n2 - median at n1) / (n2 - n1),
// scaled by scale (MB to KB, say); or, with growth, the growth, median at
// n2 ÷ median at n1, which is n2/n1 for a metric that grows linearly.
type derivation struct {
	key, title, metric, unit string
	from, to                 string // row keys: the metric at n1 and at n2 items
	n1, n2                   int
	scale                    float64
	growth                   bool
}

// derivedRows are the rows computed from others once every scenario has run.
var derivedRows = slices.Concat([]derivation{
	{key: "spawn-s0/rss_per_proc", title: "spawn 1000 → 5000 (startsecs=0)", metric: "RSS per supervised process (slope)",
		unit: "KB", from: "spawn1000-s0/rss", to: "spawn5000-s0/rss", n1: 1000, n2: 5000, scale: 1024},
	{key: "spawn-s1/rss_per_proc", title: "spawn 1000 → 5000 (startsecs=1)", metric: "RSS per supervised process (slope)",
		unit: "KB", from: "spawn1000-s1/rss", to: "spawn5000-s1/rss", n1: 1000, n2: 5000, scale: 1024},
	growthOf("spawn-s0/wall_growth", "spawn 1000 → 5000 (startsecs=0)", "time to all RUNNING",
		"spawn1000-s0/wall", "spawn5000-s0/wall", 1000, 5000),
}, scaleGrowth())

// growthOf is the growth of one metric from n1 to n2 items.
func growthOf(key, title, what, from, to string, n1, n2 int) derivation {
	return derivation{key: key, title: title, unit: "×", from: from, to: to, n1: n1, n2: n2, growth: true,
		metric: fmt.Sprintf("%s growth, at %d ÷ at %d (linear: %d×)", what, n2, n1, n2/n1)}
}

// scaleGrowth is the growth row of each scale metric.
func scaleGrowth() []derivation {
	n1, n2 := scaleSizes[0], scaleSizes[1]
	var ds []derivation
	for _, m := range scaleMetrics {
		ds = append(ds, growthOf("scale/"+m.key+"_growth", fmt.Sprintf("scale, %d → %d programs", n1, n2), scaleWhat[m.key],
			scaleName(n1)+"/"+m.key, scaleName(n2)+"/"+m.key, n1, n2))
	}
	return ds
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
			var v float64
			switch {
			case !d.growth:
				v = (y.Median - x.Median) / float64(d.n2-d.n1) * d.scale
			case x.Median > 0:
				v = y.Median / x.Median
			default:
				return nil
			}
			return &stat{Median: v, Min: v, Max: v, Samples: []float64{v}}
		}
		rw := &row{Key: d.key, Scenario: d.title, Metric: d.metric, Unit: d.unit, Lower: true,
			Ours: per(a.Ours, b.Ours), Ref: per(a.Ref, b.Ref)}
		if rw.Ours == nil && rw.Ref == nil {
			continue
		}
		rw.Ratio = rw.ratio()
		at := len(r.Rows)
		for i, x := range r.Rows {
			if endsAt(x.Key) == endsAt(d.key) {
				at = i + 1
			}
		}
		r.Rows = append(r.Rows[:at], append([]*row{rw}, r.Rows[at:]...)...)
		r.byKey[rw.Key] = rw
	}
}

// endsAt is the scenario a row follows: its own, or for a derived row the
// scenario of its n2 end (derived rows after it in their order).
func endsAt(key string) string {
	for _, d := range derivedRows {
		if d.key == key {
			key = d.to
			break
		}
	}
	scenario, _, _ := strings.Cut(key, "/")
	return scenario
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
