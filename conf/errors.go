package conf

import (
	"fmt"
	"strings"
)

// Error is the one error a bad config yields. Msg is the problem in the
// reference's words; File, Line, Section and Option locate it where known.
type Error struct {
	File    string // the file holding the offending line, as named to Load or as globbed by [include]
	Line    int    // 1-based; 0 when unknown
	Section string // "" when the problem is not inside one section
	Option  string // "" when the problem is not one option
	Msg     string
	// ref is the whole text the reference prints after "Error: ", when it
	// differs from Msg (it appends its own location to program errors).
	ref string
	// lacks, for an error that a section lacks options, names them: Check
	// takes the error for a consequence of its own removals only when it
	// removed one of them.
	lacks []string
}

// Error renders one line: "file:line: [section] option: message".
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Section != "" {
		fmt.Fprintf(&b, "[%s] ", e.Section)
	}
	if e.Option != "" {
		b.WriteString(e.Option + ": ")
	}
	b.WriteString(strings.Join(strings.Fields(strings.ReplaceAll(e.Msg, "\n", " ")), " "))
	return b.String()
}

// Reference is exactly what supervisord 4.2.5 prints after "Error: " for the
// same config (possibly several lines, as it prints ini syntax errors).
func (e *Error) Reference() string {
	if e.ref != "" {
		return e.ref
	}
	return e.Msg
}
