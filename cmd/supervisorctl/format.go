package main

import (
	"strings"
	"unicode/utf8"
)

// ljust pads s with spaces to width characters, as Python's "%-Ns" does.
func ljust(s string, width int) string {
	if n := utf8.RuneCountInString(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

// showStatuses prints the status table: the name column is three wider
// than the longest name (at least 33), the state column 10.
func (c *CLI) showStatuses(list []procInfo) {
	width := 30
	names := make([]string, len(list))
	for i, info := range list {
		names[i] = info.namespec()
		width = max(width, utf8.RuneCountInString(names[i]))
	}
	for i, info := range list {
		c.output(ljust(names[i], width+3) + ljust(info.str("statename"), 10) + info.str("description"))
	}
}

// formatConfigInfo is one line of avail.
func formatConfigInfo(info procInfo) string {
	inuse := "avail"
	if truthy(info["inuse"]) {
		inuse = "in use"
	}
	auto := "manual"
	if truthy(info["autostart"]) {
		auto = "auto"
	}
	return ljust(info.namespec(), 32) + " " +
		ljust(inuse, 9) + " " + ljust(auto, 9) + " " + info.str("group_prio") + ":" + info.str("process_prio")
}

// truthy is Python's truth of an XML-RPC value.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case int:
		return v != 0
	case string:
		return v != ""
	case float64:
		return v != 0
	case []any:
		return len(v) > 0
	case map[string]any:
		return len(v) > 0
	}
	return true
}

// columnize lays words out in as few rows as fit width, filled column by
// column and separated by two spaces, as the help list is shown. Rows are
// joined by newlines, without a final one.
func columnize(words []string, width int) string {
	if len(words) == 0 {
		return "<empty>"
	}
	if len(words) == 1 {
		return words[0]
	}
	size := len(words)
	rows, colWidths := size, []int{0}
	for nrows := 1; nrows < size; nrows++ {
		ncols := (size + nrows - 1) / nrows
		widths := make([]int, 0, ncols)
		total := -2
		for col := 0; col < ncols; col++ {
			w := 0
			for row := 0; row < nrows; row++ {
				i := row + nrows*col
				if i >= size {
					break
				}
				w = max(w, utf8.RuneCountInString(words[i]))
			}
			widths = append(widths, w)
			total += w + 2
			if total > width {
				break
			}
		}
		if total <= width {
			rows, colWidths = nrows, widths
			break
		}
	}
	lines := make([]string, rows)
	for row := 0; row < rows; row++ {
		var texts []string
		for col := range colWidths {
			i := row + rows*col
			if i < size {
				texts = append(texts, words[i])
			} else {
				texts = append(texts, "")
			}
		}
		for len(texts) > 0 && texts[len(texts)-1] == "" {
			texts = texts[:len(texts)-1]
		}
		for col := range texts {
			texts[col] = ljust(texts[col], colWidths[col])
		}
		lines[row] = strings.Join(texts, "  ")
	}
	return strings.Join(lines, "\n")
}
