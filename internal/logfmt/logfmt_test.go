package logfmt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// t0 is the time of the golden outputs, in UTC so they hold in any zone.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 89_000_000, time.UTC)

var web = Source{Program: "web", Group: "front", Process: "web_0", Stream: "stdout"}

// step is one thing done to a framer: a chunk read at t0+at, or a flush
// ("flush", the caller's silence timer) or the end of the stream ("end").
type step struct {
	at   time.Duration
	data string
	op   string
}

func chunk(at time.Duration, data string) step { return step{at: at, data: data} }

var (
	flush = step{op: "flush"}
	end   = step{op: "end"}
)

func run(f *Framer, steps []step) []byte {
	var out []byte
	for _, s := range steps {
		switch s.op {
		case "flush":
			out = f.Flush(out)
		case "end":
			out = f.End(out)
		default:
			out = f.Append(out, []byte(s.data), 4242, t0.Add(s.at))
		}
	}
	return out
}

// The outputs are golden files: testdata/NAME.golden (-update rewrites them).
func TestGolden(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name   string
		format Format
		prefix bool
		max    int // MaxPartial when 0
		steps  []step
	}{
		{"timestamped_lines", Timestamped, false, 0, []step{
			chunk(0, "one\ntwo\n"), chunk(1500*ms, "three\n\n"), end}},
		{"timestamped_partial", Timestamped, false, 0, []step{
			// The time is the line's first byte's; the piece flushed after
			// a silence is continued without a second header.
			chunk(0, "abc"), chunk(10*ms, "def\nghi"), flush, chunk(2000*ms, "jkl\nmno"), end}},
		{"timestamped_prefix", Timestamped, true, 0, []step{
			chunk(0, "GET / 200\r\nGET /x 404\n"), chunk(3*ms, "half"), chunk(4*ms, " and half\n")}},
		{"prefix_raw", Raw, true, 0, []step{
			chunk(0, "one\n"), chunk(ms, "tw"), flush, chunk(2*ms, "o\nthree"), end}},
		{"prefix_max_partial", Raw, true, 8, []step{
			chunk(0, "0123"), chunk(ms, "456789abcdef"), chunk(2*ms, "ghij\nk\n")}},
		{"json_lines", JSON, false, 0, []step{
			chunk(0, "plain\n"),
			chunk(ms, "quote \" backslash \\ tab \t cr \r bell \a esc \x1b[31m del \x7f nul \x00\n"),
			chunk(2*ms, "bad \xff\xfe utf-8 \xe2\x82 cut, \xed\xa0\x80 surrogate\n"),
			chunk(3*ms, "fine: é € 😀, line sep \u2028 para sep \u2029, U+FFFD \ufffd\n"),
			// A character split across reads is one character.
			chunk(4*ms, "split \xe2"), chunk(5*ms, "\x82\xac euro\n"),
			chunk(6*ms, "\n")}},
		{"json_partial", JSON, false, 0, []step{
			chunk(0, "waiting"), flush, chunk(1500*ms, " done\nlast"), end}},
		{"json_max_partial", JSON, false, 8, []step{
			// The piece written for its size keeps a character's first
			// bytes for the next one.
			chunk(0, "0123456\xe2\x82"), chunk(ms, "\xac"), chunk(2*ms, "\n")}},
		{"json_flush_keeps_unfinished_rune", JSON, false, 0, []step{
			chunk(0, "ab\xf0\x9f"), flush, chunk(ms, "\x98\x80\n"), chunk(2*ms, "\xf0"), flush, end}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := web
			if tc.name == "json_lines" {
				src = Source{Program: `we"b`, Group: "g\\", Process: "p\n", Stream: "stderr"}
			}
			f := New(tc.format, tc.prefix, src)
			if tc.max > 0 {
				f.max = tc.max
			}
			got := run(f, tc.steps)
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
			if tc.format == JSON {
				checkJSON(t, got)
			}
		})
	}
}

