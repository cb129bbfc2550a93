package sdnotify

import (
	"errors"
	"flag"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected parts of testdata/datagrams.golden")

func TestParse(t *testing.T) {
	f := func(kv ...string) []Field {
		var fs []Field
		for i := 0; i < len(kv); i += 2 {
			fs = append(fs, Field{kv[i], kv[i+1]})
		}
		return fs
	}
	long := strings.Repeat("x", MaxDatagram-len("STATUS="))
	cases := []struct {
		name string
		in   string
		want []Field
		err  error
	}{
		{"empty", "", nil, nil},
		{"one", "READY=1", f("READY", "1"), nil},
		{"trailing newline", "READY=1\n", f("READY", "1"), nil},
		{"several", "READY=1\nSTATUS=up\nMAINPID=42", f("READY", "1", "STATUS", "up", "MAINPID", "42"), nil},
		{"carriage returns", "READY=1\rSTATUS=a\r\nX=y", f("READY", "1", "STATUS", "a", "X", "y"), nil},
		{"empty lines", "\n\nREADY=1\n\n\r\nSTATUS=x\n\n", f("READY", "1", "STATUS", "x"), nil},
		{"only newlines", "\n\r\n", nil, nil},
		{"equals in value", "STATUS=a=b==c", f("STATUS", "a=b==c"), nil},
		{"empty value", "STATUS=", f("STATUS", ""), nil},
		{"nothing trimmed", " STATUS = a\\nb \t", f(" STATUS ", " a\\nb \t"), nil},
		{"no equals dropped", "READY\nSTATUS=x\nnonsense", f("STATUS", "x"), nil},
		{"empty key dropped", "=1\nREADY=1\n==", f("READY", "1"), nil},
		{"repeated key kept", "STATUS=a\nSTATUS=b", f("STATUS", "a", "STATUS", "b"), nil},
		{"not utf-8", "STATUS=\xff\xfe", f("STATUS", "\xff\xfe"), nil},
		{"nul", "READY=1\x00", nil, ErrNUL},
		{"nul in the middle", "READY=1\nSTATUS=a\x00b", nil, ErrNUL},
		{"longest", "STATUS=" + long, f("STATUS", long), nil},
		{"too long", "STATUS=" + long + "x", nil, ErrTooLong},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse([]byte(c.in))
			if !errors.Is(err, c.err) {
				t.Fatalf("Parse(%q) error %v, want %v", c.in, err, c.err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Parse(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	fs, err := Parse([]byte("STATUS=a\nREADY=1\nSTATUS=b\nEMPTY="))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key, want string
		ok        bool
	}{
		{"STATUS", "b", true},
		{"READY", "1", true},
		{"EMPTY", "", true},
		{"MAINPID", "", false},
		{"status", "", false},
	} {
		if got, ok := Lookup(fs, c.key); got != c.want || ok != c.ok {
			t.Errorf("Lookup(%s) = %q, %v; want %q, %v", c.key, got, ok, c.want, c.ok)
		}
	}
	if _, ok := Lookup(nil, "READY"); ok {
		t.Error("Lookup in nothing found something")
	}
	if s := (Field{"READY", "1"}).String(); s != "READY=1" {
		t.Errorf("String = %q", s)
	}
}

// goldenCase is one datagram of testdata/datagrams.golden: the lines before
// it (comments), the datagram, and what Parse gives for it, as written.
type goldenCase struct {
	head     []string
	datagram string
	want     []string
}

func readGolden(t *testing.T) []goldenCase {
	t.Helper()
	b, err := os.ReadFile("testdata/datagrams.golden")
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	var head []string
	for n, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "\t"):
			if len(cases) == 0 || head != nil {
				t.Fatalf("line %d: an expected field with no datagram before it", n+1)
			}
			cases[len(cases)-1].want = append(cases[len(cases)-1].want, line[1:])
		case strings.HasPrefix(line, `"`):
			d, err := strconv.Unquote(line)
			if err != nil {
				t.Fatalf("line %d: %v", n+1, err)
			}
			cases = append(cases, goldenCase{head: head, datagram: d})
			head = nil
		default:
			head = append(head, line)
		}
	}
	if len(cases) < 10 {
		t.Fatalf("only %d golden datagrams", len(cases))
	}
	return cases
}

func describe(d string) []string {
	fs, err := Parse([]byte(d))
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.String()
	}
	return out
}

func TestGolden(t *testing.T) {
	cases := readGolden(t)
	if *update {
		var b strings.Builder
		for _, c := range cases {
			for _, h := range c.head {
				b.WriteString(h + "\n")
			}
			b.WriteString(strconv.Quote(c.datagram) + "\n")
			for _, w := range describe(c.datagram) {
				b.WriteString("\t" + w + "\n")
			}
		}
		if err := os.WriteFile("testdata/datagrams.golden", []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, c := range cases {
		if got := describe(c.datagram); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%q)\n got %q\nwant %q", c.datagram, got, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "READY=1", "READY=1\nSTATUS=x\n", "\r\n=\n", "a=b=c\rd", "READY=1\x00", "WATCHDOG=trigger",
		"MAINPID=123\nSTOPPING=1", "\xff=\xfe",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, err := Parse(b)
		if err != nil {
			if fs != nil {
				t.Fatalf("Parse(%q) gave fields and %v", b, err)
			}
			if strings.IndexByte(string(b), 0) < 0 && len(b) <= MaxDatagram {
				t.Fatalf("Parse(%q) = %v", b, err)
			}
			return
		}
		for _, f := range fs {
			if f.Key == "" || strings.ContainsAny(f.Key, "=\n\r\x00") || strings.ContainsAny(f.Value, "\n\r\x00") {
				t.Fatalf("Parse(%q) gave field %q", b, f)
			}
		}
		// Writing the fields back, one a line, reads back the same.
		var out []byte
		for _, f := range fs {
			out = append(out, f.String()+"\n"...)
		}
		if len(out) > MaxDatagram {
			return
		}
		again, err := Parse(out)
		if err != nil || !reflect.DeepEqual(again, fs) {
			t.Fatalf("Parse(%q) = %q, whose text %q reads back as %q, %v", b, fs, out, again, err)
		}
		for _, f := range fs {
			if v, ok := Lookup(fs, f.Key); !ok || (v != f.Value && countKey(fs, f.Key) == 1) {
				t.Fatalf("Lookup(%q) = %q, %v in %q", f.Key, v, ok, fs)
			}
		}
	})
}

func countKey(fs []Field, key string) int {
	n := 0
	for _, f := range fs {
		if f.Key == key {
			n++
		}
	}
	return n
}
