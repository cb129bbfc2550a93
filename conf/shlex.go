package conf

import (
	"errors"
	"strings"
)

// Two uses of Python's shlex module matter to config parsing: the
// non-POSIX tokenizer behind environment= (dict_of_key_value_pairs) and the
// POSIX shlex.split behind command=. Their quirks decide which configs are
// accepted, so both are reproduced state for state.

const shlexWordChars = "abcdfeghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

var errNoClosingQuote = errors.New("No closing quotation")

// shlexEnvTokens tokenizes like shlex.shlex(s) (non-POSIX) with the extra
// word characters "/.+-():" the reference adds for environment values.
func shlexEnvTokens(s string) ([]string, error) {
	const wordchars = shlexWordChars + "/.+-():"
	rs := []rune(s)
	pos := 0
	var pushback []rune
	next := func() (rune, bool) {
		if n := len(pushback); n > 0 {
			r := pushback[n-1]
			pushback = pushback[:n-1]
			return r, true
		}
		if pos >= len(rs) {
			return 0, false
		}
		pos++
		return rs[pos-1], true
	}
	skipLine := func() {
		for pos < len(rs) {
			pos++
			if rs[pos-1] == '\n' {
				return
			}
		}
	}
	in := func(r rune, set string) bool { return strings.ContainsRune(set, r) }
	var tokens []string
	state := ' '
	for state != 0 {
		token := ""
	read:
		for {
			c, ok := next()
			switch {
			case state == ' ':
				switch {
				case !ok:
					state = 0
					break read
				case in(c, " \t\r\n"):
					if token != "" {
						break read
					}
				case c == '#':
					skipLine()
				case in(c, wordchars):
					token, state = string(c), 'a'
				case c == '\'' || c == '"':
					token, state = string(c), c
				default:
					token = string(c)
					break read
				}
			case state == '\'' || state == '"':
				if !ok {
					return nil, errNoClosingQuote
				}
				token += string(c)
				if c == state {
					state = ' '
					break read
				}
			default: // 'a'
				switch {
				case !ok:
					state = 0
					break read
				case in(c, " \t\r\n"):
					state = ' '
					if token != "" {
						break read
					}
				case c == '#':
					skipLine()
				case in(c, wordchars) || c == '\'' || c == '"':
					token += string(c)
				default:
					pushback = append(pushback, c)
					state = ' '
					if token != "" {
						break read
					}
				}
			}
		}
		if token == "" {
			break // shlex's iterator stops at its eof token, ""
		}
		tokens = append(tokens, token)
	}
	return tokens, nil
}

// SplitCommand splits a command line like Python's shlex.split, which the
// reference uses to build a process's argv at spawn time.
func SplitCommand(s string) ([]string, error) {
	rs := []rune(s)
	pos := 0
	var out []string
	state := ' '
	for state != 0 {
		token, quoted := "", false
		escaped := ' '
	read:
		for {
			var c rune
			ok := pos < len(rs)
			if ok {
				c = rs[pos]
				pos++
			}
			switch {
			case state == ' ':
				switch {
				case !ok:
					state = 0
					break read
				case strings.ContainsRune(" \t\r\n", c):
					if token != "" || quoted {
						break read
					}
				case c == '\\':
					escaped, state = 'a', '\\'
				case c == '\'' || c == '"':
					state = c
				default:
					token, state = string(c), 'a'
				}
			case state == '\'' || state == '"':
				quoted = true
				switch {
				case !ok:
					return nil, errNoClosingQuote
				case c == state:
					state = 'a'
				case c == '\\' && state == '"':
					escaped, state = state, '\\'
				default:
					token += string(c)
				}
			case state == '\\':
				if !ok {
					return nil, errors.New("No escaped character")
				}
				if (escaped == '\'' || escaped == '"') && c != '\\' && c != escaped {
					token += "\\"
				}
				token += string(c)
				state = escaped
			default: // 'a'
				switch {
				case !ok:
					state = 0
					break read
				case strings.ContainsRune(" \t\r\n", c):
					state = ' '
					if token != "" || quoted {
						break read
					}
				case c == '\'' || c == '"':
					state = c
				case c == '\\':
					escaped, state = 'a', '\\'
				default:
					token += string(c)
				}
			}
		}
		if token == "" && !quoted {
			break
		}
		out = append(out, token)
	}
	return out, nil
}
