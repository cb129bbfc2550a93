// Package selector reads label selectors and label sets, as the fleet
// picks its nodes with them: `role=web`, `zone!=b`, `role in (web,api)`,
// `tier notin (db)`, `canary` (the label is set), `!canary` (it is not),
// joined by commas, every requirement having to hold. The grammar is
// Kubernetes's set-based label selectors, which operators know.
//
// Parse and ParseLabels are pure and fuzzed; a Selector prints back
// (String) as text that parses to the same Selector.
package selector

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Op is how a requirement tests its label.
type Op int

const (
	Equals    Op = iota // key=value (also key==value)
	NotEquals           // key!=value: the label is not set, or set to another value
	In                  // key in (v1,v2): set to one of the values
	NotIn               // key notin (v1,v2): not set, or set to none of them
	Exists              // key
	NotExists           // !key
)

// Requirement is one test of one label.
type Requirement struct {
	Key    string
	Op     Op
	Values []string // one for Equals and NotEquals, sorted for In and NotIn, none otherwise
}

// Selector is the requirements a set of labels must all meet; the zero
// Selector (from "") selects everything.
type Selector struct {
	reqs []Requirement
}

// Requirements are the selector's requirements, in the order written.
func (s Selector) Requirements() []Requirement { return slices.Clone(s.reqs) }

// Empty reports whether the selector selects everything.
func (s Selector) Empty() bool { return len(s.reqs) == 0 }

// Matches reports whether labels meet every requirement.
func (s Selector) Matches(labels map[string]string) bool {
	for _, r := range s.reqs {
		v, set := labels[r.Key]
		var ok bool
		switch r.Op {
		case Equals:
			ok = set && v == r.Values[0]
		case NotEquals:
			ok = !set || v != r.Values[0]
		case In:
			ok = set && slices.Contains(r.Values, v)
		case NotIn:
			ok = !set || !slices.Contains(r.Values, v)
		case Exists:
			ok = set
		case NotExists:
			ok = !set
		}
		if !ok {
			return false
		}
	}
	return true
}

// String is the selector as Parse reads it.
func (s Selector) String() string {
	parts := make([]string, len(s.reqs))
	for i, r := range s.reqs {
		switch r.Op {
		case Equals:
			parts[i] = r.Key + "=" + r.Values[0]
		case NotEquals:
			parts[i] = r.Key + "!=" + r.Values[0]
		case In:
			parts[i] = r.Key + " in (" + strings.Join(r.Values, ",") + ")"
		case NotIn:
			parts[i] = r.Key + " notin (" + strings.Join(r.Values, ",") + ")"
		case Exists:
			parts[i] = r.Key
		case NotExists:
			parts[i] = "!" + r.Key
		}
	}
	return strings.Join(parts, ",")
}

// SyntaxError is text that does not read as a selector or a label set:
// Offset is the byte where reading stopped.
type SyntaxError struct {
	Text   string
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("selector: %s at offset %d of %q", e.Msg, e.Offset, e.Text)
}

// ErrSyntax is what every *SyntaxError is (errors.Is).
var ErrSyntax = errors.New("selector: syntax error")

func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// Names and values are letters, digits, '-', '_', '.' and '/' (a key may
// have a DNS prefix, as Kubernetes's: example.com/tier); a value may be
// empty; a key may not.
func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '/'
}

// MaxLength bounds what Parse and ParseLabels read.
const MaxLength = 4096

// lexer reads a selector's text.
type lexer struct {
	text string
	pos  int
}

func (l *lexer) fail(msg string) error { return &SyntaxError{Text: l.text, Offset: l.pos, Msg: msg} }

func (l *lexer) space() {
	for l.pos < len(l.text) && (l.text[l.pos] == ' ' || l.text[l.pos] == '\t') {
		l.pos++
	}
}

// name reads a name (maybe empty) after any space.
func (l *lexer) name() string {
	l.space()
	start := l.pos
	for l.pos < len(l.text) && isNameByte(l.text[l.pos]) {
		l.pos++
	}
	return l.text[start:l.pos]
}

// accept consumes s after any space, reporting whether it was there.
func (l *lexer) accept(s string) bool {
	l.space()
	if strings.HasPrefix(l.text[l.pos:], s) {
		l.pos += len(s)
		return true
	}
	return false
}

