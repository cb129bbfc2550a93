package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// errInterrupt is Ctrl-C typed at a prompt.
var errInterrupt = errors.New("interrupted")

// lineEditor reads lines from a terminal with emacs-style editing, a
// history browsed with the arrow keys, and tab completion, the parts of
// GNU readline the reference's shell offers. The terminal is in raw mode
// only while a line is being read, so commands run with the terminal as
// the user left it, Ctrl-C there raising SIGINT.
type lineEditor struct {
	fd  int
	in  *bufio.Reader
	out io.Writer

	history []string
	// complete returns the completions of the word before the cursor; nil
	// for no completion at all.
	complete func(line string, word string) []string
}

func newLineEditor(f *os.File, out io.Writer) *lineEditor {
	return &lineEditor{fd: int(f.Fd()), in: bufio.NewReader(f), out: out}
}

// isTerminal reports whether r (a reader or writer) is a terminal.
func isTerminal(r any) (*os.File, bool) {
	f, ok := r.(*os.File)
	if !ok {
		return nil, false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return f, err == nil
}

// rawMode puts the terminal in the mode line editing needs and returns
// how to put it back.
func (e *lineEditor) rawMode() (restore func(), err error) {
	old, err := unix.IoctlGetTermios(e.fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	raw := *old
	raw.Lflag &^= unix.ICANON | unix.ECHO | unix.ISIG | unix.IEXTEN
	raw.Iflag &^= unix.IXON | unix.ICRNL | unix.INLCR | unix.IGNCR
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(e.fd, unix.TCSETS, &raw); err != nil {
		return nil, err
	}
	return func() { unix.IoctlSetTermios(e.fd, unix.TCSETS, old) }, nil
}

// width is the terminal's width in columns.
func (e *lineEditor) width() int {
	if ws, err := unix.IoctlGetWinsize(e.fd, unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
		return int(ws.Col)
	}
	return 80
}

// addHistory adds a typed line to the history, unless it is empty or
// repeats the line before it.
func (e *lineEditor) addHistory(line string) {
	if line == "" || len(e.history) > 0 && e.history[len(e.history)-1] == line {
		return
	}
	e.history = append(e.history, line)
}

// loadHistory reads a history file, a line per entry; a missing file is
// an empty history.
func (e *lineEditor) loadHistory(path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if l != "" {
			e.history = append(e.history, l)
		}
	}
}

// saveHistory writes the history file; failing to is not an error worth
// reporting, as in the reference.
func (e *lineEditor) saveHistory(path string) {
	if path == "" {
		return
	}
	var b strings.Builder
	for _, l := range e.history {
		b.WriteString(l + "\n")
	}
	// Written aside and renamed, so an interrupt never leaves it empty.
	tmp := path + ".tmp"
	if os.WriteFile(tmp, []byte(b.String()), 0o600) == nil {
		os.Rename(tmp, path)
	}
}

// editState is one line being edited.
type editState struct {
	e      *lineEditor
	prompt string
	buf    []rune
	pos    int
	echo   bool
	// hist is the history entry shown (len(history) for the new line),
	// saved what was typed before browsing away from the new line.
	hist  int
	saved []rune
	// tabs counts consecutive Tab presses: the second lists candidates.
	tabs int
	// row is the screen row the cursor is on, counted from the prompt's;
	// width is the terminal's, read when the line starts.
	row, width int
}

// readLine reads one line after prompt. It returns io.EOF for Ctrl-D on
// an empty line and errInterrupt for Ctrl-C. Typed lines are added to the
// history when echo is on.
func (e *lineEditor) readLine(prompt string, echo bool) (string, error) {
	restore, err := e.rawMode()
	if err != nil {
		return "", err
	}
	defer restore()
	s := &editState{e: e, prompt: prompt, echo: echo, hist: len(e.history), width: e.width()}
	io.WriteString(e.out, prompt)
	s.row = s.cells(0) / s.width
	for {
		r, err := e.readRune()
		if err != nil {
			return "", err
		}
		if r != '\t' {
			s.tabs = 0
		}
		switch r {
		case '\r', '\n':
			s.toEnd()
			line := string(s.buf)
			if echo {
				e.addHistory(line)
			}
			return line, nil
		case 3: // Ctrl-C; what follows on screen is up to the caller
			return "", errInterrupt
		case 4: // Ctrl-D
			if len(s.buf) == 0 {
				return "", io.EOF
			}
			s.deleteAt()
		case 1: // Ctrl-A
			s.pos = 0
		case 5: // Ctrl-E
			s.pos = len(s.buf)
		case 2: // Ctrl-B
			s.pos = max(0, s.pos-1)
		case 6: // Ctrl-F
			s.pos = min(len(s.buf), s.pos+1)
		case 8, 127: // Backspace
			if s.pos > 0 {
				s.buf = slices.Delete(s.buf, s.pos-1, s.pos)
				s.pos--
			}
		case 11: // Ctrl-K
			s.buf = s.buf[:s.pos]
		case 21: // Ctrl-U
			s.buf = slices.Delete(s.buf, 0, s.pos)
			s.pos = 0
		case 23: // Ctrl-W
			start := s.pos
			for start > 0 && s.buf[start-1] == ' ' {
				start--
			}
			for start > 0 && s.buf[start-1] != ' ' {
				start--
			}
			s.buf = slices.Delete(s.buf, start, s.pos)
			s.pos = start
		case 12: // Ctrl-L
			io.WriteString(e.out, "\x1b[H\x1b[2J")
			s.row = 0
		case 16: // Ctrl-P
			s.browse(-1)
		case 14: // Ctrl-N
			s.browse(1)
		case '\t':
			if !echo {
				continue
			}
			s.tabs++
			if !s.completeWord() {
				continue
			}
		case 27: // an escape sequence: arrows, Home, End, Delete
			s.escape()
		default:
			if r < ' ' {
				continue
			}
			s.buf = slices.Insert(s.buf, s.pos, r)
			s.pos++
			if !echo {
				continue
			}
			if end := s.cells(s.pos); s.pos == len(s.buf) && end%s.width != 0 {
				// Typing at the end of the line only needs the character.
				io.WriteString(e.out, string(r))
				s.row = end / s.width
				continue
			}
		}
		s.redraw()
	}
}

// readRune reads one character, decoding UTF-8.
func (e *lineEditor) readRune() (rune, error) {
	r, _, err := e.in.ReadRune()
	return r, err
}

func (s *editState) deleteAt() {
	if s.pos < len(s.buf) {
		s.buf = slices.Delete(s.buf, s.pos, s.pos+1)
	}
}

// escape handles what follows ESC: CSI and SS3 sequences for the cursor
// keys; anything else is dropped.
func (s *editState) escape() {
	b, err := s.e.in.ReadByte()
	if err != nil || b != '[' && b != 'O' {
		return
	}
	var params []byte
	for {
		c, err := s.e.in.ReadByte()
		if err != nil {
			return
		}
		if c >= 0x40 && c <= 0x7e {
			s.escapeKey(c, string(params))
			return
		}
		params = append(params, c)
	}
}

func (s *editState) escapeKey(final byte, params string) {
	switch final {
	case 'A':
		s.browse(-1)
	case 'B':
		s.browse(1)
	case 'C':
		s.pos = min(len(s.buf), s.pos+1)
	case 'D':
		s.pos = max(0, s.pos-1)
	case 'H':
		s.pos = 0
	case 'F':
		s.pos = len(s.buf)
	case '~':
		switch params {
		case "1", "7":
			s.pos = 0
		case "4", "8":
			s.pos = len(s.buf)
		case "3":
			s.deleteAt()
		}
	}
}

// browse moves through the history by delta entries.
func (s *editState) browse(delta int) {
	h := s.e.history
	next := s.hist + delta
	if !s.echo || next < 0 || next > len(h) {
		return
	}
	if s.hist == len(h) {
		s.saved = slices.Clone(s.buf)
	}
	s.hist = next
	if next == len(h) {
		s.buf = slices.Clone(s.saved)
	} else {
		s.buf = []rune(h[next])
	}
	s.pos = len(s.buf)
}

// redraw shows the prompt and the line, and puts the cursor in place.
func (s *editState) redraw() {
	var b strings.Builder
	if s.row > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", s.row)
	}
	b.WriteString("\r")
	b.WriteString(s.prompt)
	shown := 0
	if s.echo {
		b.WriteString(string(s.buf))
		shown = len(s.buf)
	}
	b.WriteString("\x1b[J")
	// The cursor is now after the last character; a line that fills its
	// last row exactly leaves it waiting at the margin, so move it on.
	end := s.cells(shown)
	if end > 0 && end%s.width == 0 {
		b.WriteString("\n")
	}
	target := end
	if s.echo {
		target = s.cells(s.pos)
	}
	if up := end/s.width - target/s.width; up > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", up)
	}
	b.WriteString("\r")
	if col := target % s.width; col > 0 {
		fmt.Fprintf(&b, "\x1b[%dC", col)
	}
	s.row = target / s.width
	io.WriteString(s.e.out, b.String())
}

