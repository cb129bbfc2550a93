package xmlrpc

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Python's int() and float() ignore surrounding white space; its boolean
// and dateTime readers do not.

func parseInt(s string) (int, error) {
	i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, errors.Unwrap(err) // the *NumError repeats the text
	}
	return int(i), nil
}

func parseBool(s string) (bool, error) {
	switch s {
	case "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, errors.New("not 0 or 1")
}

// parseDouble follows Python's float(): no hex floats, a signed NaN, and
// overflow reads as infinity.
func parseDouble(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "xX") {
		return 0, strconv.ErrSyntax
	}
	if len(s) == 4 && (s[0] == '-' || s[0] == '+') && strings.EqualFold(s[1:], "nan") {
		s = s[1:] // Go refuses a signed NaN
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, errors.Unwrap(err)
	}
	return f, nil
}

// parseTime refuses the fractional seconds time.Parse would accept.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil || strings.ContainsAny(s, ".,") {
		return time.Time{}, errors.New("not YYYYMMDDTHH:MM:SS")
	}
	return t, nil
}

// parseBase64 skips white space anywhere, as Python's decoder does; it
// is otherwise strict.
func parseBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}
