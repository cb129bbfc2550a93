package xmlrpc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func addGoldens(f *testing.F, prefix string) {
	files, _ := filepath.Glob("testdata/golden/" + prefix + "*.xml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParseCall: no input panics, and whatever parses encodes to a call that
// parses to the same thing.
func FuzzParseCall(f *testing.F) {
	addGoldens(f, "call_")
	f.Add([]byte("<methodCall><methodName>a</methodName><params><param><value><ex:nil/></value></param></params></methodCall>"))
	f.Add([]byte("<?xml version='1.0' encoding='latin1'?><methodCall><methodName>\xe9&#13;</methodName></methodCall>"))
	f.Fuzz(func(t *testing.T, body []byte) {
		method, params, err := ParseCall(body)
		if err != nil {
			return
		}
		method2, params2, err := ParseCall(EncodeCall(method, params...))
		if err != nil || method2 != method || !equal(params2, params) {
			t.Fatalf("%q %#v re-parsed as %q %#v, %v", method, params, method2, params2, err)
		}
	})
}

// FuzzParseResponse: as FuzzParseCall, faults included.
func FuzzParseResponse(f *testing.F) {
	addGoldens(f, "resp_")
	addGoldens(f, "fault_")
	f.Add([]byte(resp("<value><double>-nan</double></value>")))
	f.Add([]byte(resp("<value><dateTime.iso8601>00000101T0:00:00</dateTime.iso8601></value>")))
	f.Add([]byte(resp("<value><base64> aGVs\nbG8= </base64></value>")))
	f.Add([]byte(resp(strings.Repeat("<value><array><data>", maxDepth) + strings.Repeat("</data></array></value>", maxDepth))))
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := ParseResponse(body)
		var f *Fault
		switch {
		case errors.As(err, &f):
			_, err2 := ParseResponse(EncodeFault(f.Code, f.String))
			if f2, ok := err2.(*Fault); !ok || *f2 != *f {
				t.Fatalf("fault %#v re-parsed as %v", f, err2)
			}
		case err == nil:
			v2, err := ParseResponse(EncodeResponse(v))
			if err != nil || !equal(v2, v) {
				t.Fatalf("%#v re-parsed as %#v, %v", v, v2, err)
			}
		}
	})
}
