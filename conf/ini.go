package conf

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// The reference reads its files with Python's RawConfigParser configured with
// inline_comment_prefixes=(';', '#') and strict=False. This is that dialect:
//   - "[name]" opens a section; anything after the last "]" is ignored, and a
//     repeated section continues the earlier one (later options win).
//   - "name = value" or "name: value", split at the first "=" or ":"; names
//     are lower-cased and surrounding blanks stripped.
//   - a line whose first non-blank character is ";" or "#" is a comment; so
//     is the rest of a line from a ";" or "#" that follows whitespace.
//   - a line indented deeper than its option's line continues the value
//     (joined with "\n"); blank lines inside a value are kept, trailing ones
//     dropped.
//   - [DEFAULT] options are visible in every section.
//   - nothing is interpolated here; "%" is left for the expansion step.

type iniOption struct {
	name  string
	lines []string
	value string
	file  string
	line  int
}

type iniSection struct {
	name    string
	file    string // the file that first opened the section
	line    int
	options []*iniOption // first-insertion order, like a Python dict
	byName  map[string]*iniOption
}

func newSection(name, file string, line int) *iniSection {
	return &iniSection{name: name, file: file, line: line, byName: map[string]*iniOption{}}
}

func (s *iniSection) set(o *iniOption) {
	if old, ok := s.byName[o.name]; ok {
		*old = *o
		return
	}
	s.options = append(s.options, o)
	s.byName[o.name] = o
}

// remove deletes an option; the ini dialect never does, but a check does to
// read a section again without a bad value.
func (s *iniSection) remove(name string) {
	delete(s.byName, name)
	s.options = slices.DeleteFunc(s.options, func(o *iniOption) bool { return o.name == name })
}

type iniDoc struct {
	sections []*iniSection
	byName   map[string]*iniSection
	defaults *iniSection
	// repeats lists, in reading order, each section header or option line
	// that repeats an earlier one.
	repeats []repeat
	// seen, when not nil, records each option looked up, by section, so a
	// check can tell the options the loader reads from the ones it ignores.
	seen map[string]map[string]bool
}

// repeat is a section or option that appears a second time: strict=False
// lets the reference merge it into the first (later values win).
type repeat struct {
	section, option string // option is "" for a repeated section header
	file            string // as iniOption.file
	line            int
	firstFile       string
	firstLine       int
}

func newDoc() *iniDoc {
	return &iniDoc{byName: map[string]*iniSection{}, defaults: newSection("DEFAULT", "", 0)}
}

func (d *iniDoc) has(section string) bool {
	_, ok := d.byName[section]
	return ok
}

// lookup finds an option of a section, falling back to [DEFAULT].
func (d *iniDoc) lookup(section, name string) *iniOption {
	if d.seen != nil {
		if d.seen[section] == nil {
			d.seen[section] = map[string]bool{}
		}
		d.seen[section][name] = true
	}
	if s, ok := d.byName[section]; ok {
		if o, ok := s.byName[name]; ok {
			return o
		}
	}
	if o, ok := d.defaults.byName[name]; ok {
		return o
	}
	return nil
}

// optionNames lists a section's option names followed by [DEFAULT]'s, like
// RawConfigParser.options().
func (d *iniDoc) optionNames(section string) []string {
	s := d.byName[section]
	var names []string
	for _, o := range s.options {
		names = append(names, o.name)
	}
	for _, o := range d.defaults.options {
		if _, ok := s.byName[o.name]; !ok {
			names = append(names, o.name)
		}
	}
	return names
}

// parseError is configparser's ParsingError / MissingSectionHeaderError.
type parseError struct {
	text string
	line int
}

