package conf

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Report is what Check found in a config: the errors that stop it loading
// and the warnings about what it does not do as written.
type Report struct {
	Errors   []*Error
	Warnings []Warning
	files    []string // the main file as named, then the included ones
}

// OK says the config would load.
func (r *Report) OK() bool { return len(r.Errors) == 0 }

// Lines is one line per problem, in the order of their files (the main
// one first, then as included) and lines, an error before a warning on the
// same line: "file:line: [section] option: message" for an error and
// "file:line: warning: message" for a warning.
func (r *Report) Lines() []string {
	type line struct {
		rank, n int
		text    string
	}
	var all []line
	for _, e := range r.Errors {
		all = append(all, line{r.rank(e.File), e.Line, e.Error()})
	}
	for _, w := range r.Warnings {
		all = append(all, line{r.rank(w.File), w.Line, w.String()})
	}
	slices.SortStableFunc(all, func(a, b line) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.n, b.n))
	})
	out := make([]string, len(all))
	for i, l := range all {
		out[i] = l.text
	}
	return out
}

// rank is a file's place in the order of reading; files never read come
// last.
func (r *Report) rank(file string) int {
	if i := slices.Index(r.files, file); i >= 0 {
		return i
	}
	return len(r.files)
}

// Check reads the config at path as Load does, with env as the
// environment, and reports every problem instead of the first: after an
// error the config is read again without the bad option (so its default
// stands), or with its section reduced to the least that loads, until it
// loads or an error leaves nothing to take out (a syntax error, a bad
// [include]). It adds warnings Load does not give: unknown sections and
// options, this project's extensions, values only this project takes.
func Check(path string, env []string) *Report {
	r := &Report{}
	data, err := readMain(path)
	if err != nil {
		r.Errors = append(r.Errors, err.(*Error))
		return r
	}
	st := &checkState{masked: map[[2]string]bool{}, stubbed: map[string]bool{}, dropped: map[string]bool{}, erred: map[string]bool{}}
	var first, last *loader
	for {
		l, err := newLoader(path, env, (*iniDoc).read)
		if err != nil {
			r.Errors = append(r.Errors, err.(*Error))
			return r
		}
		l.check, l.doc.seen = st, map[string]map[string]bool{}
		err = l.run(data)
		if first == nil {
			first = l
		}
		last = l
		if err == nil {
			break
		}
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{File: path, Msg: err.Error()}
		}
		consequence, more := st.next(l.doc, e)
		if !consequence {
			r.Errors = append(r.Errors, e)
		}
		if !more {
			break
		}
	}
	r.Warnings = append(r.Warnings, last.cfg.OwnWarnings...)
	located := map[string]bool{}
	for _, w := range last.cfg.OwnWarnings {
		located[w.logged()] = true
	}
	for _, msg := range last.cfg.Warnings {
		if !located[msg] {
			r.Warnings = append(r.Warnings, last.placeWarning(msg))
		}
	}
	r.Warnings = append(r.Warnings, lint(first, last)...)
	r.files = append([]string{path}, first.cfg.Files[1:]...)
	return r
}

var forSection = regexp.MustCompile(`^For \[([^\]]+)\]`)

// placeWarning locates one of the reference's own warnings: at its
// section when it names one, else at the main file.
func (l *loader) placeWarning(msg string) Warning {
	w := Warning{File: l.path, Msg: msg}
	if m := forSection.FindStringSubmatch(msg); m != nil {
		if s, ok := l.doc.byName[m[1]]; ok {
			w.File, w.Line = l.display(s.file), s.line
		}
	}
	return w
}

// checkState is what Check has taken out of the config so far; apply
// takes it out of each new reading.
type checkState struct {
	masked  map[[2]string]bool // {section, option}; section "DEFAULT" for [DEFAULT]'s
	stubbed map[string]bool    // sections reduced to their kind's stub
	dropped map[string]bool    // sections taken out whole
	erred   map[string]bool    // sections with an error reported
}

func (st *checkState) apply(d *iniDoc) {
	if st == nil {
		return
	}
	for k := range st.masked {
		if k[0] == "DEFAULT" {
			d.defaults.remove(k[1])
		} else if s, ok := d.byName[k[0]]; ok {
			s.remove(k[1])
		}
	}
	for name := range st.stubbed {
		s, ok := d.byName[name]
		if !ok {
			continue
		}
		s.options, s.byName = nil, map[string]*iniOption{}
		for _, kv := range sectionKinds[kindOf(name)].stub {
			k, v, _ := strings.Cut(kv, "=")
			s.set(&iniOption{name: k, value: v, file: s.file, line: s.line})
		}
	}
	for name := range st.dropped {
		delete(d.byName, name)
		d.sections = slices.DeleteFunc(d.sections, func(s *iniSection) bool { return s.name == name })
	}
}