// checkJSON checks every line is one valid JSON object of the format's keys.
func checkJSON(t *testing.T, out []byte) {
	t.Helper()
	for _, line := range bytes.SplitAfter(out, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		if !utf8.Valid(line) || !json.Valid(line) || line[len(line)-1] != '\n' {
			t.Errorf("not a JSON line: %q", line)
			continue
		}
		var m map[string]any
		json.Unmarshal(line, &m)
		for _, k := range []string{"time", "program", "group", "process", "pid", "stream", "message"} {
			if _, ok := m[k]; !ok {
				t.Errorf("no %q in %s", k, line)
			}
		}
		if _, err := time.Parse(time.RFC3339, m["time"].(string)); err != nil {
			t.Errorf("time: %v", err)
		}
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		format Format
		prefix bool
		nilOK  bool
	}{
		{Raw, false, true}, {Raw, true, false}, {Timestamped, false, false}, {JSON, false, false}, {JSON, true, false},
	} {
		if f := New(tc.format, tc.prefix, web); (f == nil) != tc.nilOK {
			t.Errorf("New(%s, %t) = %v", tc.format, tc.prefix, f)
		}
	}
	// json names the process in each object: no prefix before it.
	if out := New(JSON, true, web).Append(nil, []byte("x\n"), 1, t0); !bytes.HasPrefix(out, []byte(`{"time":`)) {
		t.Errorf("json with prefix wrote %q", out)
	}
}

func TestFormatString(t *testing.T) {
	for f, want := range map[Format]string{Raw: "raw", Timestamped: "timestamped", JSON: "json", 7: "Format(7)"} {
		if got := f.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", f, got, want)
		}
	}
}

// Waiting says when there is something for a flush to write: the logger
// arms its timer on it.
func TestWaiting(t *testing.T) {
	for _, tc := range []struct {
		format Format
		data   string
		want   bool
	}{
		{Timestamped, "", false},
		{Timestamped, "line\n", false},
		{Timestamped, "line\npart", true},
		{Timestamped, "\xe2", true}, // text formats write bytes as they are
		{JSON, "part", true},
		{JSON, "\xe2\x82", false}, // only a character's first bytes: they wait for the rest
		{JSON, "a\xe2\x82", true},
		{JSON, "\xff", true}, // not the start of anything
	} {
		f := New(tc.format, false, web)
		f.Append(nil, []byte(tc.data), 1, t0)
		if got := f.Waiting(); got != tc.want {
			t.Errorf("%s after %q: Waiting() = %t", tc.format, tc.data, got)
		}
	}
}

// A line of many reads, far past MaxPartial, goes out in pieces of about
// MaxPartial (a read more at most) with one header, and nothing is held
// beyond it.
func TestLongLine(t *testing.T) {
	f := New(Timestamped, true, web)
	read := bytes.Repeat([]byte("x"), 256<<10)
	var out []byte
	pieces := 0
	for range 80 { // 20 MiB
		n := len(out)
		out = f.Append(out, read, 1, t0)
		if len(out) > n {
			pieces++
		}
		if len(f.pending) > MaxPartial || cap(f.pending) > 2*MaxPartial {
			t.Fatalf("holding %d bytes (cap %d)", len(f.pending), cap(f.pending))
		}
	}
	out = f.Append(out, []byte("\n"), 1, t0)
	header := t0.Format(TimeLayout) + " web_0 | "
	if want := header + strings.Repeat("x", 80*len(read)) + "\n"; string(out) != want {
		t.Errorf("got %d bytes, want %d, one header", len(out), len(want))
	}
	if pieces != 80 {
		t.Errorf("written in %d pieces, want one per read", pieces)
	}
}

// plainWord agrees with the byte table on every byte value in every
// position.
func TestPlainWord(t *testing.T) {
	for pos := range 8 {
		for b := range 256 {
			w := []byte("abcdefgh")
			w[pos] = byte(b)
			want := b < utf8.RuneSelf && plain[b]
			if got := plainWord(binary.LittleEndian.Uint64(w)); got != want {
				t.Errorf("byte %#x at %d: %t", b, pos, got)
			}
		}
	}
}
