package getopt

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"supervisord/testkit"
)

// pyTable is the table of Python's getopt(args, short, long): each letter
// and each long name its own option, as Python has no notion of both
// naming one.
func pyTable(short string, long []string) []Option {
	var t []Option
	for i, r := range short {
		if r == ':' {
			continue
		}
		s := string(r)
		if strings.HasPrefix(short[i+len(s):], ":") {
			s += ":"
		}
		t = append(t, Spec(s))
	}
	for _, l := range long {
		t = append(t, Spec("", l))
	}
	return t
}

type pyCase struct {
	Args  []string
	Short string
	Long  []string
}

var pyCases = []struct {
	pyCase
	want string // "name=value ... | rest ..." or "error: message"
}{
	{pyCase{[]string{"-c", "f", "status"}, "c:i", nil}, "-c=f | status"},
	{pyCase{[]string{"-icf", "-s", "u", "x"}, "c:is:", nil}, "-i= -c=f -s=u | x"},
	{pyCase{[]string{"-cf", "-i"}, "c:i", nil}, "-c=f -i= |"},
	{pyCase{[]string{"-c", "", "-i"}, "c:i", nil}, "-c= -i= |"},
	{pyCase{[]string{"-c", "-i"}, "c:i", nil}, "-c=-i |"},
	{pyCase{[]string{"--conf=f", "--serv", "u", "x", "-i"}, "i", []string{"configuration=", "serverurl="}}, "--configuration=f --serverurl=u | x -i"},
	{pyCase{[]string{"--program=a=b", "--program="}, "", []string{"program="}}, "--program=a=b --program= |"},
	{pyCase{[]string{"--", "-c"}, "c:", nil}, "| -c"},
	{pyCase{[]string{"-", "-c"}, "c:", nil}, "| - -c"},
	{pyCase{[]string{"x", "-c"}, "c:", nil}, "| x -c"},
	{pyCase{[]string{"-a", "--", "--", "x"}, "a", nil}, "-a= | -- x"},
	{pyCase{[]string{"--log", "x"}, "", []string{"log=", "logfile="}}, "--log=x |"},
	{pyCase{[]string{"--logf", "x"}, "", []string{"logfile=", "log="}}, "--logfile=x |"},
	{pyCase{[]string{"--lo", "x"}, "", []string{"log=", "logfile="}}, "error: option --lo not a unique prefix"},
	{pyCase{[]string{"--", "x"}, "", nil}, "| x"},
	{pyCase{[]string{"--=x"}, "", []string{"only="}}, "--only=x |"},
	{pyCase{[]string{"--=x"}, "", []string{"one=", "two="}}, "error: option -- not a unique prefix"},
	{pyCase{[]string{"-x"}, "c:", nil}, "error: option -x not recognized"},
	{pyCase{[]string{"-:"}, "c:", nil}, "error: option -: not recognized"},
	{pyCase{[]string{"-é"}, "c:", nil}, "error: option -é not recognized"},
	{pyCase{[]string{"-éb", "x"}, "é:", nil}, "-é=b | x"},
	{pyCase{[]string{"-c"}, "c:", nil}, "error: option -c requires argument"},
	{pyCase{[]string{"-ic"}, "c:i", nil}, "error: option -c requires argument"},
	{pyCase{[]string{"--hist"}, "", []string{"history_file="}}, "error: option --history_file requires argument"},
	{pyCase{[]string{"--interactive=1"}, "", []string{"interactive"}}, "error: option --interactive must not have an argument"},
	{pyCase{[]string{"--nosuch"}, "", []string{"interactive"}}, "error: option --nosuch not recognized"},
	{pyCase{[]string{"-v", "-x"}, "v", nil}, "error: option -x not recognized"},
	{pyCase{[]string{"-ap", "x", "-pgrp:y", "--program=z", "--prog", "w", "--cum", "-h", "url", "-a"}, "hp:ac",
		[]string{"help", "program=", "any", "cumulative"}}, "-a= -p=x -p=grp:y --program=z --program=w --cumulative= -h= | url -a"},
	{pyCase{[]string{"--any=1"}, "p:a", []string{"program=", "any", "cumulative", "cx"}}, "error: option --any must not have an argument"},
	{pyCase{[]string{"--c"}, "p:a", []string{"program=", "any", "cumulative", "cx"}}, "error: option --c not a unique prefix"},
	{pyCase{[]string{"--program"}, "p:a", []string{"program=", "any", "cumulative", "cx"}}, "error: option --program requires argument"},
}

func render(opts []Opt, rest []string, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	var parts []string
	for _, o := range opts {
		parts = append(parts, o.Name+"="+o.Value)
	}
	parts = append(parts, "|")
	return strings.Join(append(parts, rest...), " ")
}

