package xmlrpc

import (
	"math"
	"strings"
	"testing"
	"time"
)

// value encodes v alone, without the response around it.
func value(v any) string {
	return string(appendValue(nil, v, 0))
}

func TestEncodeValue(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"int64 beyond 32 bits", int64(math.MaxInt64), "<value><int>9223372036854775807</int></value>\n"},
		{"int64 min", int64(math.MinInt64), "<value><int>-9223372036854775808</int></value>\n"},
		{"uint64", uint64(math.MaxUint64), "<value><int>18446744073709551615</int></value>\n"},
		{"uint8 is an int", uint8(7), "<value><int>7</int></value>\n"},
		{"float32", float32(0.5), "<value><double>0.5</double></value>\n"},
		{"nil has no newline", nil, "<value><nil/></value>"},
		{"nil []any", []any(nil), "<value><array><data>\n</data></array></value>\n"},
		{"[]string", []string{"a"}, "<value><array><data>\n<value><string>a</string></value>\n</data></array></value>\n"},
		{"map sorted", map[string]any{"b": 1, "a": 2},
			"<value><struct>\n<member>\n<name>a</name>\n<value><int>2</int></value>\n</member>\n<member>\n<name>b</name>\n<value><int>1</int></value>\n</member>\n</struct></value>\n"},
		{"time in its own zone", time.Date(2024, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -3600)),
			"<value><dateTime.iso8601>20241231T23:59:59</dateTime.iso8601></value>\n"},
		{"year 0", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), "<value><dateTime.iso8601>00000101T00:00:00</dateTime.iso8601></value>\n"},
		{"base64 exactly one line", []byte(strings.Repeat("x", 57)),
			"<value><base64>\n" + strings.Repeat("eHh4", 19) + "\n</base64></value>\n"},
		{"carriage return", "a\r\nb", "<value><string>a&#13;\nb</string></value>\n"},
		{"tab and newline raw", "\t\n", "<value><string>\t\n</string></value>\n"},
		{"control characters", "a\x00b\x1bc\x7f", "<value><string>a\uFFFDb\uFFFDc\x7f</string></value>\n"},
		{"invalid UTF-8", "a\xffb\xed\xa0\x80c", "<value><string>a\uFFFDb\uFFFD\uFFFD\uFFFDc</string></value>\n"},
		{"noncharacters", "\uFFFE\uFFFF\uFFFD\U0010FFFF", "<value><string>\uFFFD\uFFFD\uFFFD\U0010FFFF</string></value>\n"},
		{"quotes raw", `"'`, "<value><string>\"'</string></value>\n"},
		{"escaped struct name", Struct{{"a\r<", 1}}, "<value><struct>\n<member>\n<name>a&#13;&lt;</name>\n<value><int>1</int></value>\n</member>\n</struct></value>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := value(tt.in); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestEncodeCallEscapesMethod(t *testing.T) {
	method, _, err := ParseCall(EncodeCall("a&b<c>\r"))
	if err != nil || method != "a&b<c>\r" {
		t.Errorf("ParseCall = %q, %v", method, err)
	}
}

func TestFloatRepr(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {1, "1.0"}, {-1.5, "-1.5"}, {0.1, "0.1"},
		{1e15, "1000000000000000.0"}, {1e16, "1e+16"}, {1.5e16, "1.5e+16"}, {123456789012345.6, "123456789012345.6"},
		{0.0001, "0.0001"}, {0.00012, "0.00012"}, {0.00001, "1e-05"}, {1.5e-7, "1.5e-07"},
		{1e100, "1e+100"}, {math.MaxFloat64, "1.7976931348623157e+308"}, {math.SmallestNonzeroFloat64, "5e-324"},
		{math.NaN(), "nan"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
	}
	for _, tt := range tests {
		if got := string(appendFloatRepr(nil, tt.in)); got != tt.want {
			t.Errorf("appendFloatRepr(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEncodePanics(t *testing.T) {
	cyclic := []any{nil}
	cyclic[0] = cyclic
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"unsupported type", struct{}{}, "cannot encode a value of type struct {}"},
		{"pointer", new(int), "cannot encode a value of type *int"},
		{"cycle", cyclic, "nested more than 100"},
		{"too deep", nested(maxDepth + 1), "nested more than 100"},
		{"year 10000", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "year 10000"},
		{"negative year", time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), "year -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tt.want) {
					t.Errorf("panic %v, want one containing %q", r, tt.want)
				}
			}()
			EncodeResponse(tt.in)
		})
	}
}

// TestRoundTrip encodes values of every type and parses them back.
func TestRoundTrip(t *testing.T) {
	values := []any{
		0, -1, math.MaxInt64, math.MinInt64, true, false, "", "plain", "\r\n\t&<>\"'\U0001F600 ]]>",
		1.5, math.Copysign(0, -1), math.Inf(-1), math.NaN(), 1e-320,
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), []byte{}, []byte(strings.Repeat("\x00\xff", 100)),
		nil, []any{}, []any{nil, []any{nil}}, map[string]any{}, processInfo("p", 1),
		[]Struct{processInfo("a", 1), processInfo("b", 2)}, nested(maxDepth),
		map[string]any{"\r": map[string]any{"": []any{Struct{}}}},
	}
	for _, v := range values {
		want := normalize(v)
		got, err := ParseResponse(EncodeResponse(v))
		if err != nil || !equal(got, want) {
			t.Errorf("response %#v: got %#v, %v", v, got, err)
		}
		method, params, err := ParseCall(EncodeCall("m", v, v))
		if err != nil || method != "m" || !equal(params, []any{want, want}) {
			t.Errorf("call %#v: got %q %#v, %v", v, method, params, err)
		}
	}
	_, err := ParseResponse(EncodeFault(-3, "a\r<b>"))
	if f, ok := err.(*Fault); !ok || *f != (Fault{-3, "a\r<b>"}) || err.Error() != "xmlrpc fault -3: a\r<b>" {
		t.Errorf("fault: got %v", err)
	}
}