// isPySpace is Python's str.isspace for one character, which unlike Go's
// unicode.IsSpace also counts the separators U+001C..U+001F.
func isPySpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// read adds one file's sections and options to the document. display is the
// file name as the reference would print it.
func (d *iniDoc) read(data string, file, display string) *parseError {
	data = strings.ReplaceAll(data, "\r\n", "\n")
	data = strings.ReplaceAll(data, "\r", "\n")
	lines := strings.SplitAfter(data, "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	var cur *iniSection
	var opt *iniOption
	indentLevel := 0
	var bad []string
	firstBad := 0
	for i, line := range lines {
		lineno := i + 1
		rs := []rune(line)
		commentStart := -1
		// inline comments: the prefixes are searched occurrence by
		// occurrence, in lockstep, until one follows whitespace.
		idx := map[rune]int{';': -1, '#': -1}
		for commentStart < 0 && len(idx) > 0 {
			nextIdx := map[rune]int{}
			best := -1
			for _, p := range []rune{';', '#'} {
				from, ok := idx[p]
				if !ok {
					continue
				}
				at := indexRune(rs, p, from+1)
				if at < 0 {
					continue
				}
				nextIdx[p] = at
				if at == 0 || isPySpace(rs[at-1]) {
					if best < 0 || at < best {
						best = at
					}
				}
			}
			commentStart = best
			idx = nextIdx
		}
		trimmed := strings.TrimFunc(line, isPySpace)
		if strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, ";") {
			commentStart = 0
		}
		valueRunes := rs
		if commentStart >= 0 {
			valueRunes = rs[:commentStart]
		}
		value := strings.TrimFunc(string(valueRunes), isPySpace)
		if value == "" {
			if commentStart < 0 && cur != nil && opt != nil && opt.name != "" {
				opt.lines = append(opt.lines, "")
			}
			continue
		}
		indent := strings.IndexFunc(line, func(r rune) bool { return !isPySpace(r) })
		indent = len([]rune(line[:indent]))
		if cur != nil && opt != nil && opt.name != "" && indent > indentLevel {
			opt.lines = append(opt.lines, value)
			continue
		}
		indentLevel = indent
		if strings.HasPrefix(value, "[") && strings.Count(value, "]") > 0 {
			end := strings.LastIndex(value, "]")
			if end > 1 {
				name := value[1:end]
				switch {
				case name == "DEFAULT":
					cur = d.defaults
					if cur.line > 0 {
						d.repeats = append(d.repeats, repeat{section: name, file: file, line: lineno, firstFile: cur.file, firstLine: cur.line})
					} else {
						cur.file, cur.line = file, lineno
					}
				case d.has(name):
					cur = d.byName[name]
					d.repeats = append(d.repeats, repeat{section: name, file: file, line: lineno, firstFile: cur.file, firstLine: cur.line})
				default:
					cur = newSection(name, file, lineno)
					d.sections = append(d.sections, cur)
					d.byName[name] = cur
				}
				opt = nil
				continue
			}
		}
		if cur == nil {
			return &parseError{
				text: fmt.Sprintf("File contains no section headers.\nfile: %s, line: %d\n%s", PyRepr(display), lineno, PyRepr(line)),
				line: lineno,
			}
		}
		delim := strings.IndexAny(value, "=:")
		if delim < 0 {
			bad = append(bad, fmt.Sprintf("\n\t[line %2d]: %s", lineno, PyRepr(line)))
			if firstBad == 0 {
				firstBad = lineno
			}
			continue
		}
		name := strings.ToLower(strings.TrimRightFunc(value[:delim], isPySpace))
		if name == "" {
			bad = append(bad, fmt.Sprintf("\n\t[line %2d]: %s", lineno, PyRepr(line)))
			if firstBad == 0 {
				firstBad = lineno
			}
		}
		o := &iniOption{name: name, lines: []string{strings.TrimFunc(value[delim+1:], isPySpace)}, file: file, line: lineno}
		if old, ok := cur.byName[name]; ok && name != "" {
			d.repeats = append(d.repeats, repeat{section: cur.name, option: name, file: file, line: lineno, firstFile: old.file, firstLine: old.line})
		}
		cur.set(o)
		opt = cur.byName[name]
	}
	for _, s := range append([]*iniSection{d.defaults}, d.sections...) {
		for _, o := range s.options {
			if o.lines != nil {
				o.value = strings.TrimRightFunc(strings.Join(o.lines, "\n"), isPySpace)
				o.lines = nil
			}
		}
	}
	if bad != nil {
		return &parseError{text: "Source contains parsing errors: " + PyRepr(display) + strings.Join(bad, ""), line: firstBad}
	}
	return nil
}

func indexRune(rs []rune, r rune, from int) int {
	for i := from; i < len(rs); i++ {
		if rs[i] == r {
			return i
		}
	}
	return -1
}
