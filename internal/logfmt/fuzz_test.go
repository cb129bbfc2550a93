package logfmt

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzFramer feeds data in the pieces plan cuts it into, with flushes in
// between, and checks what comes out: in text formats, each line is a
// header and the bytes the program wrote (plus a newline at the end of
// the stream if it had none); in json, each line a valid object, whose
// messages joined again give the bytes with each one outside valid UTF-8
// replaced by U+FFFD.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("one\ntwo\nthree"), []byte{3, 0, 5}, uint8(0), false)
	f.Add([]byte("a\xe2\x82\xacb\xff\n\x1b[1m\u2028\n"), []byte{2, 1, 0, 1}, uint8(2), false)
	f.Add([]byte("0123456789abcdefghijklmnopqrstuvwxyz\n"), []byte{30, 7}, uint8(1), true)
	f.Add([]byte("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"), []byte{5, 0, 6}, uint8(2), false)
	f.Fuzz(func(t *testing.T, data, plan []byte, kind uint8, prefix bool) {
		format := []Format{Raw, Timestamped, JSON}[kind%3]
		if format == Raw {
			prefix = true
		}
		fr := New(format, prefix, web)
		fr.max = 16 // so pieces written for their size are frequent
		var out []byte
		rest := data
		for i := 0; len(rest) > 0; i++ {
			n := len(rest)
			if len(plan) > 0 {
				p := plan[i%len(plan)]
				if p == 0 {
					out = fr.Flush(out)
					if i > 4*len(data)+len(plan) {
						n = 1 // a plan of only flushes still ends
					} else {
						continue
					}
				} else {
					n = min(int(p), len(rest))
				}
			}
			out = fr.Append(out, rest[:n], 7, t0.Add(time.Duration(i)*time.Millisecond))
			rest = rest[n:]
		}
		out = fr.End(out)
		if len(data) == 0 && len(out) != 0 {
			t.Fatalf("nothing in, %q out", out)
		}
		if format == JSON {
			checkJSONStream(t, out, data)
		} else {
			checkTextStream(t, out, data, format == Timestamped, prefix)
		}
	})
}

func checkTextStream(t *testing.T, out, data []byte, stamped, prefix bool) {
	want := data
	if len(data) > 0 && data[len(data)-1] != '\n' {
		want = append(bytes.Clone(data), '\n')
	}
	var got []byte
	for _, line := range bytes.SplitAfter(out, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		if stamped {
			// TimeLayout's 24 bytes and a space.
			if len(line) < 25 || line[24] != ' ' {
				t.Fatalf("no time on %q in %q", line, out)
			}
			if _, err := time.Parse(TimeLayout, string(line[:24])); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			line = line[25:]
		}
		if prefix {
			var ok bool
			if line, ok = bytes.CutPrefix(line, []byte(web.Process+" | ")); !ok {
				t.Fatalf("no prefix on %q in %q", line, out)
			}
		}
		got = append(got, line...)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("lines carry %q, want %q (out %q)", got, want, out)
	}
}

func checkJSONStream(t *testing.T, out, data []byte) {
	var got []byte
	for _, line := range bytes.SplitAfter(out, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		if !utf8.Valid(line) || !json.Valid(line) || bytes.Count(line, []byte{'\n'}) != 1 {
			t.Fatalf("not one JSON line: %q", line)
		}
		var m struct {
			Message string
			Partial bool
		}
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m.Message...)
		if !m.Partial {
			got = append(got, '\n')
		}
	}
	var want []byte
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		want = utf8.AppendRune(want, r)
		data = data[n:]
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("messages carry %q, want %q (out %q)", got, want, out)
	}
}
