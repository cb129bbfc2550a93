package logfile

import (
	"bytes"
	"testing"
)

// referenceStrip is the reference's per-chunk algorithm restated, the oracle
// for single-chunk input.
func referenceStrip(s []byte) []byte {
	var out []byte
	show := true
	for i := 0; i < len(s); i++ {
		if !show {
			if bytes.IndexByte([]byte("HfABCDRsuJKhlpm"), s[i]) >= 0 {
				show = true
			}
			continue
		}
		n := bytes.Index(s[i:], []byte("\x1b["))
		if n < 0 {
			return append(out, s[i:]...)
		}
		out = append(out, s[i:i+n]...)
		i += n
		show = false
	}
	return out
}

func strip(chunks ...string) string {
	var s StripANSI
	var out []byte
	for _, c := range chunks {
		out = s.Append(out, []byte(c))
	}
	return string(s.Flush(out))
}

func TestStripANSI(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   string
	}{
		{"plain", []string{"hello\n"}, "hello\n"},
		{"color", []string{"\x1b[31;1mred\x1b[0m done"}, "red done"},
		{"cursor moves", []string{"a\x1b[2Jb\x1b[10;20Hc\x1b[Kd"}, "abcd"},
		{"lone escape kept", []string{"a\x1bb"}, "a\x1bb"},
		{"escape at end kept", []string{"ab\x1b"}, "ab\x1b"},
		{"escape escape bracket", []string{"\x1b\x1b[1mx"}, "\x1bx"},
		{"unlisted final swallows to next listed letter", []string{"\x1b[2Xabcmore"}, "ore"},
		{"unterminated drops the rest", []string{"ok\x1b[12;3"}, "ok"},
		{"split after escape", []string{"a\x1b", "[31mb"}, "ab"},
		{"split inside parameters", []string{"a\x1b[3", "1", "mb"}, "ab"},
		{"split escape then text", []string{"a\x1b", "b"}, "a\x1bb"},
		{"empty chunks", []string{"", "a", "", "\x1b", "", "[m", ""}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strip(tt.chunks...); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzStripANSI checks that one chunk matches the reference exactly and that
// splitting the stream anywhere does not change the result.
func FuzzStripANSI(f *testing.F) {
	f.Add([]byte("\x1b[31mred\x1b[0m"), uint(3))
	f.Add([]byte("a\x1b\x1b[1;2Hb\x1b[?25lc"), uint(2))
	f.Fuzz(func(t *testing.T, in []byte, cut uint) {
		whole := strip(string(in))
		if ref := string(referenceStrip(in)); whole != ref {
			t.Fatalf("strip(%q) = %q, reference %q", in, whole, ref)
		}
		k := int(cut % uint(len(in)+1))
		if split := strip(string(in[:k]), string(in[k:])); split != whole {
			t.Fatalf("split at %d: %q, whole: %q", k, split, whole)
		}
	})
}

func BenchmarkStripANSI(b *testing.B) {
	chunk := bytes.Repeat([]byte("a plain log line without escapes, \x1b[32mgreen\x1b[0m\n"), 1200)
	var s StripANSI
	buf := make([]byte, 0, len(chunk))
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		buf = s.Append(buf[:0], chunk)
	}
}