// next decides how the following reading gets past e: without e's option
// when the config sets it, else with e's section reduced to its stub, else
// without the section. consequence says e only follows from an earlier
// removal (a section that already failed now lacks an option it needs);
// more is false when nothing is left to take out.
func (st *checkState) next(d *iniDoc, e *Error) (consequence, more bool) {
	sec := e.Section
	s, ok := d.byName[sec]
	if !ok || sec == "include" {
		return false, false
	}
	prior := st.erred[sec]
	if e.lacks != nil && !st.stubbed[sec] {
		prior = slices.ContainsFunc(e.lacks, func(o string) bool {
			return st.masked[[2]string{sec, o}] || st.masked[[2]string{"DEFAULT", o}]
		})
	}
	st.erred[sec] = true
	if e.Option != "" && !st.stubbed[sec] {
		if _, ok := s.byName[e.Option]; ok {
			st.masked[[2]string{sec, e.Option}] = true
			return false, true
		}
		if _, ok := d.defaults.byName[e.Option]; ok {
			st.masked[[2]string{"DEFAULT", e.Option}] = true
			return false, true
		}
	}
	if k, ok := sectionKinds[kindOf(sec)]; ok && k.stub != nil && !st.stubbed[sec] {
		st.stubbed[sec] = true
		return prior, true
	}
	if sec == "supervisord" || st.dropped[sec] {
		return prior, false
	}
	st.dropped[sec] = true
	return prior, true
}

// sectionKind is one kind of section: the options the reference reads in
// it (nil for kinds whose options are free-form), and a stub, the least
// body of the kind that loads (nil when the kind is never reduced to one).
type sectionKind struct {
	reference []string
	stub      []string
	ours      bool // a kind of this project's, which the reference ignores whole
}

// programOptions are the reference's options of every program-like section.
var programOptions = []string{
	"autorestart", "autostart", "command", "directory", "environment", "exitcodes", "killasgroup",
	"numprocs", "numprocs_start", "priority", "process_name", "redirect_stderr", "serverurl",
	"startretries", "startsecs", "stopasgroup", "stopsignal", "stopwaitsecs", "umask", "user",
	"stdout_capture_maxbytes", "stdout_events_enabled", "stdout_logfile", "stdout_logfile_backups",
	"stdout_logfile_maxbytes", "stdout_syslog",
	"stderr_capture_maxbytes", "stderr_events_enabled", "stderr_logfile", "stderr_logfile_backups",
	"stderr_logfile_maxbytes", "stderr_syslog",
}

// sectionKinds are the kinds of section, by kindOf's name. The reference
// lists are its 4.2.5 options, which do not change; the options this
// project reads are found by reading a stub of each kind (knownOptions), so
// they cannot drift from the loader.
var sectionKinds = map[string]sectionKind{
	"supervisord": {
		reference: []string{"childlogdir", "directory", "environment", "identifier", "logfile",
			"logfile_backups", "logfile_maxbytes", "loglevel", "minfds", "minprocs", "nocleanup",
			"nodaemon", "pidfile", "silent", "strip_ansi", "umask", "user"},
		stub: []string{},
	},
	"supervisorctl":    {reference: []string{"serverurl", "username", "password", "prompt", "history_file"}, stub: []string{}},
	"unix_http_server": {reference: []string{"file", "chmod", "chown", "username", "password"}, stub: []string{"file=/supervisord-check.sock"}},
	"inet_http_server": {reference: []string{"port", "username", "password"}, stub: []string{"port=127.0.0.1:9001"}},
	"program:":         {reference: programOptions, stub: []string{"command=true"}},
	"eventlistener:": {
		reference: append([]string{"buffer_size", "events", "result_handler"}, programOptions...),
		stub:      []string{"command=true", "events=PROCESS_STATE"},
	},
	"fcgi-program:": {
		reference: append([]string{"socket", "socket_backlog", "socket_mode", "socket_owner"}, programOptions...),
		stub:      []string{"command=true", "socket=tcp://127.0.0.1:1"},
	},
	"group:":        {reference: []string{"programs", "priority"}, stub: []string{}},
	"include":       {reference: []string{"files"}},
	"rpcinterface:": {stub: []string{"supervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface"}},
	"ctlplugin:":    {},
	"user:":         {reference: []string{}, stub: []string{"password=x"}, ours: true},
	// A [fleet] stub cannot load (it names no PEM files); reading it
	// still looks up every option, and Check drops a [fleet] that fails.
	"fleet": {reference: []string{}, stub: []string{}, ours: true},
}

