package main

import (
	"fmt"
	"strings"
	"unicode"

	"supervisord/conf"
)

// iniFile is a config file read the way supervisorctl reads it: only the
// ini syntax, with no knowledge of what the daemon's sections mean, so a
// config the daemon would refuse (a bad program section, say) still gives
// supervisorctl its server URL. The dialect is Python's RawConfigParser as
// the reference sets it up: "=" or ":" between name and value, indented
// lines continuing a value, "#" and ";" comments (inline ones after white
// space), lower-cased option names, repeated sections merged, and [DEFAULT]
// supplying options to every section.
type iniFile struct {
	sections map[string]map[string]string
	defaults map[string]string
}

// iniSyntaxError is a file the parser gives up on. The reference does not
// catch it, so it ends with Python's traceback, whose last line this is.
type iniSyntaxError struct{ text string }

func (e *iniSyntaxError) Error() string { return e.text }

func parseINI(data, filename string) (*iniFile, error) {
	f := &iniFile{sections: map[string]map[string]string{}, defaults: map[string]string{}}
	values := map[string]map[string][]string{} // section -> option -> lines
	var cur map[string][]string
	curName := ""
	var option string // the option a continuation line extends
	indent := -1
	var bad []string
	lines := strings.SplitAfter(data, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, raw := range lines {
		lineno := i + 1
		line := strings.TrimRight(raw, "\n")
		commentAt := inlineComment(line)
		if t := strings.TrimFunc(line, unicode.IsSpace); strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";") {
			commentAt = 0
		}
		text := line
		if commentAt >= 0 {
			text = line[:commentAt]
		}
		value := strings.TrimFunc(text, unicode.IsSpace)
		if value == "" {
			// An empty line belongs to the value being continued, unless
			// it held a comment.
			if commentAt < 0 && cur != nil && option != "" && cur[option] != nil {
				cur[option] = append(cur[option], "")
			}
			continue
		}
		level := strings.IndexFunc(line, func(r rune) bool { return !unicode.IsSpace(r) })
		if cur != nil && option != "" && level > indent {
			cur[option] = append(cur[option], value)
			continue
		}
		indent = level
		if strings.HasPrefix(value, "[") && strings.Contains(value[1:], "]") && strings.LastIndex(value, "]") > 1 {
			curName = value[1:strings.LastIndex(value, "]")]
			if values[curName] == nil {
				values[curName] = map[string][]string{}
			}
			cur = values[curName]
			option = ""
			continue
		}
		if cur == nil {
			return nil, &iniSyntaxError{fmt.Sprintf("configparser.MissingSectionHeaderError: File contains no section headers.\nfile: %s, line: %d\n%s",
				conf.PyRepr(filename), lineno, conf.PyRepr(raw))}
		}
		name, val, ok := splitOption(value)
		if !ok {
			bad = append(bad, fmt.Sprintf("\n\t[line %2d]: %s", lineno, conf.PyRepr(raw)))
			continue
		}
		option = strings.ToLower(name)
		cur[option] = []string{val}
	}
	if len(bad) > 0 {
		return nil, &iniSyntaxError{"configparser.ParsingError: Source contains parsing errors: " +
			conf.PyRepr(filename) + strings.Join(bad, "")}
	}
	for sect, opts := range values {
		m := map[string]string{}
		for k, v := range opts {
			m[k] = strings.TrimRightFunc(strings.Join(v, "\n"), unicode.IsSpace)
		}
		if sect == "DEFAULT" {
			f.defaults = m
		} else {
			f.sections[sect] = m
		}
	}
	return f, nil
}

// inlineComment is where a "#" or ";" comment starts on line: at its start
// or after white space; -1 when there is none.
func inlineComment(line string) int {
	for i, r := range line {
		if r != '#' && r != ';' {
			continue
		}
		if i == 0 {
			return 0
		}
		prev := []rune(line[:i])
		if unicode.IsSpace(prev[len(prev)-1]) {
			return i
		}
	}
	return -1
}

// splitOption splits "name = value" or "name: value" at the first
// delimiter; the name may not be empty.
func splitOption(s string) (name, value string, ok bool) {
	i := strings.IndexAny(s, "=:")
	if i < 0 {
		return "", "", false
	}
	name = strings.TrimRightFunc(s[:i], unicode.IsSpace)
	if name == "" {
		return "", "", false
	}
	return name, strings.TrimFunc(s[i+1:], unicode.IsSpace), true
}

func (f *iniFile) hasSection(name string) bool {
	_, ok := f.sections[name]
	return ok
}

// get returns an option of section, falling back to [DEFAULT].
func (f *iniFile) get(section, option string) (string, bool) {
	if v, ok := f.sections[section][option]; ok {
		return v, true
	}
	v, ok := f.defaults[option]
	return v, ok
}
