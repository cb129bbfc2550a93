package conf

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The reference expands options with Python's printf-style "%" operator and a
// dict, and reports Python's own exception texts; these helpers reproduce
// that operator, repr() and int() closely enough that the same configs are
// accepted, expand to the same text and fail with the same words.

// expansions maps names to string or int values, like the reference's dicts.
type expansions map[string]any

func (e expansions) clone() expansions {
	c := make(expansions, len(e))
	for k, v := range e {
		c[k] = v
	}
	return c
}

func (e expansions) sortedNames() []string {
	names := make([]string, 0, len(e))
	for k := range e {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// expand applies s % names and words failures like the reference's expand().
func expand(s string, names expansions, what string) (string, error) {
	out, missing, err := pyPercent(s, names)
	if missing != "" {
		return "", fmt.Errorf("Format string %s for %s contains names (%s) which cannot be expanded. Available names: %s",
			PyRepr(s), PyRepr(what), PyRepr(missing), strings.Join(names.sortedNames(), ", "))
	}
	if err != nil {
		return "", fmt.Errorf("Format string %s for %s is badly formatted: %s", PyRepr(s), PyRepr(what), err.Error())
	}
	return out, nil
}

// pyPercent is Python's str % dict. missing is set to the first key absent
// from names (Python's KeyError); err carries the other Python errors.
func pyPercent(s string, names expansions) (out string, missing string, err error) {
	rs := []rune(s)
	var b strings.Builder
	keyUsed, dictConsumed := false, false
	for i := 0; i < len(rs); i++ {
		if rs[i] != '%' {
			b.WriteRune(rs[i])
			continue
		}
		i++
		if i >= len(rs) {
			return "", "", fmt.Errorf("incomplete format")
		}
		if rs[i] == '%' {
			b.WriteRune('%')
			continue
		}
		var val any
		hasKey := false
		if rs[i] == '(' {
			depth := 1
			start := i + 1
			j := start
			for ; j < len(rs) && depth > 0; j++ {
				switch rs[j] {
				case '(':
					depth++
				case ')':
					depth--
				}
			}
			if depth > 0 {
				return "", "", fmt.Errorf("incomplete format key")
			}
			key := string(rs[start : j-1])
			v, ok := names[key]
			if !ok {
				return "", key, nil
			}
			val, hasKey, keyUsed = v, true, true
			i = j
		}
		// flags
		var left, plus, space, alt, zero bool
	flags:
		for ; i < len(rs); i++ {
			switch rs[i] {
			case '-':
				left = true
			case '+':
				plus = true
			case ' ':
				space = true
			case '#':
				alt = true
			case '0':
				zero = true
			default:
				break flags
			}
		}
		width, prec := -1, -1
		if i < len(rs) && rs[i] == '*' {
			if keyUsed || dictConsumed {
				return "", "", fmt.Errorf("not enough arguments for format string")
			}
			return "", "", fmt.Errorf("* wants int")
		}
		for ; i < len(rs) && rs[i] >= '0' && rs[i] <= '9'; i++ {
			if width < 0 {
				width = 0
			}
			width = width*10 + int(rs[i]-'0')
			if width > 1<<20 {
				return "", "", fmt.Errorf("width too big")
			}
		}
		if i < len(rs) && rs[i] == '.' {
			i++
			prec = 0
			if i < len(rs) && rs[i] == '*' {
				return "", "", fmt.Errorf("not enough arguments for format string")
			}
			for ; i < len(rs) && rs[i] >= '0' && rs[i] <= '9'; i++ {
				prec = prec*10 + int(rs[i]-'0')
				if prec > 1<<20 {
					return "", "", fmt.Errorf("precision too big")
				}
			}
		}
		for i < len(rs) && (rs[i] == 'h' || rs[i] == 'l' || rs[i] == 'L') {
			i++
		}
		if i >= len(rs) {
			return "", "", fmt.Errorf("incomplete format")
		}
		conv := rs[i]
		if !hasKey {
			if keyUsed || dictConsumed {
				return "", "", fmt.Errorf("not enough arguments for format string")
			}
			dictConsumed = true
			val = names
		}
		text, err := pyConvert(conv, val, i, alt, plus, space, prec)
		if err != nil {
			return "", "", err
		}
		numeric := strings.ContainsRune("diuoxXeEfFgG", conv)
		if width > utf8.RuneCountInString(text) {
			pad := width - utf8.RuneCountInString(text)
			switch {
			case left:
				text += strings.Repeat(" ", pad)
			case zero && numeric:
				sign := ""
				if text != "" && strings.ContainsRune("+- ", rune(text[0])) {
					sign, text = text[:1], text[1:]
				}
				prefix := ""
				if alt && len(text) >= 2 && text[0] == '0' && strings.ContainsRune("xXo", rune(text[1])) {
					prefix, text = text[:2], text[2:]
				}
				text = sign + prefix + strings.Repeat("0", pad) + text
			default:
				text = strings.Repeat(" ", pad) + text
			}
		}
		b.WriteString(text)
	}
	return b.String(), "", nil
}

func pyTypeName(v any) string {
	switch v.(type) {
	case int:
		return "int"
	case string:
		return "str"
	default:
		return "dict"
	}
}

func pyConvert(conv rune, val any, idx int, alt, plus, space bool, prec int) (string, error) {
	signed := func(s string, neg bool) string {
		switch {
		case neg:
			return "-" + s
		case plus:
			return "+" + s
		case space:
			return " " + s
		}
		return s
	}
	switch conv {
	case 's', 'r', 'a':
		var s string
		switch v := val.(type) {
		case int:
			s = strconv.Itoa(v)
		case string:
			s = v
			if conv != 's' {
				s = PyRepr(v)
			}
		case expansions:
			s = pyDictRepr(v)
		}
		if prec >= 0 && prec < utf8.RuneCountInString(s) {
			s = string([]rune(s)[:prec])
		}
		return s, nil
	case 'd', 'i', 'u', 'o', 'x', 'X':
		n, ok := val.(int)
		if !ok {
			kind := "a real number"
			if conv == 'o' || conv == 'x' || conv == 'X' {
				kind = "an integer"
			}
			return "", fmt.Errorf("%%%c format: %s is required, not %s", conv, kind, pyTypeName(val))
		}
		neg := n < 0
		u := uint64(n)
		if neg {
			u = uint64(-int64(n))
		}
		var digits string
		switch conv {
		case 'o':
			digits = strconv.FormatUint(u, 8)
		case 'x', 'X':
			digits = strconv.FormatUint(u, 16)
		default:
			digits = strconv.FormatUint(u, 10)
		}
		if prec > len(digits) {
			digits = strings.Repeat("0", prec-len(digits)) + digits
		}
		if alt && conv == 'o' {
			digits = "0o" + digits
		}
		if alt && (conv == 'x' || conv == 'X') {
			digits = "0x" + digits
		}
		if conv == 'X' {
			digits = strings.ToUpper(digits)
		}
		return signed(digits, neg), nil
	case 'e', 'E', 'f', 'F', 'g', 'G':
		n, ok := val.(int)
		if !ok {
			return "", fmt.Errorf("must be real number, not %s", pyTypeName(val))
		}
		if prec < 0 {
			prec = 6
		}
		f := float64(n)
		var s string
		switch conv {
		case 'e', 'E':
			s = strconv.FormatFloat(math.Abs(f), 'e', prec, 64)
		case 'f', 'F':
			s = strconv.FormatFloat(math.Abs(f), 'f', prec, 64)
		default:
			if prec == 0 {
				prec = 1
			}
			s = strconv.FormatFloat(math.Abs(f), 'g', prec, 64)
			if alt && !strings.Contains(s, ".") {
				s += "."
			}
		}
		if conv == 'E' || conv == 'G' {
			s = strings.ToUpper(s)
		}
		return signed(s, f < 0), nil
	case 'c':
		switch v := val.(type) {
		case int:
			if v < 0 || v >= 0x110000 {
				return "", fmt.Errorf("%%c arg not in range(0x110000)")
			}
			return string(rune(v)), nil
		case string:
			if utf8.RuneCountInString(v) == 1 {
				return v, nil
			}
		}
		return "", fmt.Errorf("%%c requires int or char")
	}
	return "", fmt.Errorf("unsupported format character %s (0x%x) at index %d", PyRepr(string(conv)), conv, idx)
}

// pyDictRepr approximates repr() of the expansions dict, which a bare "%s"
// renders; the reference's key order is its insertion order, ours is sorted.
func pyDictRepr(e expansions) string {
	parts := make([]string, 0, len(e))
	for _, k := range e.sortedNames() {
		var v string
		switch x := e[k].(type) {
		case int:
			v = strconv.Itoa(x)
		case string:
			v = PyRepr(x)
		}
		parts = append(parts, PyRepr(k)+": "+v)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// PyRepr is Python's repr() of a str, the way the reference's messages
// quote values.
func PyRepr(s string) string {
	quote := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f:
			b.WriteRune(r)
		case unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// pyInt is Python's int(s, base) for base 10 or 8, with its error text.
func pyInt(s string, base int) (int64, error) {
	bad := fmt.Errorf("invalid literal for int() with base %d: %s", base, PyRepr(s))
	t := strings.TrimFunc(s, isPySpace)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if base == 8 && len(t) > 2 && t[0] == '0' && (t[1] == 'o' || t[1] == 'O') {
		t = t[2:]
		if strings.HasPrefix(t, "_") {
			t = t[1:]
		}
	}
	if t == "" || t[0] == '_' || t[len(t)-1] == '_' || strings.Contains(t, "__") {
		return 0, bad
	}
	var n int64
	for _, r := range t {
		if r == '_' {
			continue
		}
		d := int(r - '0')
		if r < '0' || r > '9' || d >= base {
			return 0, bad
		}
		if n > (math.MaxInt64-int64(d))/int64(base) {
			return 0, fmt.Errorf("integer %s is too large", PyRepr(s))
		}
		n = n*int64(base) + int64(d)
	}
	if neg {
		n = -n
	}
	return n, nil
}
