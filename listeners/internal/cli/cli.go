// Package cli parses the built-in listeners' command lines the way
// Python's getopt does for superlance's: short options may be bundled and
// take their value attached or as the next argument, long options take
// "--name=value" or "--name value", and parsing stops at the first
// argument that is not an option (or after "--").
package cli

import (
	"fmt"
	"strconv"
	"strings"
)

// Opt is one parsed option: Name is "-x" or "--long".
type Opt struct{ Name, Value string }

// Getopt parses args. short is like "hp:a" (a colon after a letter that
// takes a value); long lists long names, "name=" taking a value. Long
// options may be abbreviated to any unambiguous prefix, as in Python.
func Getopt(args []string, short string, long []string) ([]Opt, []string, error) {
	var opts []Opt
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			return opts, args[1:], nil
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		args = args[1:]
		if strings.HasPrefix(a, "--") {
			name, value, hasValue := strings.Cut(a[2:], "=")
			full, takes, err := matchLong(name, long)
			if err != nil {
				return nil, nil, err
			}
			if takes && !hasValue {
				if len(args) == 0 {
					return nil, nil, fmt.Errorf("option --%s requires argument", full)
				}
				value, args = args[0], args[1:]
			} else if !takes && hasValue {
				return nil, nil, fmt.Errorf("option --%s must not have an argument", full)
			}
			opts = append(opts, Opt{"--" + full, value})
			continue
		}
		for s := a[1:]; s != ""; {
			c := s[0]
			s = s[1:]
			i := strings.IndexByte(short, c)
			if c == ':' || i < 0 {
				return nil, nil, fmt.Errorf("option -%c not recognized", c)
			}
			if i+1 < len(short) && short[i+1] == ':' {
				if s == "" {
					if len(args) == 0 {
						return nil, nil, fmt.Errorf("option -%c requires argument", c)
					}
					s, args = args[0], args[1:]
				}
				opts = append(opts, Opt{"-" + string(c), s})
				break
			}
			opts = append(opts, Opt{"-" + string(c), ""})
		}
	}
	return opts, args, nil
}

func matchLong(name string, long []string) (string, bool, error) {
	var found []string
	for _, l := range long {
		n := strings.TrimSuffix(l, "=")
		if n == name {
			return n, strings.HasSuffix(l, "="), nil
		}
		if strings.HasPrefix(n, name) {
			found = append(found, l)
		}
	}
	switch len(found) {
	case 0:
		return "", false, fmt.Errorf("option --%s not recognized", name)
	case 1:
		return strings.TrimSuffix(found[0], "="), strings.HasSuffix(found[0], "="), nil
	}
	return "", false, fmt.Errorf("option --%s not a unique prefix", name)
}

// ByteSize reads a size like supervisor's byte_size: an integer with an
// optional case-insensitive KB, MB or GB suffix (powers of 1024).
func ByteSize(s string) (int64, error) {
	return multiplied(s, map[string]int64{"kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30})
}

// Seconds reads a duration in seconds with an optional s, m, h or d
// suffix, as superlance's memmon -u.
func Seconds(s string) (int64, error) {
	return multiplied(s, map[string]int64{"s": 1, "m": 60, "h": 3600, "d": 86400})
}

func multiplied(s string, suffixes map[string]int64) (int64, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for suf, m := range suffixes {
		if strings.HasSuffix(l, suf) {
			l, mult = strings.TrimSpace(l[:len(l)-len(suf)]), m
			break
		}
	}
	n, err := strconv.ParseInt(l, 10, 64)
	if err != nil || n < 0 || n > (1<<63-1)/mult {
		return 0, fmt.Errorf("not a valid size: %q", s)
	}
	return n * mult, nil
}
