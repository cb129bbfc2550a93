package xmlrpc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"
)

const python = "/usr/bin/python3"

// pyCases are sent to Python as responses and as calls. want is what
// Python should read back when it is not the value itself.
var pyCases = []struct {
	name string
	in   any
	want any
}{
	{name: "ints beyond 32 bits", in: []any{math.MaxInt64, math.MinInt64, 1 << 31, -(1 << 31) - 1, uint32(math.MaxUint32)}},
	{name: "carriage returns", in: "a\r\nb\rc\r"},
	{name: "control characters", in: "a\x00b\x1bc\x7f\x0c", want: "a\uFFFDb\uFFFDc\x7f\uFFFD"},
	{name: "invalid UTF-8", in: "a\xffb\xed\xa0\x80c", want: "a\uFFFDb\uFFFD\uFFFD\uFFFDc"},
	{name: "noncharacters", in: "\uFFFE\uFFFF\U0010FFFF", want: "\uFFFD\uFFFD\U0010FFFF"},
	{name: "struct names", in: Struct{{"\r", 1}, {"&<>", 2}, {"\x00", 3}}, want: map[string]any{"\r": 1, "&<>": 2, "\uFFFD": 3}},
	{name: "time in a zone", in: time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.FixedZone("", 5*3600))},
	{name: "deepest nesting", in: nested(maxDepth)},
	{name: "doubles", in: []any{1.0 / 3, 2.0 / 3, math.Pi * 1e-300, math.E * 1e300, 4.35, 0.3, 1e-4, 9.999999999999999e-5, 1e16 - 2, float32(0.1), -1e-310}},
	{name: "utf-8 base64", in: []byte("caf\u00e9")},
	{name: "nils", in: Struct{{"a", nil}, {"b", []any{nil}}}},
}

func TestPythonReadsOurEncoding(t *testing.T) {
	if err := exec.Command(python, "-c", "import supervisor.xmlrpc").Run(); err != nil {
		t.Skip("SKIPPING COMPARISON WITH PYTHON: ", python, " cannot import supervisor: ", err)
	}
	type check struct {
		name   string
		doc    []byte
		method string // "" for a response
		params []any
	}
	var checks []check
	add := func(name string, in, want any) {
		checks = append(checks,
			check{name + " (response)", EncodeResponse(in), "", []any{want}},
			check{name + " (call)", EncodeCall("supervisor.test", in), "supervisor.test", []any{want}})
	}
	for _, c := range pyCases {
		want := c.want
		if want == nil {
			want = normalize(c.in)
		}
		add(c.name, c.in, want)
	}
	for _, g := range goldens {
		if g.method == "" && g.fault == nil {
			add("golden "+g.name, g.value, normalize(g.value))
		}
	}
	checks = append(checks, check{"method name", EncodeCall("a&b<c>"), "a&b<c>", []any{}})

	docs := make([]string, len(checks))
	for i, c := range checks {
		docs[i] = string(c.doc)
	}
	results := runPython(t, docs)
	if len(results) != len(checks) {
		t.Fatalf("python returned %d results for %d documents", len(results), len(checks))
	}
	for i, c := range checks {
		r := results[i]
		if got := r.Client.value(t); r.Client.Method != c.method || !equal(got, c.params) {
			t.Errorf("%s: Python's client read %q %#v (%s), want %q %#v", c.name, r.Client.Method, got, r.Client.Error, c.method, c.params)
		}
		if c.method == "" {
			continue
		}
		want, ok := serverForm(c.params)
		if !ok {
			if r.Server.Error == "" {
				t.Errorf("%s: Supervisor's parser read base64 that is not UTF-8", c.name)
			}
			continue
		}
		if got := r.Server.value(t); r.Server.Method != c.method || !equal(got, want) {
			t.Errorf("%s: Supervisor's parser read %q %#v (%s), want %q %#v", c.name, r.Server.Method, got, r.Server.Error, c.method, want)
		}
	}

	faults := runPython(t, []string{string(EncodeFault(91, "STILL_RUNNING: a\r<b>\x01"))})
	if f := faults[0].Client.Fault; len(f) != 2 || f[0] != 91.0 || f[1] != "STILL_RUNNING: a\r<b>\uFFFD" {
		t.Errorf("Python read the fault as %#v (%s)", f, faults[0].Client.Error)
	}
}

type pyLoad struct {
	Method string
	Params any
	Fault  []any
	Error  string
}

func (l pyLoad) value(t *testing.T) any {
	if l.Error != "" {
		return nil
	}
	v, err := untag(l.Params)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func runPython(t *testing.T, docs []string) []struct{ Client, Server pyLoad } {
	t.Helper()
	in, err := json.Marshal(docs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "testdata/pyloads.py")
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pyloads.py: %v", err)
	}
	var results []struct{ Client, Server pyLoad }
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatal(err)
	}
	return results
}

// untag rebuilds a value from pyloads.py's tagged JSON.
func untag(j any) (any, error) {
	if j == nil {
		return nil, nil
	}
	m, ok := j.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, fmt.Errorf("bad tagged value %#v", j)
	}
	for typ, v := range m {
		s, _ := v.(string)
		switch typ {
		case "bool":
			return v, nil
		case "str":
			return s, nil
		case "int":
			return strconv.Atoi(s)
		case "float":
			return strconv.ParseFloat(s, 64)
		case "bytes":
			return base64.StdEncoding.DecodeString(s)
		case "time":
			return time.Parse("2006-01-02T15:04:05", s)
		case "array":
			a := []any{}
			for _, e := range v.([]any) {
				u, err := untag(e)
				if err != nil {
					return nil, err
				}
				a = append(a, u)
			}
			return a, nil
		case "struct":
			s := map[string]any{}
			for k, e := range v.(map[string]any) {
				u, err := untag(e)
				if err != nil {
					return nil, err
				}
				s[k] = u
			}
			return s, nil
		}
	}
	return nil, fmt.Errorf("bad tagged value %#v", j)
}

// serverForm is what Supervisor's request parser makes of a value: base64
// becomes a string, and is refused if it is not UTF-8.
func serverForm(v any) (any, bool) {
	switch v := v.(type) {
	case []byte:
		return string(v), utf8.Valid(v)
	case []any:
		a := []any{}
		for _, e := range v {
			f, ok := serverForm(e)
			if !ok {
				return nil, false
			}
			a = append(a, f)
		}
		return a, true
	case map[string]any:
		m := map[string]any{}
		for k, e := range v {
			f, ok := serverForm(e)
			if !ok {
				return nil, false
			}
			m[k] = f
		}
		return m, true
	}
	return v, true
}
