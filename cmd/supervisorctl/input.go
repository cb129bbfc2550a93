package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// lineSource is where the answers to prompts come from: the line editor
// when stdin is a terminal, or else plain lines read from stdin with the
// prompt written to stdout first, as Python's input() does.
type lineSource struct {
	out    io.Writer
	errOut io.Writer
	editor *lineEditor // nil when stdin is not a terminal

	// For a non-terminal stdin, one goroutine reads lines on request, so
	// a wait for a line can be given up (Ctrl-C in fg) without losing the
	// line when it comes.
	in      *bufio.Reader
	once    sync.Once
	want    chan struct{}
	got     chan lineResult
	waiting bool // a request is out and its answer not yet taken
	warned  bool // the getpass warning was shown
}

type lineResult struct {
	line string
	err  error
}

// newLineSource reads lines from in. Lines are edited only when both in
// and rawOut (stdout) are terminals, as Python's input() decides.
func newLineSource(in io.Reader, out, errOut, rawOut io.Writer) *lineSource {
	s := &lineSource{out: out, errOut: errOut}
	_, outTerm := isTerminal(rawOut)
	if f, ok := isTerminal(in); ok && outTerm {
		s.editor = newLineEditor(f, out)
	} else {
		s.in = bufio.NewReader(in)
	}
	return s
}

func (s *lineSource) reader() {
	for range s.want {
		line, err := s.in.ReadString('\n')
		switch {
		case err == nil:
			line = strings.TrimSuffix(line, "\n")
		case line != "":
			err = nil // a last line without its newline still counts
		}
		s.got <- lineResult{line, err}
	}
}

// readLine reads one line after prompt.
func (s *lineSource) readLine(prompt string) (string, error) {
	return s.readLineCtx(context.Background(), prompt)
}

// readLineCtx is readLine that gives up when ctx is done (on a terminal,
// Ctrl-C is read as a key instead and returns errInterrupt).
func (s *lineSource) readLineCtx(ctx context.Context, prompt string) (string, error) {
	if s.editor != nil {
		// Between two reads the terminal is not in raw mode, so a Ctrl-C
		// typed then came as SIGINT and ended ctx instead of as a key.
		if ctx.Err() != nil {
			return "", errInterrupt
		}
		return s.editor.readLine(prompt, true)
	}
	io.WriteString(s.out, prompt)
	s.once.Do(func() {
		s.want, s.got = make(chan struct{}), make(chan lineResult, 1)
		go s.reader()
	})
	if !s.waiting {
		s.want <- struct{}{}
		s.waiting = true
	}
	select {
	case r := <-s.got:
		s.waiting = false
		return r.line, r.err
	case <-ctx.Done():
		return "", errInterrupt
	}
}

// readPassword reads a line without echoing it, from the terminal even
// when stdin is not one, as Python's getpass does. With no terminal at all
// the line is read from stdin after the warnings getpass gives.
func (s *lineSource) readPassword(prompt string) (string, error) {
	if s.editor != nil {
		return s.editor.readLine(prompt, false)
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		defer tty.Close()
		if f, ok := isTerminal(tty); ok {
			return newLineEditor(f, tty).readLine(prompt, false)
		}
	}
	// Python shows a warning once per place in the code.
	if !s.warned {
		s.warned = true
		io.WriteString(s.errOut, "/usr/lib/python3.11/getpass.py:91: GetPassWarning: Can not control echo on the terminal.\n"+
			"  passwd = fallback_getpass(prompt, stream)\n")
	}
	io.WriteString(s.errOut, "Warning: Password input may be echoed.\n")
	out := s.out
	s.out = s.errOut
	defer func() { s.out = out }()
	line, err := s.readLine(prompt)
	if errors.Is(err, io.EOF) {
		return "", errPasswordEOF
	}
	if err == nil {
		io.WriteString(s.errOut, "\n")
	}
	return line, err
}

// errPasswordEOF is the end of input at a password prompt, which Python's
// getpass reports without the words input() has for it.
var errPasswordEOF = fmt.Errorf("password: %w", io.EOF)

// close stops the reading goroutine once it is idle.
func (s *lineSource) close() {
	if s.want != nil && !s.waiting {
		close(s.want)
	}
}
