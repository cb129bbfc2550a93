package xmlrpc

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// goldens mirror the cases of testdata/gen.py, whose output in
// testdata/golden is what Python's xmlrpc.client.dumps writes.
var goldens = []struct {
	name   string
	method string // a call if set
	params []any
	value  any    // a response unless fault is set
	fault  *Fault // a fault response
}{
	{name: "call_noparams", method: "supervisor.getState"},
	{name: "call_readlog", method: "supervisor.readLog", params: []any{-100, 0}},
	{name: "call_startprocess", method: "supervisor.startProcess", params: []any{"grp:proc", true}},
	{name: "call_sendstdin", method: "supervisor.sendProcessStdin",
		params: []any{"cat", "h\u00e9llo \u2603 \U0001F600 & <tag> \"q\" 'a' ]]>\n\ttab"}},
	{name: "call_multicall", method: "system.multicall", params: []any{[]Struct{
		{{"methodName", "supervisor.getState"}, {"params", []any{}}},
		{{"methodName", "supervisor.readLog"}, {"params", []any{-100, 0}}},
	}}},
	{name: "resp_int", value: 42},
	{name: "resp_int_neg", value: int64(-7)},
	{name: "resp_int_max", value: int32(math.MaxInt32)},
	{name: "resp_int_min", value: math.MinInt32},
	{name: "resp_true", value: true},
	{name: "resp_false", value: false},
	{name: "resp_string", value: "RUNNING"},
	{name: "resp_string_empty", value: ""},
	{name: "resp_string_unicode", value: "\u65e5\u672c\u8a9e \u00f1 \U0001F600"},
	{name: "resp_string_escape", value: "a & b < c > d \" ' ]]> &amp;"},
	{name: "resp_string_space", value: "  lead\n\ttrail  \n"},
	{name: "resp_doubles", value: []any{0.0, math.Copysign(0, -1), 1.5, 0.1, 100.0, 1e16, 1e15,
		9999999999999998.0, 1.0000000000000002, 1e-05, 0.0001, 123456789.123, 1.7976931348623157e308,
		5e-324, -2.5e-10, 1e22, math.Inf(1), math.Inf(-1), math.NaN()}},
	{name: "resp_datetime", value: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
	{name: "resp_datetime_early", value: time.Date(5, 6, 7, 8, 9, 10, 0, time.UTC)},
	{name: "resp_base64_empty", value: []byte{}},
	{name: "resp_base64_short", value: []byte("\x00\x01\xfe\xff hi")},
	{name: "resp_base64_long", value: func() []byte {
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}()},
	{name: "resp_array_empty", value: []any{}},
	{name: "resp_array_mixed", value: []any{1, "two", 3.0, true, []any{}, map[string]any{}}},
	{name: "resp_struct_empty", value: map[string]any{}},
	{name: "resp_struct_keys", value: Struct{{"a&b", 1}, {"<k>", 2}, {"", 3}, {"\u00fc", 4}}},
	{name: "resp_process_info", value: processInfo("web", 1234)},
	{name: "resp_all_process_info", value: []Struct{processInfo("web", 1234), processInfo("db", 99)}},
	{name: "resp_nested", value: nested(12)},
	{name: "resp_nil", value: nil},
	{name: "resp_array_nil", value: []any{nil, 1, nil}},
	{name: "fault_unknown_method", fault: &Fault{1, "UNKNOWN_METHOD"}},
	{name: "fault_escape", fault: &Fault{10, "BAD_NAME: <foo> & bar"}},
	{name: "fault_unicode", fault: &Fault{70, "NOT_RUNNING: \u00fcn\u00ef"}},
}

func TestGolden(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", "golden", g.name+".xml"))
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			switch {
			case g.method != "":
				got = EncodeCall(g.method, g.params...)
			case g.fault != nil:
				got = EncodeFault(g.fault.Code, g.fault.String)
			default:
				got = EncodeResponse(g.value)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("encoding differs from Python's\n got: %q\nwant: %q", got, want)
			}

			switch {
			case g.method != "":
				method, params, err := ParseCall(want)
				if err != nil || method != g.method || !equal(params, normalize(g.params)) {
					t.Errorf("ParseCall = %q, %#v, %v", method, params, err)
				}
			case g.fault != nil:
				v, err := ParseResponse(want)
				var f *Fault
				if !errors.As(err, &f) || *f != *g.fault || v != nil {
					t.Errorf("ParseResponse = %#v, %v; want fault %v", v, err, g.fault)
				}
			default:
				v, err := ParseResponse(want)
				if err != nil || !equal(v, normalize(g.value)) {
					t.Errorf("ParseResponse = %#v, %v", v, err)
				}
			}
		})
	}
}

func TestGoldenFilesHaveCases(t *testing.T) {
	names := map[string]bool{}
	for _, g := range goldens {
		names[g.name] = true
	}
	files, _ := filepath.Glob("testdata/golden/*.xml")
	if len(files) == 0 {
		t.Fatal("no golden files; run testdata/gen.py")
	}
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".xml"); !names[name] {
			t.Errorf("%s has no case in goldens", f)
		}
	}
}