// kindOf names the kind of a section the way the reference picks sections
// (and "user:" and "fleet" for this project's accounts and fleet):
// by exact name or by prefix. "" is a section the reference ignores.
func kindOf(section string) string {
	switch section {
	case "supervisord", "supervisorctl", "include", "fleet":
		return section
	}
	for _, p := range []string{"unix_http_server", "inet_http_server", "program:", "eventlistener:", "fcgi-program:", "group:", "rpcinterface:", "ctlplugin:", "user:"} {
		if strings.HasPrefix(section, p) {
			return p
		}
	}
	return ""
}

// stubSection is the text of a section of the kind holding only its stub.
func (k sectionKind) stubSection(kind string) string {
	name := kind
	if strings.HasSuffix(kind, ":") {
		name += "stub"
	}
	return fmt.Sprintf("[%s]\n%s\n", name, strings.Join(k.stub, "\n"))
}

// knownOptions is, by kind, every option the loader looks up in a section
// of that kind, found by loading one stub of each kind.
var knownOptions = sync.OnceValue(func() map[string]map[string]bool {
	var b strings.Builder
	for kind, k := range sectionKinds {
		if k.stub == nil || kind == "rpcinterface:" {
			continue
		}
		b.WriteString(k.stubSection(kind))
	}
	l, err := newLoader(filepath.Join(os.TempDir(), "supervisord-check.conf"), nil, (*iniDoc).read)
	if err != nil {
		panic(err) // filepath.Abs of an absolute path does not fail
	}
	l.doc.seen = map[string]map[string]bool{}
	_ = l.run([]byte(b.String())) // a stub that fails is caught by the tests
	known := map[string]map[string]bool{"include": {"files": true}}
	for section, opts := range l.doc.seen {
		known[kindOf(section)] = opts
	}
	return known
})

// lint warns about the sections and options of first's files (read before
// Check took anything out) that the loader does not read, or that only
// this project reads. last is the final reading, whose lookups add the
// options read only on some paths.
func lint(first, last *loader) []Warning {
	known := knownOptions()
	var out []Warning
	add := func(file string, line int, format string, args ...any) {
		out = append(out, Warning{File: first.display(file), Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	for _, s := range first.doc.sections {
		kind := kindOf(s.name)
		k, ok := sectionKinds[kind]
		if !ok {
			msg := fmt.Sprintf("unknown section [%s]: the reference ignores it, and so does this project", s.name)
			if guess := closest(strings.SplitN(s.name, ":", 2)[0], sectionHeads()); guess != "" {
				msg += fmt.Sprintf(" (did you mean [%s%s]?)", guess, strings.TrimPrefix(s.name, strings.SplitN(s.name, ":", 2)[0]))
			}
			add(s.file, s.line, "%s", msg)
			continue
		}
		if k.reference == nil {
			continue // free-form options, handed to a plugin
		}
		if k.ours {
			add(s.file, s.line, "section [%s] is this project's: the reference ignores it", s.name)
		}
		ours := known[kind]
		var names []string
		for n := range ours {
			names = append(names, n)
		}
		for n := range last.doc.seen[s.name] {
			names = append(names, n)
		}
		slices.Sort(names)
		names = slices.Compact(names)
		for _, o := range s.options {
			switch {
			case !slices.Contains(names, o.name):
				msg := fmt.Sprintf("unknown option %s in [%s]: the reference ignores it, and so does this project", o.name, s.name)
				if guess := closest(o.name, names); guess != "" {
					msg += fmt.Sprintf(" (did you mean %s?)", guess)
				}
				add(o.file, o.line, "%s", msg)
			case !slices.Contains(k.reference, o.name) && !k.ours:
				add(o.file, o.line, "option %s in [%s] is this project's: the reference ignores it", o.name, s.name)
			case o.name == "startretries" && strings.EqualFold(strings.TrimFunc(o.value, isPySpace), "unlimited"):
				add(o.file, o.line, "startretries=unlimited is this project's: the reference refuses it")
			}
		}
	}
	return out
}

// sectionHeads are the section names, or the parts before ":", that
// the reference reads.
func sectionHeads() []string {
	var heads []string
	for kind := range sectionKinds {
		heads = append(heads, strings.TrimSuffix(kind, ":"))
	}
	slices.Sort(heads)
	return heads
}

// closest is the candidate within an edit distance of 2 of word, the
// nearest one (the first in order among equals); "" when there is none.
func closest(word string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(word, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes
// (option names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
