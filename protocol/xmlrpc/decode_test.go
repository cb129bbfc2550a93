package xmlrpc

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// resp wraps a <value> in a response.
func resp(value string) string {
	return "<methodResponse><params><param>" + value + "</param></params></methodResponse>"
}

func TestParseLenient(t *testing.T) {
	tests := []struct {
		name string
		body string
		want any
	}{
		{"bare value is a string", resp("<value>  a b\n</value>"), "  a b\n"},
		{"empty value", resp("<value></value>"), ""},
		{"self-closed value", resp("<value/>"), ""},
		{"self-closed string", resp("<value><string/></value>"), ""},
		{"i4", resp("<value><i4>-5</i4></value>"), -5},
		{"i8", resp("<value><i8>9223372036854775807</i8></value>"), math.MaxInt64},
		{"int with space", resp("<value><int> +42\n</int></value>"), 42},
		{"int leading zeros", resp("<value><int>007</int></value>"), 7},
		{"double with space", resp("<value><double> 1.5 </double></value>"), 1.5},
		{"double int form", resp("<value><double>2</double></value>"), 2.0},
		{"double underscore", resp("<value><double>1_000.5</double></value>"), 1000.5},
		{"double overflow", resp("<value><double>1e400</double></value>"), math.Inf(1)},
		{"double infinity", resp("<value><double>-Infinity</double></value>"), math.Inf(-1)},
		{"double signed nan", resp("<value><double>-nan</double></value>"), math.NaN()},
		{"base64 spaced", resp("<value><base64> aGVs\r\nbG8= </base64></value>"), []byte("hello")},
		{"base64 empty", resp("<value><base64/></value>"), []byte{}},
		{"single-digit hour", resp("<value><dateTime.iso8601>20240102T3:04:05</dateTime.iso8601></value>"),
			time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"nil", resp("<value><nil/></value>"), nil},
		{"namespaced nil", resp(`<value><ex:nil xmlns:ex="http://ws.apache.org/xmlrpc/namespaces/extensions"/></value>`), nil},
		{"attributes ignored", resp(`<value a="1"><int b='2'>3</int></value>`), 3},
		{"indented", "\n<methodResponse>\n  <params>\n    <param>\n      <value>\n        <int>1</int>\n      </value>\n    </param>\n  </params>\n</methodResponse>\n\n", 1},
		{"comments and PIs", "<!--a--><methodResponse><?pi x?><params><!--b--><param><value><!--c--><int>1</int></value></param></params></methodResponse><!--d-->", 1},
		{"cdata", resp("<value><string><![CDATA[<a&b>]]></string></value>"), "<a&b>"},
		{"references", resp("<value>&#13;&#x1F600;&quot;&apos;&lt;</value>"), "\r\U0001F600\"'<"},
		{"CRLF normalised", resp("<value>a\r\nb\rc</value>"), "a\nb\nc"},
		{"BOM", "\uFEFF<?xml version='1.0'?>" + resp("<value>x</value>"), "x"},
		{"UTF-8 declared", `<?xml version="1.0" encoding="UTF-8"?>` + resp("<value>\u00e9</value>"), "\u00e9"},
		{"latin-1", "<?xml version='1.0' encoding='ISO-8859-1'?>" + resp("<value>\xe9</value>"), "\u00e9"},
		{"us-ascii", "<?xml version='1.0' encoding='us-ascii'?>" + resp("<value>a</value>"), "a"},
		{"duplicate struct member keeps the last", resp("<value><struct><member><name>a</name><value>1</value></member><member><name>a</name><value>2</value></member></struct></value>"),
			map[string]any{"a": "2"}},
		{"empty member name", resp("<value><struct><member><name/><value/></member></struct></value>"), map[string]any{"": ""}},
		{"deepest nesting", resp(strings.Repeat("<value><array><data>", maxDepth) + strings.Repeat("</data></array></value>", maxDepth)),
			func() any {
				var v any = []any{}
				for range maxDepth - 1 {
					v = []any{v}
				}
				return v
			}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseResponse([]byte(tt.body))
			if err != nil || !equal(got, tt.want) {
				t.Errorf("ParseResponse = %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
}

func TestParseCallForms(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		method string
		params []any
	}{
		{"no params element", "<methodCall><methodName>supervisor.getState</methodName></methodCall>", "supervisor.getState", nil},
		{"empty params", "<methodCall><methodName>a</methodName><params/></methodCall>", "a", nil},
		{"name kept verbatim", "<methodCall><methodName> a&amp;b </methodName></methodCall>", " a&b ", nil},
		{"two params", "<methodCall><methodName>m</methodName><params><param><value>x</value></param><param><value><boolean>0</boolean></value></param></params></methodCall>",
			"m", []any{"x", false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, params, err := ParseCall([]byte(tt.body))
			if err != nil || method != tt.method || !equal(params, tt.params) {
				t.Errorf("ParseCall = %q, %#v, %v", method, params, err)
			}
		})
	}
}

func TestParseCallNoMethod(t *testing.T) {
	for _, body := range []string{
		"<methodCall><methodName/></methodCall>",
		"<methodCall><methodName></methodName><params/></methodCall>",
	} {
		if _, _, err := ParseCall([]byte(body)); !errors.Is(err, ErrNoMethod) {
			t.Errorf("ParseCall(%q) = %v, want ErrNoMethod", body, err)
		}
	}
}

const (
	laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>`
	xxe    = `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`
)

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // in the error
	}{
		{"empty", "", "unexpected EOF"},
		{"not XML", "hello", "unexpected text"},
		{"wrong root", "<methodCall><methodName>a</methodName></methodCall>", "unexpected <methodCall>"},
		{"truncated", resp("<value><int>1</int></value>")[:40], "unexpected EOF"},
		{"mismatched tags", resp("<value><int>1</i4></value>"), "closed by"},
		{"unknown type", resp("<value><foo>1</foo></value>"), "unknown type"},
		{"int word", resp("<value><int>abc</int></value>"), "invalid syntax"},
		{"int fraction", resp("<value><int>1.5</int></value>"), "invalid syntax"},
		{"int empty", resp("<value><int/></value>"), "invalid syntax"},
		{"int hex", resp("<value><int>0x10</int></value>"), "invalid syntax"},
		{"int huge", resp("<value><int>" + strings.Repeat("9", 1000) + "</int></value>"), "out of range"},
		{"int just too big", resp("<value><int>9223372036854775808</int></value>"), "out of range"},
		{"boolean word", resp("<value><boolean>true</boolean></value>"), "not 0 or 1"},
		{"boolean spaced", resp("<value><boolean> 1</boolean></value>"), "not 0 or 1"},
		{"double garbage", resp("<value><double>1.2.3</double></value>"), "invalid syntax"},
		{"double hex", resp("<value><double>0x1p3</double></value>"), "invalid syntax"},
		{"date dashed", resp("<value><dateTime.iso8601>2024-01-02T03:04:05</dateTime.iso8601></value>"), "YYYYMMDD"},
		{"date fraction", resp("<value><dateTime.iso8601>20240102T03:04:05.5</dateTime.iso8601></value>"), "YYYYMMDD"},
		{"date month 13", resp("<value><dateTime.iso8601>20241302T03:04:05</dateTime.iso8601></value>"), "YYYYMMDD"},
		{"base64 garbage", resp("<value><base64>!!!!</base64></value>"), "illegal base64"},
		{"base64 unpadded", resp("<value><base64>YQ</base64></value>"), "illegal base64"},
		{"nil with content", resp("<value><nil>x</nil></value>"), "nil with content"},
		{"text beside type", resp("<value>abc<int>1</int></value>"), "beside <int>"},
		{"text after type", resp("<value><int>1</int>x</value>"), "unexpected text"},
		{"two types", resp("<value><int>1</int><int>2</int></value>"), "unexpected <int>"},
		{"element in string", resp("<value><string>a<b/></string></value>"), "unexpected <b> in <string>"},
		{"array without data", resp("<value><array><value>1</value></array></value>"), "unexpected <value>"},
		{"bare item in data", resp("<value><array><data><int>1</int></data></array></value>"), "unexpected <int>"},
		{"member without name", resp("<value><struct><member><value>1</value></member></struct></value>"), "unexpected <value>"},
		{"member without value", resp("<value><struct><member><name>a</name></member></struct></value>"), "unexpected </member>"},
		{"element in name", resp("<value><struct><member><name><i/></name><value/></member></struct></value>"), "unexpected <i> in <name>"},
		{"too deep", resp(strings.Repeat("<value><array><data>", maxDepth+1) + strings.Repeat("</data></array></value>", maxDepth+1)), "nested more than 100"},
		{"very deep", resp(strings.Repeat("<value><struct><member><name>a</name>", 100000)), "nested more than 100"},
		{"no params", "<methodResponse><params></params></methodResponse>", "0 params"},
		{"two params", "<methodResponse><params><param><value/></param><param><value/></param></params></methodResponse>", "2 params"},
		{"neither params nor fault", "<methodResponse><value/></methodResponse>", "unexpected <value>"},
		{"fault not struct", "<methodResponse><fault><value>oops</value></fault></methodResponse>", "faultCode"},
		{"fault code string", "<methodResponse><fault><value><struct><member><name>faultCode</name><value>1</value></member><member><name>faultString</name><value>x</value></member></struct></value></fault></methodResponse>", "faultCode"},
		{"fault without string", "<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member></struct></value></fault></methodResponse>", "faultString"},
		{"trailing element", resp("<value/>") + "<x/>", "after the root"},
		{"trailing text", resp("<value/>") + "x", "after the root"},
		{"billion laughs", laughs + resp("<value>&lol2;</value>"), "directives are not allowed"},
		{"external entity", xxe + resp("<value>&xxe;</value>"), "directives are not allowed"},
		{"undeclared entity", resp("<value>&xxe;</value>"), "invalid character entity"},
		{"invalid UTF-8", resp("<value>\xff</value>"), "invalid UTF-8"},
		{"invalid character", resp("<value>\x01</value>"), "illegal character"},
		{"invalid reference", resp("<value>&#0;</value>"), "illegal character code"},
		{"declaration after text", " <?xml version='1.0'?>" + resp("<value/>"), "not at the start"},
		{"second declaration", "<?xml version='1.0'?><?xml version='1.0' encoding='latin1'?>" + resp("<value/>"), "not at the start"},
		{"declaration inside", "<methodResponse><?xml version='1.0'?></methodResponse>", "not at the start"},
		{"unknown encoding", "<?xml version='1.0' encoding='koi8-r'?>" + resp("<value/>"), "koi8-r"},
		{"high byte in ASCII", "<?xml version='1.0' encoding='ascii'?>" + resp("<value>\xe9</value>"), "US-ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseResponse([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseResponse = %#v, %v; want an error containing %q", v, err, tt.want)
			}
		})
	}
}

func TestParseCallMalformed(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"response", resp("<value/>"), "unexpected <methodResponse>"},
		{"no methodName", "<methodCall><params/></methodCall>", "unexpected <params>"},
		{"element in name", "<methodCall><methodName>a<b/></methodName></methodCall>", "unexpected <b>"},
		{"params before name", "<methodCall><params/><methodName>a</methodName></methodCall>", "unexpected <params>"},
		{"junk after params", "<methodCall><methodName>a</methodName><params/><x/></methodCall>", "unexpected <x>"},
		{"value outside param", "<methodCall><methodName>a</methodName><params><value/></params></methodCall>", "unexpected <value>"},
		{"two roots", "<methodCall><methodName>a</methodName></methodCall><methodCall/>", "after the root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, p, err := ParseCall([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseCall = %q, %#v, %v; want an error containing %q", m, p, err, tt.want)
			}
		})
	}
}

// TestParseTruncated cuts a message short at every byte: each cut before
// the root element closes must be refused.
func TestParseTruncated(t *testing.T) {
	call := EncodeCall("system.multicall", []any{Struct{{"methodName", "a"}, {"params", []any{1, 2.5, "x", []byte("y"), nil}}}})
	end := strings.LastIndex(string(call), "</methodCall>")
	for i := range end {
		if _, _, err := ParseCall(call[:i]); err == nil {
			t.Errorf("ParseCall accepted a cut after %d bytes: %q", i, call[:i])
		}
	}
	res := EncodeResponse(map[string]any{"a": []any{1, true, time.Now()}})
	end = strings.LastIndex(string(res), "</methodResponse>")
	for i := range end {
		if _, err := ParseResponse(res[:i]); err == nil {
			t.Errorf("ParseResponse accepted a cut after %d bytes: %q", i, res[:i])
		}
	}
}
