package conf

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/ini.v1"
)

// iniV1Options come as close to the reference's dialect as ini.v1's
// LoadOptions allow: keys lower-cased, section names kept, ":" or "=",
// indented continuation lines, comments only after a blank, no backslash
// continuation, quotes kept.
var iniV1Options = ini.LoadOptions{
	InsensitiveKeys:            true,
	AllowPythonMultilineValues: true,
	SpaceBeforeInlineComment:   true,
	IgnoreContinuation:         true,
	PreserveSurroundedQuote:    true,
	KeyValueDelimiters:         "=:",
}

// readINIv1 is an iniReader built on gopkg.in/ini.v1. ini.v1 records no
// positions, so every option and section it yields has line 0. It keeps the
// indentation of continuation lines, which the reference strips; the adapter
// strips it too, so that difference does not count against ini.v1.
func readINIv1(d *iniDoc, data, file, display string) *parseError {
	f, err := ini.LoadSources(iniV1Options, []byte(data))
	if err != nil {
		return &parseError{text: err.Error()}
	}
	for _, s := range f.Sections() {
		var cur *iniSection
		switch name := s.Name(); {
		case name == ini.DefaultSection:
			cur = d.defaults
		case d.has(name):
			cur = d.byName[name]
		default:
			cur = newSection(name, file, 0)
			d.sections = append(d.sections, cur)
			d.byName[name] = cur
		}
		for _, k := range s.Keys() {
			lines := strings.Split(k.Value(), "\n")
			for i := range lines {
				lines[i] = strings.TrimFunc(lines[i], isPySpace)
			}
			cur.set(&iniOption{name: k.Name(), value: strings.Join(lines, "\n"), file: file})
		}
	}
	return nil
}

// docDump prints what a reader made of one file: sections in order, each
// option with its value, and the parse error if any. Lines are left out:
// ini.v1 has none to compare.
func docDump(read iniReader, data string) string {
	d := newDoc()
	var b strings.Builder
	if err := read(d, data, "f", "f"); err != nil {
		fmt.Fprintf(&b, "error: %s\n", err.text)
	}
	for _, s := range append([]*iniSection{d.defaults}, d.sections...) {
		if s == d.defaults && len(s.options) == 0 {
			continue
		}
		fmt.Fprintf(&b, "[%s]\n", s.name)
		for _, o := range s.options {
			fmt.Fprintf(&b, "  %s = %q\n", o.name, o.value)
		}
	}
	return b.String()
}

// iniV1Mismatch is how ini.v1 read one golden case: the kinds of difference
// (sorted) and both readers' output where they part.
type iniV1Mismatch struct {
	kinds  []string
	detail strings.Builder
}

// iniV1Mismatches runs both readers over every golden case and returns, for
// each case where they part, the kinds of difference:
//   - "refuses": ini.v1 rejects a file the reference reads
//   - "accepts": ini.v1 reads a file the reference rejects
//   - "error": both reject a file, in different words
//   - "values": the sections, options or values read differ
//   - "golden": the loaded config or its error, as the golden prints it, differs
//   - "line": the golden differs only where an error names its line
func iniV1Mismatches(t *testing.T) map[string]*iniV1Mismatch {
	t.Helper()
	out := map[string]*iniV1Mismatch{}
	for _, c := range readCases(t) {
		kinds := map[string]bool{}
		m := &iniV1Mismatch{}
		dir, main := c.materialize(t)
		files := []string{main}
		for name := range c.files {
			if strings.HasSuffix(name, ".pem") || strings.HasSuffix(name, ".key") {
				continue // a certificate or key the config names, not ini
			}
			files = append(files, filepath.Join(dir, name))
		}
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			ours, theirs := docDump((*iniDoc).read, string(data)), docDump(readINIv1, string(data))
			if ours == theirs {
				continue
			}
			oursErr, theirsErr := strings.HasPrefix(ours, "error: "), strings.HasPrefix(theirs, "error: ")
			switch {
			case theirsErr && !oursErr:
				kinds["refuses"] = true
			case oursErr && !theirsErr:
				kinds["accepts"] = true
			case oursErr && theirsErr:
				kinds["error"] = true
			default:
				kinds["values"] = true
			}
			fmt.Fprintf(&m.detail, "%s as read by ours:\n%s\nby ini.v1:\n%s\n", filepath.Base(p), ours, theirs)
		}
		data, _ := os.ReadFile(main)
		cfg, err := parse(data, main, testEnv, readINIv1)
		got := render(cfg, err, dir)
		if got != c.want {
			kinds["golden"] = true
			if repeatWarning.ReplaceAllString(lineless.ReplaceAllString(c.want, "$1:"), "") == got {
				kinds["line"] = true
				delete(kinds, "golden")
			}
			fmt.Fprintf(&m.detail, "golden want:\n%s\nwith ini.v1:\n%s", c.want, got)
		}
		if len(kinds) == 0 {
			continue
		}
		for k := range kinds {
			m.kinds = append(m.kinds, k)
		}
		sort.Strings(m.kinds)
		out[c.name] = m
	}
	return out
}

// lineless drops the line from the location an error golden starts with.
var lineless = regexp.MustCompile(`(?m)^(error: [^\s:]+):\d+:`)

// repeatWarning is a golden's warning about a repeated section or option,
// which a reader without positions cannot give.
var repeatWarning = regexp.MustCompile(`(?m)^warning: \S+:\d+: (section \[.*\] repeats |option \S+ of \[.*\] repeats |\[include\] in an included file ).*\n`)

// listedCase is a golden case named in doc.go's list of ini.v1 mismatches.
var listedCase = regexp.MustCompile(`(?m)^//   - ([a-z0-9_]+)\.conftest: `)

// TestINIv1Evidence keeps the package doc's account of why conf does not read
// its files with gopkg.in/ini.v1 true: the goldens listed there are exactly
// those ini.v1 reads differently, and every other golden ini.v1 gets wrong
// differs only in the line its error names.
func TestINIv1Evidence(t *testing.T) {
	listed := map[string]bool{}
	for _, m := range listedCase.FindAllStringSubmatch(mustRead(t, "doc.go"), -1) {
		listed[m[1]] = true
	}
	if len(listed) == 0 {
		t.Fatal("doc.go lists no golden cases")
	}
	mismatches := iniV1Mismatches(t)
	lineOnly := 0
	for name, m := range mismatches {
		if slices.Equal(m.kinds, []string{"line"}) {
			lineOnly++
			if listed[name] {
				t.Errorf("%s: doc.go lists it, but ini.v1 now differs only in the error's line\n%s", name, &m.detail)
			}
			continue
		}
		if !listed[name] {
			t.Errorf("%s: ini.v1 differs %v; doc.go does not list it\n%s", name, m.kinds, &m.detail)
		}
	}
	for name := range listed {
		if _, ok := mismatches[name]; !ok {
			t.Errorf("%s: doc.go lists it, but ini.v1 now reads it as the reference does", name)
		}
	}
	// The rule must have cases to hold over, or the doc's first claim is
	// empty.
	if lineOnly == 0 {
		t.Error("no golden differs only in its error's line; doc.go says errors lose their lines")
	}
	t.Logf("%d goldens: %d read alike, %d differ only in the error's line, %d listed in doc.go",
		len(readCases(t)), len(readCases(t))-len(mismatches), lineOnly, len(listed))
}
