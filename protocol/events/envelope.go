package events

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ProtocolVersion is the "ver:" token of every envelope.
const ProtocolVersion = "3.0"

// Header is the line the daemon writes to a listener's stdin before each
// payload:
//
//	ver:3.0 server:supervisor serial:21 pool:listener poolserial:10 eventname:PROCESS_COMMUNICATION_STDOUT len:54
//
// Server is the [supervisord] identifier, Serial the event's global serial,
// PoolSerial its serial within the pool, and Len the payload's length.
//
// Len counts characters, not bytes: the reference computes it with len() of
// the payload as a Python str and only then encodes the envelope as UTF-8.
// Payloads are ASCII in the common case, where the two agree; a listener
// must read Len UTF-8 characters (see PayloadLen).
type Header struct {
	Ver        string
	Server     string
	Serial     int64
	Pool       string
	PoolSerial int64
	EventName  string
	Len        int
}

// String is the header line without its newline, tokens in the reference's
// order.
func (h Header) String() string { return string(h.appendLine(nil)) }

func (h Header) appendLine(b []byte) []byte {
	b = append(b, "ver:"...)
	b = append(b, h.Ver...)
	b = append(b, " server:"...)
	b = append(b, h.Server...)
	b = append(b, " serial:"...)
	b = strconv.AppendInt(b, h.Serial, 10)
	b = append(b, " pool:"...)
	b = append(b, h.Pool...)
	b = append(b, " poolserial:"...)
	b = strconv.AppendInt(b, h.PoolSerial, 10)
	b = append(b, " eventname:"...)
	b = append(b, h.EventName...)
	b = append(b, " len:"...)
	b = strconv.AppendInt(b, int64(h.Len), 10)
	return b
}

// AppendEnvelope appends the header line, a newline, then payload; the
// header's Len should be PayloadLen(payload).
func (h Header) AppendEnvelope(b []byte, payload string) []byte {
	b = h.appendLine(b)
	b = append(b, '\n')
	return append(b, payload...)
}

// PayloadLen is the "len:" the reference gives a payload: its length in
// characters. Bytes that are not valid UTF-8 count one each.
func PayloadLen(payload string) int { return utf8.RuneCountInString(payload) }

// Envelope is exactly what the reference writes to a listener's stdin for
// ev: header line, newline, payload.
func Envelope(server string, serial int64, pool string, poolSerial int64, ev Event) []byte {
	payload := ev.Payload()
	h := Header{Ver: ProtocolVersion, Server: server, Serial: serial, Pool: pool,
		PoolSerial: poolSerial, EventName: ev.EventType().String(), Len: PayloadLen(payload)}
	return h.AppendEnvelope(make([]byte, 0, 128+len(payload)), payload)
}

// NextSerial is the serial after prev, as the reference numbers events
// (globally, and per pool): the first is 0 (start from prev = -1) and the
// one after math.MaxInt64 is 0 again.
func NextSerial(prev int64) int64 {
	if prev == math.MaxInt64 {
		return 0
	}
	return prev + 1
}

// ErrBadToken is returned for a token with no colon.
var ErrBadToken = errors.New("token has no ':'")

// ParseTokens reads a token set: "key:value" tokens separated by white
// space (what Python's str.split() splits on), as in header lines and
// PROCESS_STATE payloads. A value runs from the first colon to the end of
// the token, so it may hold colons (the reference's childutils would fail
// on those); later duplicates win. A token with no colon is an error.
func ParseTokens(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, tok := range strings.FieldsFunc(s, IsPySpace) {
		k, v, ok := strings.Cut(tok, ":")
		if !ok {
			return nil, fmt.Errorf("%w: %q", ErrBadToken, tok)
		}
		m[k] = v
	}
	return m, nil
}

// IsPySpace reports whether Python's str.isspace() holds for r: Unicode
// white space plus the ASCII separators 0x1c-0x1f.
func IsPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// ParseHeader reads a header line (with or without its newline). It needs
// eventname and a non-negative decimal len; ver, server, serial, pool and
// poolserial are read when present (serials must then be decimal). Tokens
// holds every token, known or not.
func ParseHeader(line string) (h Header, tokens map[string]string, err error) {
	line = strings.TrimSuffix(line, "\n")
	tokens, err = ParseTokens(line)
	if err != nil {
		return Header{}, nil, err
	}
	h.Ver, h.Server, h.Pool = tokens["ver"], tokens["server"], tokens["pool"]
	var ok bool
	if h.EventName, ok = tokens["eventname"]; !ok {
		return Header{}, nil, errors.New("header has no eventname")
	}
	l, ok := tokens["len"]
	if !ok {
		return Header{}, nil, errors.New("header has no len")
	}
	n, err := strconv.ParseInt(l, 10, 0)
	if err != nil || n < 0 || l[0] == '+' {
		return Header{}, nil, fmt.Errorf("header has a bad len %q", l)
	}
	h.Len = int(n)
	if h.Serial, err = serialToken(tokens, "serial"); err != nil {
		return Header{}, nil, err
	}
	if h.PoolSerial, err = serialToken(tokens, "poolserial"); err != nil {
		return Header{}, nil, err
	}
	return h, tokens, nil
}

func serialToken(tokens map[string]string, key string) (int64, error) {
	v, ok := tokens[key]
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || v[0] == '+' {
		return 0, fmt.Errorf("header has a bad %s %q", key, v)
	}
	return n, nil
}
