// Package getopt reads command lines the way Python's getopt.getopt does,
// which is how the reference's supervisord and supervisorctl and
// superlance's listeners read theirs, error messages included: options
// come first and end at the first argument that is not one (or after
// "--"; a lone "-" is an argument); short options may be clustered
// ("-ic FILE"), and one that takes a value takes the rest of its cluster
// or else the next argument ("-cFILE", "-c FILE"); a long option takes
// "--name=value" or "--name value" and may be abbreviated to any prefix
// that names one option only.
package getopt

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Option is one option a command line accepts.
type Option struct {
	Short rune     // its letter; 0 for none
	Long  []string // its long names, without "--"; the first is the one an abbreviation reports
	Arg   bool     // it takes a value
}

// Spec declares an Option in the reference's own notation: short is its
// letter ("c"), with a colon when it takes a value ("c:"), or "" for none;
// each long name is written without "--", with "=" when it takes a value
// ("configuration="). It panics when the two disagree on taking a value,
// which is a mistake in the table and not on the command line.
func Spec(short string, long ...string) Option {
	var o Option
	if short != "" {
		letter, n := utf8.DecodeRuneInString(short)
		rest := short[n:]
		if letter == ':' || letter == utf8.RuneError || (rest != "" && rest != ":") {
			panic("getopt: bad short option " + short)
		}
		o.Short, o.Arg = letter, rest == ":"
	}
	for i, l := range long {
		name, arg := strings.CutSuffix(l, "=")
		if name == "" || (short != "" || i > 0) && arg != o.Arg {
			panic("getopt: option " + short + " " + strings.Join(long, " ") + " does not say once whether it takes a value")
		}
		o.Arg = arg
		o.Long = append(o.Long, name)
	}
	return o
}

// Opt is one option found on the command line.
type Opt struct {
	Name  string // as Python names it: "-c", or "--" and the whole long name
	Value string // "" for an option without one
	Index int    // which entry of the table it is
}

// Error is a command line that does not parse. Its text is the one
// Python's GetoptError carries ("option -x not recognized").
type Error struct {
	Msg string
	Opt string // the option in question, without dashes
}

func (e *Error) Error() string { return e.Msg }

func fail(opt, format string) error {
	return &Error{Msg: fmt.Sprintf(format, opt), Opt: opt}
}

// Parse reads the options at the front of args against table; rest is
// what follows them.
func Parse(args []string, table []Option) (opts []Opt, rest []string, err error) {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" {
		a := args[0]
		args = args[1:]
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "--") {
			opts, args, err = parseLong(opts, a[2:], args, table)
		} else {
			opts, args, err = parseShort(opts, a[1:], args, table)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return opts, args, nil
}

func parseLong(opts []Opt, a string, args []string, table []Option) ([]Opt, []string, error) {
	name, value, hasValue := strings.Cut(a, "=")
	i, full, err := findLong(name, table)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case table[i].Arg && !hasValue:
		if len(args) == 0 {
			return nil, nil, fail(full, "option --%s requires argument")
		}
		value, args = args[0], args[1:]
	case !table[i].Arg && hasValue:
		return nil, nil, fail(full, "option --%s must not have an argument")
	}
	return append(opts, Opt{Name: "--" + full, Value: value, Index: i}), args, nil
}

// findLong finds the option a long name given on the command line names:
// the one with that exact name, or else the only one with a name it
// begins. full is the name found; for an abbreviation, the option's first.
func findLong(name string, table []Option) (index int, full string, err error) {
	for i, o := range table {
		if slices.Contains(o.Long, name) {
			return i, name, nil
		}
	}
	index = -1
	for i, o := range table {
		if !slices.ContainsFunc(o.Long, func(l string) bool { return strings.HasPrefix(l, name) }) {
			continue
		}
		if index >= 0 {
			return 0, "", fail(name, "option --%s not a unique prefix")
		}
		index = i
	}
	if index < 0 {
		return 0, "", fail(name, "option --%s not recognized")
	}
	return index, table[index].Long[0], nil
}

func parseShort(opts []Opt, cluster string, args []string, table []Option) ([]Opt, []string, error) {
	for cluster != "" {
		letter, n := utf8.DecodeRuneInString(cluster)
		name := cluster[:n]
		cluster = cluster[n:]
		i := findShort(letter, table)
		if i < 0 {
			return nil, nil, fail(name, "option -%s not recognized")
		}
		value := ""
		if table[i].Arg {
			if cluster == "" {
				if len(args) == 0 {
					return nil, nil, fail(name, "option -%s requires argument")
				}
				cluster, args = args[0], args[1:]
			}
			value, cluster = cluster, ""
		}
		opts = append(opts, Opt{Name: "-" + name, Value: value, Index: i})
	}
	return opts, args, nil
}

func findShort(letter rune, table []Option) int {
	if letter == 0 {
		return -1
	}
	for i, o := range table {
		if o.Short == letter {
			return i
		}
	}
	return -1
}
