package conf

import "time"

// option says how to read one option of a section: the value it has when
// absent, and what to do with the (expanded) value. A table of them, read in
// order, stands for the reference's run of reads; the first bad value stops
// it, as there.
type option struct {
	name string
	def  string
	// defFrom, when set, computes the default at read time, for defaults
	// that follow an option read earlier in the same table.
	defFrom func() string
	// ifSet skips an absent option instead of using def.
	ifSet bool
	// set converts and stores the value; its error fails the option.
	set func(v string) error
	// check, when set, replaces the read: a test of values read earlier in
	// the table whose error fails the option.
	check func() error
}

// opt reads name (def when absent) through parse into dst.
func opt[T any](name, def string, dst *T, parse func(string) (T, error)) option {
	return option{name: name, def: def, set: func(v string) error {
		x, err := parse(v)
		if err != nil {
			return err
		}
		*dst = x
		return nil
	}}
}

// optIfSet hands name's value to set only when the option is present.
func optIfSet(name string, set func(v string) error) option {
	return option{name: name, ifSet: true, set: set}
}

// withDefault gives o a default computed when it is read.
func withDefault(o option, def func() string) option {
	o.defFrom = def
	return o
}

// optCheck fails name when check, run at its place in the table, fails.
func optCheck(name string, check func() error) option {
	return option{name: name, check: check}
}

// asIs is the parser of plain string options.
func asIs(s string) (string, error) { return s, nil }

// parseSeconds reads an integer count of seconds.
func parseSeconds(s string) (time.Duration, error) {
	n, err := parseInt(s)
	return time.Duration(n) * time.Second, err
}

// parseCount reads an integer, taking a negative one as 0.
func parseCount(s string) (uint64, error) {
	n, err := parseInt(s)
	return uint64(max(n, 0)), err
}

// readOptions reads a table of options of section in order, expanding each
// value with the ENV_x names plus extra.
func (l *loader) readOptions(section string, extra expansions, opts []option) error {
	for _, o := range opts {
		if o.check != nil {
			if err := o.check(); err != nil {
				return l.fail(section, o.name, err)
			}
			continue
		}
		v, ok, err := l.get(section, o.name, extra)
		if err != nil {
			return err
		}
		if !ok {
			if o.ifSet {
				continue
			}
			v = o.def
			if o.defFrom != nil {
				v = o.defFrom()
			}
		}
		if err := o.set(v); err != nil {
			return l.fail(section, o.name, err)
		}
	}
	return nil
}
