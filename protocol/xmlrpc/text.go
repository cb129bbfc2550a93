package xmlrpc

import (
	"encoding/base64"
	"math"
	"strconv"
	"unicode/utf8"
)

// timeLayout is Python's "%Y%m%dT%H:%M:%S" with the year padded to 4.
const timeLayout = "20060102T15:04:05"

// appendText escapes s as Python does (&, <, > only), plus what Python gets
// wrong: \r as a reference, and characters XML cannot carry as U+FFFD.
func appendText(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '&' && c != '<' && c != '>' {
			i++
			continue
		}
		var esc string
		size := 1
		switch {
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '\r':
			esc = "&#13;"
		case c == '\t' || c == '\n':
			i++
			continue
		case c < 0x20:
			esc = "\uFFFD"
		default:
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			if (r != utf8.RuneError || size > 1) && r != 0xFFFE && r != 0xFFFF {
				i += size
				continue
			}
			esc = "\uFFFD"
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		i += size
		start = i
	}
	return append(b, s[start:]...)
}

// appendFloatRepr writes f as Python's repr does: shortest round-trip
// digits, exponent form only when the decimal point would be more than 16
// places right or 4 places left of the first digit.
func appendFloatRepr(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "nan"...)
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	exp := 0
	for i := len(e) - 1; i >= 0; i-- {
		if e[i] == 'e' {
			exp, _ = strconv.Atoi(string(e[i+1:]))
			break
		}
	}
	if exp < -4 || exp >= 16 {
		return append(b, e...) // Go's form matches: 1e+16, 1.5e-05
	}
	n := len(b)
	b = strconv.AppendFloat(b, f, 'f', -1, 64)
	for _, c := range b[n:] {
		if c == '.' {
			return b
		}
	}
	return append(b, ".0"...)
}

// appendBase64 matches base64.encodebytes: 76-column lines, each ending in
// a newline, and none for empty input.
func appendBase64(b []byte, data []byte) []byte {
	const lineBytes = 57 // 76 columns of output
	b = append(b, "<value><base64>\n"...)
	for len(data) > 0 {
		n := min(len(data), lineBytes)
		b = base64.StdEncoding.AppendEncode(b, data[:n])
		b = append(b, '\n')
		data = data[n:]
	}
	return append(b, "</base64></value>\n"...)
}
