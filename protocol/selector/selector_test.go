package selector

import (
	"errors"
	"maps"
	"testing"
)

func TestParseAndMatch(t *testing.T) {
	web := map[string]string{"role": "web", "zone": "a"}
	api := map[string]string{"role": "api", "zone": "b", "canary": ""}
	bare := map[string]string{}
	for _, tc := range []struct {
		text, str      string // str: what String says
		web, api, bare bool
	}{
		{"", "", true, true, true},
		{"  ", "", true, true, true},
		{"role=web", "role=web", true, false, false},
		{"role==web", "role=web", true, false, false},
		{" role = web ", "role=web", true, false, false},
		{"zone!=b", "zone!=b", true, false, true},
		{"role in (web,api)", "role in (api,web)", true, true, false},
		{"role in(web , api, web)", "role in (api,web)", true, true, false},
		{"role notin (web)", "role notin (web)", false, true, true},
		{"canary", "canary", false, true, false},
		{"!canary", "!canary", true, false, true},
		{"role=web,zone=a", "role=web,zone=a", true, false, false},
		{"role in (web,api), zone!=b", "role in (api,web),zone!=b", true, false, false},
		{"canary=", "canary=", false, true, false},
		{"example.com/tier=front-1_x", "example.com/tier=front-1_x", false, false, false},
		{"index", "index", false, false, false}, // a key that starts like "in"
		{"inx in (a)", "inx in (a)", false, false, false},
	} {
		s, err := Parse(tc.text)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.text, err)
			continue
		}
		if got := s.String(); got != tc.str {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.text, got, tc.str)
		}
		for _, m := range []struct {
			labels map[string]string
			want   bool
		}{{web, tc.web}, {api, tc.api}, {bare, tc.bare}} {
			if got := s.Matches(m.labels); got != m.want {
				t.Errorf("%q matches %v: %v, want %v", tc.text, m.labels, got, m.want)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		text   string
		offset int
	}{
		{"=web", 0},
		{"role=web zone=a", 9},
		{"role=web,", 9},
		{",role=web", 0},
		{"role in web", 8},
		{"role in ()", 9},
		{"role in (web", 12},
		{"role in (web api)", 13},
		{"!", 1},
		{"role=w@b", 6},
		{"role=web;zone=a", 8},
	} {
		_, err := Parse(tc.text)
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q): %v, want a syntax error", tc.text, err)
			continue
		}
		if se.Offset != tc.offset {
			t.Errorf("Parse(%q): %v, want offset %d", tc.text, err, tc.offset)
		}
	}
}

func TestLabels(t *testing.T) {
	for _, tc := range []struct {
		text string
		want map[string]string // nil: an error
	}{
		{"", map[string]string{}},
		{"role=web,zone=a", map[string]string{"role": "web", "zone": "a"}},
		{" role = web , canary= ", map[string]string{"role": "web", "canary": ""}},
		{"role", nil},
		{"role=web,role=api", nil},
		{"role=web,", nil},
		{"role=web zone=a", nil},
	} {
		got, err := ParseLabels(tc.text)
		if tc.want == nil {
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("ParseLabels(%q) = %v, %v; want a syntax error", tc.text, got, err)
			}
			continue
		}
		if err != nil || !maps.Equal(got, tc.want) {
			t.Errorf("ParseLabels(%q) = %v, %v; want %v", tc.text, got, err, tc.want)
		}
		if back, err := ParseLabels(FormatLabels(got)); err != nil || !maps.Equal(back, got) {
			t.Errorf("FormatLabels(%v) reads back as %v, %v", got, back, err)
		}
	}
}

// FuzzParse: whatever parses prints back as text that parses to the same
// selector, which selects the same label sets.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"role=web", "zone!=b,role in (web,api)", "!canary,tier notin (db)", "a", ""} {
		f.Add(s, "role=web,zone=a")
	}
	f.Fuzz(func(t *testing.T, text, labelText string) {
		s, err := Parse(text)
		if err != nil {
			return
		}
		again, err := Parse(s.String())
		if err != nil {
			t.Fatalf("%q prints as %q, which does not parse: %v", text, s.String(), err)
		}
		if again.String() != s.String() {
			t.Fatalf("%q: %q then %q", text, s.String(), again.String())
		}
		if labels, err := ParseLabels(labelText); err == nil {
			if s.Matches(labels) != again.Matches(labels) {
				t.Fatalf("%q and %q disagree on %v", text, s.String(), labels)
			}
			if back, err := ParseLabels(FormatLabels(labels)); err != nil || !maps.Equal(back, labels) {
				t.Fatalf("labels %v read back as %v, %v", labels, back, err)
			}
		}
	})
}
