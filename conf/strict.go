package conf

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// Values the reference accepts but that can only be mistakes are refused
// here, each at its line; repeated sections and options keep the
// reference's meaning (merged, later values win) but are warned about.

// Warning is a finding that does not stop the load. File and Line locate it
// where known (Line is 0 when only the file is known).
type Warning struct {
	File string
	Line int
	Msg  string
}

// String renders one line: "file:line: warning: message".
func (w Warning) String() string { return w.where() + "warning: " + w.Msg }

// logged is the warning as Config.Warnings holds it: the log line's level
// already says it is a warning.
func (w Warning) logged() string { return w.where() + w.Msg }

func (w Warning) where() string {
	switch {
	case w.File == "":
		return ""
	case w.Line > 0:
		return fmt.Sprintf("%s:%d: ", w.File, w.Line)
	}
	return w.File + ": "
}

// warnAt adds a located warning to the config's.
func (l *loader) warnAt(file string, line int, msg string) {
	w := Warning{File: l.display(file), Line: line, Msg: msg}
	l.cfg.OwnWarnings = append(l.cfg.OwnWarnings, w)
	l.cfg.Warnings = append(l.cfg.Warnings, w.logged())
}

// noteRepeats warns about each repeated section and option the files held.
func (l *loader) noteRepeats() {
	for _, r := range l.doc.repeats {
		first := fmt.Sprintf("%s:%d", l.display(r.firstFile), r.firstLine)
		if r.firstFile == r.file {
			first = fmt.Sprintf("line %d", r.firstLine)
		}
		switch {
		case r.section == "include" && r.file != "":
			// Only the main file's [include] is read, before any other
			// file; one note for the section is enough.
			if r.option == "" {
				l.warnAt(r.file, r.line, "[include] in an included file is not read: only the main file's [include] is, as in the reference")
			}
		case r.option == "":
			l.warnAt(r.file, r.line, fmt.Sprintf("section [%s] repeats the one at %s: their options are merged, later values winning, as in the reference", r.section, first))
		default:
			l.warnAt(r.file, r.line, fmt.Sprintf("option %s of [%s] repeats the one at %s: this later value wins, as in the reference", r.option, r.section, first))
		}
	}
}

// refuseIncludeLoop refuses an [include] that matches the file holding it.
// The reference reads [include] only in the main file, so that is the only
// loop there is; it would read the main file a second time over itself.
func (l *loader) refuseIncludeLoop(file string) error {
	main, err1 := os.Stat(l.cfg.Path)
	inc, err2 := os.Stat(file)
	if err1 != nil || err2 != nil || !os.SameFile(main, inc) {
		return nil
	}
	return l.fail("include", "files", fmt.Errorf("include loop: %s matches the file holding this [include]", file))
}

var errEmptyCommand = errors.New("command is empty: there is nothing to start")

// refuseNegatives refuses negative counts, which the reference reads and
// then treats as 0: no processes, no wait for RUNNING, no retry, no grace
// before SIGKILL. Writing 0 says that; a minus sign is a slip.
func refuseNegatives(fail func(string, error) error, numprocs int, p *Process) error {
	for _, c := range []struct {
		name string
		n    int64
	}{
		{"startsecs", int64(p.StartSecs / time.Second)},
		{"startretries", int64(p.StartRetries)},
		{"stopwaitsecs", int64(p.StopWaitSecs / time.Second)},
		{"numprocs", int64(numprocs)},
	} {
		if c.n < 0 {
			err := fmt.Errorf("%d is below lower bound (0)", c.n)
			if c.name == "startretries" {
				err = fmt.Errorf("%w; for no limit, write startretries=unlimited", err)
			}
			return fail(c.name, err)
		}
	}
	return nil
}
