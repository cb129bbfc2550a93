package conf

import (
	"strconv"
	"strings"
)

// Source is a section as the config files wrote it, kept with each process
// so that `supervisorctl cat` can show where a process comes from: the
// section's first header, and the options the files set in it with their
// values expanded as the loader expanded them for that one process
// (%(program_name)s, %(process_num)d, %(group_name)s, %(here)s,
// %(host_node_name)s, %(ENV_X)s, ...). Options left at their defaults and
// [DEFAULT]'s are not in it: it says what the files say, nothing more.
type Source struct {
	Section string // as in its header: "program:web", "group:site"
	File    string // absolute path of the file whose header opened it
	Line    int    // that header's line, from 1
	Options []SourceOption
}

// SourceOption is one option line of a Source. A section repeated later
// (in another file, say) takes the later value; File and Line then name
// the line the value comes from.
type SourceOption struct {
	Name  string // lower-cased, as the loader reads it
	Value string // expanded; the raw text when expanding it fails
	File  string
	Line  int
}

// Text renders s as ini text: the header, then a line per option, each
// line of a multi-line value after the first indented. An option from
// another file than the header's is preceded by a comment naming its file
// and line.
func (s Source) Text() string {
	var b strings.Builder
	b.WriteString("[" + s.Section + "]\n")
	for _, o := range s.Options {
		if o.File != s.File {
			b.WriteString("; " + o.File + ":" + strconv.Itoa(o.Line) + "\n")
		}
		lines := strings.Split(o.Value, "\n")
		b.WriteString(o.Name + " = " + lines[0] + "\n")
		for _, l := range lines[1:] {
			if l != "" {
				l = "    " + l
			}
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// source records section as written, its values expanded with the ENV_x
// names and extra; a value that does not expand (an option the loader
// never expands with those names) is kept raw.
func (l *loader) source(section string, extra expansions) Source {
	s := l.doc.byName[section]
	out := Source{Section: section, File: l.absFile(s.file), Line: s.line}
	var names expansions
	for _, o := range s.options {
		v := o.value
		if strings.Contains(v, "%") {
			if names == nil {
				names = l.env.clone()
				for k, x := range extra {
					names[k] = x
				}
			}
			if x, err := expand(v, names, section+"."+o.name); err == nil {
				v = x
			}
		}
		out.Options = append(out.Options, SourceOption{Name: o.name, Value: v, File: l.absFile(o.file), Line: o.line})
	}
	return out
}

// absFile is the absolute path of a file the document was read from ("" is
// the main file).
func (l *loader) absFile(file string) string {
	if file == "" {
		return l.cfg.Path
	}
	return file
}