// word consumes the keyword w after space when a space or '(' follows it.
func (l *lexer) word(w string) bool {
	save := l.pos
	if !l.accept(w) {
		return false
	}
	if l.pos < len(l.text) && isNameByte(l.text[l.pos]) {
		l.pos = save
		return false
	}
	return true
}

func (l *lexer) end() bool {
	l.space()
	return l.pos == len(l.text)
}

// Parse reads a selector: requirements separated by commas, each
// `key=value`, `key==value`, `key!=value`, `key in (v,…)`,
// `key notin (v,…)`, `key` or `!key`, with spaces allowed around the
// parts. "" (or only spaces) selects everything.
func Parse(text string) (Selector, error) {
	l := &lexer{text: text}
	if len(text) > MaxLength {
		return Selector{}, l.fail(fmt.Sprintf("longer than %d bytes", MaxLength))
	}
	var s Selector
	if l.end() {
		return s, nil
	}
	for {
		r, err := l.requirement()
		if err != nil {
			return Selector{}, err
		}
		s.reqs = append(s.reqs, r)
		if l.end() {
			return s, nil
		}
		if !l.accept(",") {
			return Selector{}, l.fail("expected ',' between requirements")
		}
	}
}

func (l *lexer) requirement() (Requirement, error) {
	if l.accept("!") {
		key := l.name()
		if key == "" {
			return Requirement{}, l.fail("expected a label name after '!'")
		}
		return Requirement{Key: key, Op: NotExists}, nil
	}
	key := l.name()
	if key == "" {
		return Requirement{}, l.fail("expected a label name")
	}
	switch {
	case l.accept("!="):
		return l.single(key, NotEquals)
	case l.accept("=="), l.accept("="):
		return l.single(key, Equals)
	case l.word("notin"):
		return l.set(key, NotIn)
	case l.word("in"):
		return l.set(key, In)
	}
	return Requirement{Key: key, Op: Exists}, nil
}

func (l *lexer) single(key string, op Op) (Requirement, error) {
	v := l.name()
	if l.pos < len(l.text) && !strings.ContainsRune(", \t", rune(l.text[l.pos])) {
		return Requirement{}, l.fail("unexpected character in a value")
	}
	return Requirement{Key: key, Op: op, Values: []string{v}}, nil
}

func (l *lexer) set(key string, op Op) (Requirement, error) {
	if !l.accept("(") {
		return Requirement{}, l.fail("expected '(' after in or notin")
	}
	seen := map[string]bool{}
	for {
		v := l.name()
		if v == "" {
			return Requirement{}, l.fail("expected a value")
		}
		seen[v] = true
		if l.accept(")") {
			break
		}
		if !l.accept(",") {
			return Requirement{}, l.fail("expected ',' or ')' in a set of values")
		}
	}
	return Requirement{Key: key, Op: op, Values: slices.Sorted(maps.Keys(seen))}, nil
}

// ParseLabels reads a label set, `key=value` pairs separated by commas
// (`role=web,zone=a`), with spaces allowed around the parts; "" is no
// labels. A key given twice is an error.
func ParseLabels(text string) (map[string]string, error) {
	l := &lexer{text: text}
	if len(text) > MaxLength {
		return nil, l.fail(fmt.Sprintf("longer than %d bytes", MaxLength))
	}
	labels := map[string]string{}
	if l.end() {
		return labels, nil
	}
	for {
		start := l.pos
		key := l.name()
		if key == "" {
			return nil, l.fail("expected a label name")
		}
		if !l.accept("=") {
			return nil, l.fail("expected '=' after a label name")
		}
		v := l.name()
		if _, dup := labels[key]; dup {
			l.pos = start
			return nil, l.fail(fmt.Sprintf("label %q given twice", key))
		}
		labels[key] = v
		if l.end() {
			return labels, nil
		}
		if !l.accept(",") {
			return nil, l.fail("expected ',' between labels")
		}
	}
}

// FormatLabels is labels as ParseLabels reads them, in key order.
func FormatLabels(labels map[string]string) string {
	parts := make([]string, 0, len(labels))
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, k+"="+labels[k])
	}
	return strings.Join(parts, ",")
}