func TestParse(t *testing.T) {
	for _, c := range pyCases {
		table := pyTable(c.Short, c.Long)
		opts, rest, err := Parse(c.Args, table)
		if got := render(opts, rest, err); got != c.want {
			t.Errorf("Parse(%q, %q %q) = %s, want %s", c.Args, c.Short, c.Long, got, c.want)
		}
		for _, o := range opts {
			if name := strings.TrimLeft(o.Name, "-"); string(table[o.Index].Short) != name && !slices.Contains(table[o.Index].Long, name) {
				t.Errorf("Parse(%q): %s has index %d, %+v", c.Args, o.Name, o.Index, table[o.Index])
			}
		}
		var ge *Error
		if err != nil && (!errors.As(err, &ge) || !strings.Contains(ge.Msg, " -"+ge.Opt+" ") && !strings.Contains(ge.Msg, " --"+ge.Opt+" ")) {
			t.Errorf("Parse(%q) error %#v does not name its option", c.Args, err)
		}
	}
}

// TestPython runs the same cases through Python's own getopt.
func TestPython(t *testing.T) {
	var in []pyCase
	for _, c := range pyCases {
		in = append(in, c.pyCase)
	}
	var want []string
	testkit.PythonJSON(t, `
import sys, json, getopt
res = []
for c in json.loads(sys.argv[1]):
    try:
        opts, rest = getopt.getopt(c["Args"], c["Short"], c["Long"] or [])
        res.append(" ".join(["%s=%s" % o for o in opts] + ["|"] + rest))
    except getopt.GetoptError as e:
        res.append("error: " + str(e))
print(json.dumps(res))
`, in, &want)
	for i, c := range pyCases {
		if got := render(Parse(c.Args, pyTable(c.Short, c.Long))); got != want[i] {
			t.Errorf("Parse(%q, %q %q) = %s; Python says %s", c.Args, c.Short, c.Long, got, want[i])
		}
	}
}

// Aliases are long names of one option: a prefix of several of them is
// still unique, and reports the first.
func TestAliases(t *testing.T) {
	table := []Option{Spec("h", "help"), Spec("r:", "history_file=", "history-file=")}
	for args, want := range map[string]string{
		"--hist x":           "--history_file=x |",
		"--history-f x":      "--history_file=x |",
		"--history-file x":   "--history-file=x |",
		"--history_file=x y": "--history_file=x | y",
		"--h":                "error: option --h not a unique prefix",
	} {
		if got := render(Parse(strings.Fields(args), table)); got != want {
			t.Errorf("Parse(%q) = %s, want %s", args, got, want)
		}
	}
}

func TestSpec(t *testing.T) {
	for _, c := range []struct {
		short string
		long  []string
		want  Option
	}{
		{"c:", []string{"configuration="}, Option{'c', []string{"configuration"}, true}},
		{"h", []string{"help"}, Option{'h', []string{"help"}, false}},
		{"?", nil, Option{'?', nil, false}},
		{"", []string{"minprocs="}, Option{0, []string{"minprocs"}, true}},
		{"", []string{"a", "b"}, Option{0, []string{"a", "b"}, false}},
	} {
		if got := Spec(c.short, c.long...); got.Short != c.want.Short || got.Arg != c.want.Arg || !slices.Equal(got.Long, c.want.Long) {
			t.Errorf("Spec(%q, %q) = %+v, want %+v", c.short, c.long, got, c.want)
		}
	}
	for _, bad := range [][]string{{"c:", "configuration"}, {"c", "configuration="}, {"", "a=", "b"}, {":"}, {"ab"}, {"", "="}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Spec(%q) did not panic", bad)
				}
			}()
			Spec(bad[0], bad[1:]...)
		}()
	}
}

// FuzzParse checks what Parse finds against the command line: options
// written out again one per argument read back the same, and the rest is
// the tail of args.
func FuzzParse(f *testing.F) {
	for _, c := range pyCases {
		f.Add(strings.Join(c.Args, "\x00"))
	}
	table := []Option{Spec("c:", "configuration="), Spec("i", "interactive"), Spec("?"), Spec("", "log="),
		Spec("", "logfile="), Spec("é:", "history_file=", "history-file=")}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\x00")
		opts, rest, err := Parse(args, table)
		if err != nil {
			var ge *Error
			if !errors.As(err, &ge) {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if len(rest) > len(args) || !slices.Equal(rest, args[len(args)-len(rest):]) {
			t.Fatalf("rest %q is not a tail of %q", rest, args)
		}
		var again []string
		for _, o := range opts {
			if table[o.Index].Arg {
				again = append(again, o.Name, o.Value)
			} else {
				again = append(again, o.Name)
			}
		}
		opts2, rest2, err := Parse(append(again, "--"), table)
		if err != nil || len(rest2) != 0 || !slices.Equal(opts, opts2) {
			t.Fatalf("%q read as %v; written out again %q it reads %v, %q, %v", args, opts, again, opts2, rest2, err)
		}
	})
}
