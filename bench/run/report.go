package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// stat is one metric of one daemon over the repetitions.
type stat struct {
	Median  float64   `json:"median"`
	Min     float64   `json:"min"`
	Max     float64   `json:"max"`
	Samples []float64 `json:"samples"`
}

func newStat(samples []float64) *stat {
	if len(samples) == 0 {
		return nil
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return &stat{Median: med, Min: s[0], Max: s[len(s)-1], Samples: samples}
}

// row is one line of the table.
type row struct {
	Key      string `json:"key"` // scenario/metric, what targets refer to
	Scenario string `json:"scenario"`
	Metric   string `json:"metric"`
	Unit     string `json:"unit"`
	Lower    bool   `json:"lower_is_better"`
	Ours     *stat  `json:"ours,omitempty"`
	Ref      *stat  `json:"reference,omitempty"`
	// Ratio is how many times better ours is than the reference: the
	// reference's median over ours when lower is better, ours over the
	// reference's otherwise. 0 when it cannot be told.
	Ratio float64 `json:"ratio,omitempty"`
}

func (r *row) ratio() float64 {
	if r.Ours == nil || r.Ref == nil {
		return 0
	}
	o, f := r.Ours.Median, r.Ref.Median
	if r.Lower {
		o, f = f, o
	}
	if f <= 0 || o < 0 {
		return 0
	}
	return o / f
}

// targetResult is one of the targets, judged on this run.
type targetResult struct {
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Met      *bool  `json:"met"` // nil: not measured in this run
}

// report is everything one run found.
type report struct {
	Date      time.Time      `json:"date"`
	Machine   machine        `json:"machine"`
	Reps      int            `json:"repetitions"`
	Ours      string         `json:"ours"`
	Reference string         `json:"reference"`
	Rows      []*row         `json:"rows"`
	Targets   []targetResult `json:"targets"`
	Failures  []string       `json:"failures,omitempty"`
	Duration  string         `json:"duration"`

	byKey   map[string]*row
	started time.Time
}

func newReport(o options) *report {
	r := &report{Date: time.Now().UTC(), Machine: describeMachine(o), Reps: o.reps, Ours: describeOurs(o.ours),
		byKey: map[string]*row{}, started: time.Now()}
	if o.ref != "" {
		r.Reference = describeRef(o.ref)
	}
	return r
}

func (r *report) fail(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

// add turns a scenario's samples into rows.
func (r *report) add(sc *scenario, samples map[side][]sample, extra []sample) {
	for _, m := range sc.metrics {
		rw := &row{Key: sc.name + "/" + m.key, Scenario: sc.title, Metric: m.label, Unit: m.unit, Lower: m.lower}
		rw.Ours = newStat(values(samples[ours], m.key))
		rw.Ref = newStat(values(samples[reference], m.key))
		if rw.Ours == nil && rw.Ref == nil {
			continue
		}
		rw.Ratio = rw.ratio()
		r.Rows = append(r.Rows, rw)
		r.byKey[rw.Key] = rw
	}
	for _, m := range sc.extraMetrics {
		rw := &row{Key: sc.name + "/" + m.key, Scenario: sc.extraTitle, Metric: m.label, Unit: m.unit, Lower: m.lower}
		if rw.Ours = newStat(values(extra, m.key)); rw.Ours == nil {
			continue
		}
		r.Rows = append(r.Rows, rw)
		r.byKey[rw.Key] = rw
	}
}

func values(ss []sample, key string) []float64 {
	var v []float64
	for _, s := range ss {
		if x, ok := s[key]; ok && !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	return v
}

// target is one of the targets: check says whether this run met
// it, and what was measured; ok false means it was not measured.
type target struct {
	text  string
	check func(r *report) (met bool, measured string, ok bool)
}

// atLeast is "ours is at least x times better than the reference" on key.
func atLeast(key string, x float64, text string) target {
	return target{text, func(r *report) (bool, string, bool) {
		rw := r.byKey[key]
		if rw == nil || rw.Ratio == 0 {
			return false, "", false
		}
		return rw.Ratio >= x, fmt.Sprintf("%.2f× (%s vs %s %s)", rw.Ratio, fmtVal(rw.Ours.Median), fmtVal(rw.Ref.Median), rw.Unit), true
	}}
}

// oursAtMost is "ours, on key, is at most x".
func oursAtMost(key string, x float64, text string) target {
	return target{text, func(r *report) (bool, string, bool) {
		rw := r.byKey[key]
		if rw == nil || rw.Ours == nil {
			return false, "", false
		}
		return rw.Ours.Max <= x, fmt.Sprintf("%s %s (worst of %d)", fmtVal(rw.Ours.Max), rw.Unit, len(rw.Ours.Samples)), true
	}}
}

// withinOf is "ours, on key, is within x times our value on row other":
// at least 1/x of it where higher is better, at most x times it where lower
// is. name says what other is in the measured text.
func withinOf(key, other string, x float64, name, text string) target {
	return target{text, func(r *report) (bool, string, bool) {
		rw, o := r.byKey[key], r.byKey[other]
		if rw == nil || o == nil || rw.Ours == nil || o.Ours == nil || rw.Ours.Median == 0 || o.Ours.Median == 0 {
			return false, "", false
		}
		f := rw.Ours.Median / o.Ours.Median
		met := f >= 1/x
		if rw.Lower {
			met = f <= x
		}
		return met, fmt.Sprintf("%.2f× %s (%s vs %s %s)", f, name, fmtVal(rw.Ours.Median), fmtVal(o.Ours.Median), rw.Unit), true
	}}
}

// wakesOnlyWhenDue is "ours woke no more often than timers were due".
func wakesOnlyWhenDue(key, due, text string) target {
	return target{text, func(r *report) (bool, string, bool) {
		rw, d := r.byKey[key], r.byKey[due]
		if rw == nil || d == nil || rw.Ours == nil || d.Ours == nil {
			return false, "", false
		}
		measured := fmt.Sprintf("%s wakeups in 10 s with %s ticks due", fmtVal(rw.Ours.Median), fmtVal(d.Ours.Median))
		if rw.Ref != nil {
			measured += fmt.Sprintf(" (reference: %s)", fmtVal(rw.Ref.Median))
		}
		return rw.Ours.Median <= d.Ours.Median, measured, true
	}}
}

func (r *report) evaluate() {
	r.Targets = nil
	for _, t := range targets {
		met, measured, ok := t.check(r)
		tr := targetResult{Target: t.text, Measured: measured}
		if ok {
			tr.Met = &met
		}
		r.Targets = append(r.Targets, tr)
	}
	if r.Duration == "" {
		r.Duration = time.Since(r.started).Round(time.Second).String()
	}
}

// readReport loads a report written by writeJSON, to render it again.
func readReport(path string) (*report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := &report{byKey: map[string]*row{}}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, rw := range r.Rows {
		r.byKey[rw.Key] = rw
	}
	return r, nil
}

// fmtVal prints a value with three significant digits or so.
func fmtVal(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a >= 0.01:
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

func fmtStat(s *stat, unit string) string {
	if s == nil {
		return "—"
	}
	return fmtVal(s.Median) + " " + unit
}

func fmtRatio(rw *row) string {
	switch {
	case rw.Ours == nil || rw.Ref == nil:
		return ""
	case rw.Ratio == 0 && rw.Ours.Median == rw.Ref.Median:
		return "="
	case rw.Ratio == 0:
		return "—"
	}
	return fmt.Sprintf("%.2f×", rw.Ratio)
}

// printTable writes the console table.
func (r *report) printTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tmetric\tours\treference\tratio")
	for _, rw := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", rw.Scenario, rw.Metric, fmtStat(rw.Ours, rw.Unit), fmtStat(rw.Ref, rw.Unit), fmtRatio(rw))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nratio: how many times better ours is (reference ÷ ours where lower is better, ours ÷ reference otherwise)")
	fmt.Fprintln(w, "\ntargets:")
	for _, t := range r.Targets {
		fmt.Fprintf(w, "  %-6s %s: %s\n", metText(t.Met), t.Target, t.Measured)
	}
	for _, f := range r.Failures {
		fmt.Fprintln(w, "FAILED:", f)
	}
}

func metText(met *bool) string {
	switch {
	case met == nil:
		return "n/a"
	case *met:
		return "met"
	}
	return "MISSED"
}

func (r *report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// The generated part of docs/benchmarks.md lies between these lines; the
// rest of the file is prose kept by hand.
const (
	mdBegin = "<!-- bench:begin (generated by make bench; edits here are overwritten) -->"
	mdEnd   = "<!-- bench:end -->"
)

func (r *report) writeMarkdown(path string) error {
	var g bytes.Buffer
	g.WriteString(mdBegin + "\n\n")
	m := r.Machine
	fmt.Fprintf(&g, "Measured %s on %s (%d cores), %s RAM, Linux %s, %s; reference: %s; %d repetitions per daemon, medians (min–max in parentheses); load average %s before, %s after; the run took %s.\n\n",
		r.Date.Format("2006-01-02 15:04 MST"), m.CPU, m.Cores, m.RAM, m.Kernel, m.Go, orNone(r.Reference), r.Reps, m.LoadBefore, m.LoadAfter, r.Duration)
	fmt.Fprintf(&g, "Ours: %s.\n\n", r.Ours)
	g.WriteString("| scenario | metric | ours | reference | ratio |\n|---|---|--:|--:|--:|\n")
	for _, rw := range r.Rows {
		fmt.Fprintf(&g, "| %s | %s | %s | %s | %s |\n", rw.Scenario, rw.Metric, mdStat(rw.Ours, rw.Unit), mdStat(rw.Ref, rw.Unit), fmtRatio(rw))
	}
	g.WriteString("\nRatio: how many times better ours is (reference ÷ ours where lower is better, ours ÷ reference where higher is).\n\n")
	g.WriteString("| target | measured | |\n|---|---|---|\n")
	for _, t := range r.Targets {
		fmt.Fprintf(&g, "| %s | %s | %s |\n", t.Target, t.Measured, metText(t.Met))
	}
	if len(r.Failures) > 0 {
		g.WriteString("\nRuns that failed:\n\n")
		for _, f := range r.Failures {
			fmt.Fprintf(&g, "- %s\n", strings.ReplaceAll(strings.SplitN(f, "\n", 2)[0], "|", "\\|"))
		}
	}
	g.WriteString("\n" + mdEnd)

	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	i, j := strings.Index(text, mdBegin), strings.Index(text, mdEnd)
	switch {
	case i >= 0 && j > i:
		text = text[:i] + g.String() + text[j+len(mdEnd):]
	case text == "":
		text = "# Benchmarks\n\n" + g.String() + "\n"
	default:
		text = strings.TrimRight(text, "\n") + "\n\n" + g.String() + "\n"
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

func mdStat(s *stat, unit string) string {
	if s == nil {
		return "—"
	}
	if len(s.Samples) == 1 || s.Min == s.Max {
		return fmtVal(s.Median) + " " + unit
	}
	return fmt.Sprintf("%s %s (%s–%s)", fmtVal(s.Median), unit, fmtVal(s.Min), fmtVal(s.Max))
}

func orNone(s string) string {
	if s == "" {
		return "not installed"
	}
	return s
}