// cells is how many screen cells the prompt and the first n characters of
// the line take.
func (s *editState) cells(n int) int {
	return utf8.RuneCountInString(s.prompt) + n
}

// toEnd moves the cursor to the end of the line and then to the start of
// the next row, so that what is written next does not overwrite it.
func (s *editState) toEnd() {
	shown := 0
	if s.echo {
		shown = len(s.buf)
	}
	end := s.cells(shown)
	if down := end/s.width - s.row; down > 0 {
		fmt.Fprintf(s.e.out, "\x1b[%dB", down)
	}
	if end > 0 && end%s.width == 0 {
		// A line that fills its last row exactly was left with the
		// cursor on the row after it already.
		io.WriteString(s.e.out, "\r")
	} else {
		io.WriteString(s.e.out, "\n")
	}
	s.row = 0
}

// wordBreaks end the word that completion works on: Python's readline
// defaults, less ":", "*" and "-", which names contain.
const wordBreaks = " \t\n`~!@#$%^&()=+[{]}\\|;'\",<>/?"

// completeWord completes the word before the cursor: one candidate
// replaces it, several extend it as far as they agree, and a second Tab
// lists them.
func (s *editState) completeWord() (redraw bool) {
	if s.e.complete == nil {
		return false
	}
	start := s.pos
	for start > 0 && !strings.ContainsRune(wordBreaks, s.buf[start-1]) {
		start--
	}
	word := string(s.buf[start:s.pos])
	cands := s.e.complete(string(s.buf), word)
	slices.Sort(cands)
	cands = slices.Compact(cands)
	if len(cands) == 0 {
		io.WriteString(s.e.out, "\a")
		return false
	}
	insert := cands[0]
	for _, c := range cands[1:] {
		insert = commonPrefix(insert, c)
	}
	switch {
	case utf8.RuneCountInString(insert) > utf8.RuneCountInString(word):
		s.replace(start, insert)
		return true
	case len(cands) == 1:
		return false
	case s.tabs < 2:
		io.WriteString(s.e.out, "\a")
		return false
	}
	s.toEnd()
	io.WriteString(s.e.out, matchList(cands, s.width))
	return true
}

// matchList lays out completion candidates as GNU readline does: sorted
// down the columns, each column as wide as the longest candidate plus two.
func matchList(cands []string, width int) string {
	longest := 0
	for _, c := range cands {
		longest = max(longest, utf8.RuneCountInString(c))
	}
	colWidth := longest + 2
	cols := width / colWidth
	if cols != 1 && cols*colWidth == width {
		cols--
	}
	cols = max(cols, 1)
	rows := (len(cands) + cols - 1) / cols
	var b strings.Builder
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			i := r + c*rows
			if i >= len(cands) {
				break
			}
			b.WriteString(cands[i])
			if c+1 < cols {
				b.WriteString(strings.Repeat(" ", colWidth-utf8.RuneCountInString(cands[i])))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (s *editState) replace(start int, text string) {
	rest := slices.Clone(s.buf[s.pos:])
	s.buf = append(append(s.buf[:start:start], []rune(text)...), rest...)
	s.pos = start + utf8.RuneCountInString(text)
}

func commonPrefix(a, b string) string {
	ar, br := []rune(a), []rune(b)
	n := 0
	for n < len(ar) && n < len(br) && ar[n] == br[n] {
		n++
	}
	return string(ar[:n])
}
