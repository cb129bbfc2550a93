package jsonapi

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

var fuzzParams = params{"wait": kindBool, "offset": kindInt, "since": kindText}

// parseQuery never panics, accepts only the parameters it is given, each
// once, each of its type, and what it accepts reads back as it was given.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "wait=true", "wait=false&offset=-12", "offset=1.5", "wait=1", "x=1", "wait=true&wait=true",
		"since=a%20b", "%zz", "offset=99999999999999999999", "since=&wait=false", ";", "wait"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := parseQuery(raw, fuzzParams)
		if err != nil {
			if v != nil {
				t.Fatal("values with an error")
			}
			return
		}
		q, qerr := url.ParseQuery(raw)
		if qerr != nil {
			t.Fatalf("%q accepted though it does not parse: %v", raw, qerr)
		}
		for name, s := range v {
			k, ok := fuzzParams[name]
			if !ok || len(q[name]) != 1 || q[name][0] != s {
				t.Fatalf("%q: %s=%q", raw, name, s)
			}
			switch k {
			case kindBool:
				if s != "true" && s != "false" || v.flag(name, s != "true") != (s == "true") {
					t.Fatalf("%q: bool %q", raw, s)
				}
			case kindInt:
				n, err := strconv.ParseInt(s, 10, 64)
				if err != nil || v.int(name, n+1) != n {
					t.Fatalf("%q: int %q", raw, s)
				}
			}
		}
		if len(v) != len(q) {
			t.Fatalf("%q: %d values of %d", raw, len(v), len(q))
		}
	})
}

// decodeBody never panics; it accepts exactly one JSON object with only the
// body's fields, and refuses anything else with an *Error (400 or 413).
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{`{"signal":"HUP"}`, `{"signal":"HUP"} `, `{"signal":"HUP"}{}`, `{"signal":1}`, `{"x":1}`, `[]`, ``,
		`{"signal":"HUP","signal":"TERM"}`, `{"signal":null}`, `{"data":"x"}`, `{"data":null}`, `{"data":"\ud800"}`, `nul`, "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, b := range []body{&signalBody{}, &stdinBody{}} {
			err := decodeBody(strings.NewReader(s), b)
			if err == nil {
				if err := b.check(); err != nil {
					t.Fatalf("%q accepted but fails its check: %v", s, err)
				}
				if len(b.auditArgs()) == 0 {
					t.Fatalf("%q: no audit args", s)
				}
				continue
			}
			var e *Error
			if !errors.As(err, &e) || (e.Code != "BAD_ARGUMENTS" && e.Code != codeTooLarge) || e.Message == "" {
				t.Fatalf("%q: %T %v", s, err, err)
			}
		}
	})
}

// parseSince never panics and reads back what eventID writes.
func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"", "0", "42", "3f9a2c1b-42", "-1", "x-1", "3f9a2c1b-", "3F-1", "1-2-3", "18446744073709551615", "18446744073709551616"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		epoch, seq, err := parseSince(s)
		if err != nil {
			return
		}
		if strings.Trim(epoch, "0123456789abcdef") != "" || epoch == "" && strings.Contains(s, "-") {
			t.Fatalf("%q: epoch %q", s, epoch)
		}
		e2, s2, err := parseSince(eventID(cmpOrEpoch(epoch), seq))
		if err != nil || s2 != seq || e2 != cmpOrEpoch(epoch) {
			t.Fatalf("%q: round trip %q %d %v", s, e2, s2, err)
		}
	})
}

func cmpOrEpoch(e string) string {
	if e == "" {
		return "0"
	}
	return e
}
