package main

import (
	"errors"
	"io"
	"os"
	"slices"
	"strings"
)

// shell is the interactive loop: status first, then a prompt per command
// until quit, exit, end of input or Ctrl-C.
func (c *CLI) shell() {
	ed := c.lines.editor
	if ed != nil {
		ed.complete = c.complete
		if c.opts.HistoryFile != "" {
			ed.loadHistory(c.opts.HistoryFile)
		}
	}
	saveHistory := func() {
		if ed != nil {
			ed.saveHistory(c.opts.HistoryFile)
		}
	}
	defer saveHistory()

	// Ctrl-C while a command runs ends the shell, except in the commands
	// that catch it to stop following a log.
	c.intr = &interrupts{}
	c.intr.start(func() {
		c.output("")
		saveHistory()
		os.Exit(0)
	})
	defer c.intr.stop()

	prompt := c.opts.Prompt + "> "
	line := "status"
	for {
		if c.onecmd(line) {
			return
		}
		saveHistory()
		var err error
		line, err = c.lines.readLine(prompt)
		switch {
		case errors.Is(err, errInterrupt):
			c.output("")
			return
		case errors.Is(err, io.EOF):
			line = "EOF"
		case err != nil:
			c.output("")
			return
		}
	}
}

// complete lists the completions of word, the word before the cursor in
// line: action names first, then what the action takes, group names or
// process names (group:name and group:* for processes in a group).
func (c *CLI) complete(line, word string) []string {
	var cands []string
	words := fields(line)
	switch {
	case strings.TrimSpace(line) == "", len(words) == 1 && !strings.HasSuffix(line, " "):
		cands = vocabulary()
	// The reference tests the action against the string "help", so any
	// part of that word, "he" say, completes actions too.
	case strings.Contains("help", words[0]):
		cands = vocabulary()
	case words[0] == "fleet" && (len(words) == 1 || len(words) == 2 && !strings.HasSuffix(line, " ")):
		cands = fleetSubcommands
	case words[0] == "add" || words[0] == "remove" || words[0] == "update":
		seen := map[string]bool{}
		for _, info := range c.infoForCompletion() {
			if g := info.str("group"); !seen[g] {
				seen[g] = true
				cands = append(cands, g)
			}
		}
	case isProcessCommand(words[0]):
		seen := map[string]bool{}
		for _, info := range c.infoForCompletion() {
			group, name := info.str("group"), info.str("name")
			if strings.Contains(word, ":") || group != name {
				cands = append(cands, group+":"+name)
				if !seen[group] {
					seen[group] = true
					cands = append(cands, group+":*")
				}
			} else {
				cands = append(cands, name)
			}
		}
	}
	var out []string
	for _, cand := range cands {
		if strings.HasPrefix(cand, word) {
			out = append(out, cand+" ")
		}
	}
	return out
}

// isProcessCommand says whether action takes process names, as its
// completion arguments say.
func isProcessCommand(action string) bool {
	cmd := commands[action]
	return cmd != nil && !cmd.hidden && (slices.Contains(cmd.args, "process") || slices.Contains(cmd.args, "process..."))
}

// infoForCompletion fetches the process list once per command line, since
// completion may ask for it at every Tab; failures mean no candidates.
func (c *CLI) infoForCompletion() []procInfo {
	if c.completeInfo == nil {
		v, err := c.call("getAllProcessInfo")
		if err != nil {
			return nil
		}
		c.completeInfo = infos(v)
	}
	return c.completeInfo
}
