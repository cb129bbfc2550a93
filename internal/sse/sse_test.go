package sse

import "testing"

func TestWholeRunes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"", 0}, {"abc", 3}, {"ü", 2}, {"a\xc3", 1}, {"a\xe2\x82", 1}, {"a\xe2\x82\xac", 4},
		{"\xf0\x9f\x98", 0}, {"a\xff", 2}, {"a\x80", 2},
	} {
		if got := WholeRunes([]byte(tc.in)); got != tc.want {
			t.Errorf("WholeRunes(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
