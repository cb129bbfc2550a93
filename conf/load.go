package conf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"supervisord/internal/logfmt"
	"supervisord/protocol/events"
)

// Load reads the config file at path (and its [include] files) with the
// environment of this process. %(here)s is the file's directory.
func Load(path string) (*Config, error) {
	data, err := readMain(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path, os.Environ())
}

// readMain reads the main config file, failing in the reference's words.
func readMain(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := "could not read config file " + path
		if errors.Is(err, fs.ErrNotExist) {
			msg = "could not find config file " + path
		}
		return nil, &Error{File: path, Msg: msg}
	}
	return data, nil
}

// Parse reads config text as if it were the file at path, with env
// ("KEY=value" entries) as the environment behind %(ENV_X)s. [include] files
// are still read from disk, relative to path's directory.
func Parse(data []byte, path string, env []string) (*Config, error) {
	return parse(data, path, env, (*iniDoc).read)
}

// iniReader adds one file's sections and options to a document; display is
// the file name as the reference would print it.
type iniReader func(d *iniDoc, data, file, display string) *parseError

// parse is Parse with the ini reader as a parameter, so tests can measure
// other readers against the goldens.
func parse(data []byte, path string, env []string, read iniReader) (*Config, error) {
	l, err := newLoader(path, env, read)
	if err != nil {
		return nil, err
	}
	if err := l.run(data); err != nil {
		return nil, err
	}
	return l.cfg, nil
}

func newLoader(path string, env []string, read iniReader) (*loader, error) {
	l := &loader{doc: newDoc(), path: path, env: expansions{}, read: read, sections: map[*Process]string{}}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			l.env["ENV_"+k] = v
		}
	}
	l.host, _ = os.Hostname()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	l.here = filepath.Dir(abs)
	l.cfg = &Config{Path: abs, Files: []string{abs}}
	return l, nil
}

type loader struct {
	doc  *iniDoc
	read iniReader
	path string // the main file as named by the caller
	here string
	host string
	// env holds the ENV_x names; [supervisord] environment= adds to it
	// before programs are read, as in the reference.
	env expansions
	cfg *Config
	// sections names the section each process was read from, so errors
	// found once all are read can point at it.
	sections map[*Process]string
	// check, set only by Check, edits the document before it is read so
	// that a run gets past the problems found by earlier runs.
	check *checkState
	// numprocs, when set, is the number of instances readProcesses makes
	// instead of numprocs= (a group's Scale).
	numprocs *int
}

func (l *loader) readFile(data []byte, file, display string) error {
	if !utf8.Valid(data) {
		return &Error{File: display, Msg: "'utf-8' codec can't decode the file " + PyRepr(display)}
	}
	if perr := l.read(l.doc, string(data), file, display); perr != nil {
		return &Error{File: display, Line: perr.line, Msg: perr.text}
	}
	return nil
}

// fail turns a converter's complaint about an option into an *Error that
// points at the option's line.
func (l *loader) fail(section, option string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	out := &Error{Section: section, Option: option, Msg: err.Error(), File: l.path}
	var o *iniOption
	if option != "" { // a lookup of "" would count as an option read
		o = l.doc.lookup(section, option)
	}
	if o != nil {
		out.File, out.Line = l.display(o.file), o.line
	} else if s, ok := l.doc.byName[section]; ok {
		out.File, out.Line = l.display(s.file), s.line
	}
	return out
}

// optionDir is the directory of the file that gives section its option
// name (the main file's when it is absent): what %(here)s names there.
func (l *loader) optionDir(section, name string) string {
	if o := l.doc.lookup(section, name); o != nil && o.file != "" {
		return filepath.Dir(o.file)
	}
	return l.here
}

func (l *loader) display(file string) string {
	if file == "" {
		return l.path
	}
	return file
}

// get is the reference's saneget: the option's value from the section or
// [DEFAULT], expanded with the ENV_x names plus extra; ok is false when the
// option is absent.
func (l *loader) get(section, name string, extra expansions) (string, bool, error) {
	o := l.doc.lookup(section, name)
	if o == nil {
		return "", false, nil
	}
	if !strings.Contains(o.value, "%") { // s % names is s: no copy of the names to make
		return o.value, true, nil
	}
	names := l.env.clone()
	for k, v := range extra {
		names[k] = v
	}
	v, err := expand(o.value, names, section+"."+name)
	if err != nil {
		return "", true, l.fail(section, name, err)
	}
	return v, true, nil
}

// str is get with a default for an absent option.
func (l *loader) str(section, name, def string, extra expansions) (string, error) {
	v, ok, err := l.get(section, name, extra)
	if !ok {
		return def, err
	}
	return v, err
}

func (l *loader) integer(section, name, def string, extra expansions) (n int, err error) {
	err = l.readOptions(section, extra, []option{opt(name, def, &n, parseInt)})
	return n, err
}

func (l *loader) boolean(section, name, def string, extra expansions) (b bool, err error) {
	err = l.readOptions(section, extra, []option{opt(name, def, &b, parseBool)})
	return b, err
}

func (l *loader) run(data []byte) error {
	if err := l.readFile(data, "", l.path); err != nil {
		return err
	}
	if err := l.includes(); err != nil {
		return err
	}
	l.noteRepeats()
	l.check.apply(l.doc)
	if !l.doc.has("supervisord") {
		return &Error{File: l.path, Msg: ".ini file does not include supervisord section"}
	}
	if err := l.supervisord(); err != nil {
		return err
	}
	if err := l.rpcInterfaces(); err != nil {
		return err
	}
	if err := l.groups(); err != nil {
		return err
	}
	if err := l.servers(); err != nil {
		return err
	}
	if err := l.users(); err != nil {
		return err
	}
	if len(l.cfg.InetHTTPServers) > 0 {
		l.cfg.InetHTTPServer = l.cfg.InetHTTPServers[0]
	}
	if len(l.cfg.UnixHTTPServers) > 0 {
		l.cfg.UnixHTTPServer = l.cfg.UnixHTTPServers[0]
	}
	l.supervisorctl()
	if sv := &l.cfg.Supervisord; sv.User != "" {
		uid, gid, err := uidFor(sv.User)
		if err != nil {
			return l.fail("supervisord", "user", err)
		}
		sv.UID, sv.GID = uid, gid
	}
	// Last, so that reading the stubs (knownOptions) has looked up every
	// other section's options before the file checks of [fleet] fail.
	return l.fleet()
}

// expandHere replaces %(here)s literally in every value, as the reference
// does after reading each file when [include] is present, so that each
// file's %(here)s names its own directory.
func (l *loader) expandHere(here string) {
	const token = "%(here)s"
	for _, s := range l.doc.sections {
		for _, name := range l.doc.optionNames(s.name) {
			o := l.doc.lookup(s.name, name)
			if strings.Contains(o.value, token) {
				c := *o
				c.value = strings.ReplaceAll(o.value, token, here)
				s.set(&c)
			}
		}
	}
}

func (l *loader) includes() error {
	if !l.doc.has("include") {
		return nil
	}
	l.expandHere(l.here)
	o := l.doc.byName["include"].byName["files"]
	if o == nil {
		return &Error{File: l.path, Line: l.doc.byName["include"].line, Section: "include",
			Msg: ".ini file has [include] section, but no files setting"}
	}
	names := l.env.clone()
	names["here"], names["host_node_name"] = l.here, l.host
	files, err := expand(o.value, names, "include.files")
	if err != nil {
		return l.fail("include", "files", err)
	}
	for _, pattern := range strings.Fields(files) {
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(l.here, pattern)
		}
		l.cfg.IncludeGlobs = append(l.cfg.IncludeGlobs, pattern)
		matches := pyGlob(pattern)
		if len(matches) == 0 {
			l.cfg.Warnings = append(l.cfg.Warnings, `No file matches via include "`+pattern+`"`)
			continue
		}
		for _, file := range matches {
			if err := l.refuseIncludeLoop(file); err != nil {
				return err
			}
			l.cfg.Infos = append(l.cfg.Infos, `Included extra file "`+file+`" during parsing`)
			data, err := os.ReadFile(file)
			if err != nil {
				continue // the reference skips files it cannot open
			}
			l.cfg.Files = append(l.cfg.Files, file)
			if err := l.readFile(data, file, file); err != nil {
				return err
			}
			l.expandHere(filepath.Dir(file))
		}
	}
	return nil
}

// pyGlob is glob.glob then sorted: like filepath.Glob, but wildcards do not
// match names starting with "." and a malformed pattern matches nothing.
func pyGlob(pattern string) []string {
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil
	}
	patParts := strings.Split(pattern, "/")
	var out []string
	for _, m := range matches {
		parts := strings.Split(m, "/")
		hidden := false
		for i, p := range parts {
			if i < len(patParts) && strings.HasPrefix(p, ".") && !strings.HasPrefix(patParts[i], ".") {
				hidden = true
			}
		}
		if !hidden {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

func (l *loader) supervisord() error {
	const s = "supervisord"
	sv := &l.cfg.Supervisord
	sv.UID, sv.GID = -1, -1
	here := expansions{"here": l.here}
	var envStr string
	err := l.readOptions(s, here, []option{
		opt("minfds", "1024", &sv.Minfds, parseCount),
		opt("minprocs", "200", &sv.Minprocs, parseCount),
		optIfSet("directory", func(v string) (err error) {
			sv.Directory, err = existingDirectory(v)
			return err
		}),
		opt("user", "", &sv.User, asIs),
		opt("umask", "022", &sv.Umask, parseOctal),
		opt("logfile", "supervisord.log", &sv.Logfile, func(v string) (string, error) {
			p, err := existingDirpath(v)
			if err != nil || p == "syslog" {
				return p, err
			}
			return normalizePath(p), nil
		}),
		opt("logfile_maxbytes", "50MB", &sv.LogfileMaxBytes, ParseByteSize),
		opt("logfile_backups", "10", &sv.LogfileBackups, parseInt),
		opt("loglevel", "info", &sv.LogLevel, ParseLogLevel),
		opt("pidfile", "supervisord.pid", &sv.Pidfile, func(v string) (string, error) {
			p, err := existingDirpath(v)
			if err != nil {
				return "", err
			}
			return normalizePath(p), nil
		}),
		opt("identifier", "supervisor", &sv.Identifier, asIs),
		opt("nodaemon", "false", &sv.Nodaemon, parseBool),
		opt("silent", "false", &sv.Silent, parseBool),
		opt("childlogdir", os.TempDir(), &sv.ChildLogDir, existingDirectory),
		opt("nocleanup", "false", &sv.NoCleanup, parseBool),
		opt("strip_ansi", "false", &sv.StripANSI, parseBool),
		opt("autoreload", "true", &sv.AutoReload, parseBool),
		opt("exit_when_all_done", "false", &sv.ExitWhenAllDone, parseBool),
		opt("logformat", LogText.String(), &sv.LogFormat, parseMainLogFormat),
		opt("event_history", strconv.Itoa(DefaultEventHistory), &sv.EventHistory, parseEventHistory),
		opt("environment", "", &envStr, asIs),
		optIfSet("statefile", func(v string) error {
			p, err := existingDirpath(v)
			if err != nil {
				return err
			}
			sv.StateFile = normalizePath(p)
			return nil
		}),
	})
	if err != nil {
		return err
	}
	if sv.StateFile == "" {
		sv.StateFile = filepath.Join(filepath.Dir(sv.Pidfile), DefaultStateFile)
	}
	fail := func(opt string, e error) error { return l.fail(s, opt, e) }
	// The reference expands environment twice: once as an option (above)
	// and once more with host_node_name available.
	names := l.env.clone()
	names["here"], names["host_node_name"] = l.here, l.host
	if envStr, err = expand(envStr, names, "environment"); err != nil {
		return fail("environment", err)
	}
	if sv.Environment, err = parseEnv(envStr); err != nil {
		return fail("environment", err)
	}
	for _, kv := range sv.Environment {
		l.env["ENV_"+kv.Key] = kv.Value
	}
	return nil
}

// knownFactories are the plugin specs this implementation provides; the
// reference refuses specs it cannot import, and we cannot import Python.
var knownFactories = map[string]bool{
	"supervisor.rpcinterface:make_main_rpcinterface": true,
}

const defaultResultHandler = "supervisor.dispatchers:default_handler"

func (l *loader) rpcInterfaces() error {
	const key = "supervisor.rpcinterface_factory"
	for _, s := range l.doc.sections {
		if !strings.HasPrefix(s.name, "rpcinterface:") {
			continue
		}
		name := strings.SplitN(s.name, ":", 2)[1]
		factory, ok, err := l.get(s.name, key, nil)
		if err != nil {
			return err
		}
		if !ok {
			return l.fail(s.name, "", fmt.Errorf("section [%s] does not specify a %s", s.name, key))
		}
		if !knownFactories[strings.TrimSpace(factory)] {
			return l.fail(s.name, key, fmt.Errorf("%s cannot be resolved within [%s]", factory, s.name))
		}
		ri := RPCInterface{Name: name, Factory: factory, Options: map[string]string{}}
		for _, opt := range l.doc.optionNames(s.name) {
			if opt == key {
				continue
			}
			v, _, err := l.get(s.name, opt, nil)
			if err != nil {
				return err
			}
			ri.Options[opt] = v
		}
		l.cfg.RPCInterfaces = append(l.cfg.RPCInterfaces, ri)
	}
	return nil
}

func (l *loader) groups() error {
	here := expansions{"here": l.here}
	var groups []*Group
	var excluded = map[string]bool{}
	sections := l.doc.sections

	for _, sec := range sections {
		if !strings.HasPrefix(sec.name, "group:") {
			continue
		}
		section := sec.name
		name, err := processName(strings.SplitN(section, ":", 2)[1])
		if err != nil {
			return l.fail(section, "", err)
		}
		programs, _, err := l.get(section, "programs", here)
		if err != nil {
			return err
		}
		priority, err := l.integer(section, "priority", "999", here)
		if err != nil {
			return err
		}
		g := &Group{Name: name, Kind: KindProgram, Priority: priority}
		// The reference reuses its section variable for the member it just
		// read, so later complaints name that member's section; keep that.
		named := section
		for _, program := range listOfStrings(programs) {
			ps, fs := "program:"+program, "fcgi-program:"+program
			hasP, hasF := l.doc.has(ps), l.doc.has(fs)
			if !hasP && !hasF {
				return l.fail(section, "programs", fmt.Errorf("[%s] names unknown program or fcgi-program %s", named, program))
			}
			if hasP && hasF {
				return l.fail(section, "programs", fmt.Errorf("[%s] name %s is ambiguous (exists as program and fcgi-program)", named, program))
			}
			named = ps
			if hasF {
				named = fs
			}
			excluded[named] = true
			procs, err := l.processes(named, name)
			if err != nil {
				return err
			}
			for _, p := range procs {
				p.Sources = append(p.Sources, l.source(section, here))
			}
			g.Processes = append(g.Processes, procs...)
		}
		groups = append(groups, g)
	}

	for _, sec := range sections {
		if !strings.HasPrefix(sec.name, "program:") || excluded[sec.name] {
			continue
		}
		name, err := processName(strings.SplitN(sec.name, ":", 2)[1])
		if err != nil {
			return l.fail(sec.name, "", err)
		}
		priority, err := l.integer(sec.name, "priority", "999", here)
		if err != nil {
			return err
		}
		procs, err := l.processes(sec.name, name)
		if err != nil {
			return err
		}
		groups = append(groups, &Group{Name: name, Kind: KindProgram, Priority: priority, Processes: procs,
			Numprocs: len(procs), Scale: l.scaler(sec.name, name)})
	}

	for _, sec := range sections {
		if !strings.HasPrefix(sec.name, "eventlistener:") {
			continue
		}
		g, err := l.eventListener(sec.name)
		if err != nil {
			return err
		}
		groups = append(groups, g)
	}

	for _, sec := range sections {
		if !strings.HasPrefix(sec.name, "fcgi-program:") || excluded[sec.name] {
			continue
		}
		g, err := l.fcgiProgram(sec.name)
		if err != nil {
			return err
		}
		groups = append(groups, g)
	}

	sort.SliceStable(groups, func(i, j int) bool {
		if groups[i].Priority != groups[j].Priority {
			return groups[i].Priority < groups[j].Priority
		}
		return groups[i].Name < groups[j].Name
	})
	if err := l.resolveDependencies(groups); err != nil {
		return err
	}
	sv := l.cfg.Supervisord.Environment
	for _, g := range groups {
		for _, p := range g.Processes {
			if len(sv) == 0 {
				continue
			}
			env := append([]EnvVar(nil), sv...)
			for _, kv := range p.Environment {
				env = setEnv(env, kv.Key, kv.Value)
			}
			p.Environment = env
		}
	}
	l.cfg.Groups = groups
	return nil
}

func (l *loader) eventListener(section string) (*Group, error) {
	here := expansions{"here": l.here}
	g := &Group{Name: strings.SplitN(section, ":", 2)[1], Kind: KindEventListener}
	var err error
	if g.Priority, err = l.integer(section, "priority", "-1", here); err != nil {
		return nil, err
	}
	if g.BufferSize, err = l.integer(section, "buffer_size", "10", here); err != nil {
		return nil, err
	}
	if g.BufferSize < 1 {
		return nil, l.fail(section, "buffer_size", fmt.Errorf("[%s] section sets invalid buffer_size (%d)", section, g.BufferSize))
	}
	if g.ResultHandler, err = l.str(section, "result_handler", defaultResultHandler, here); err != nil {
		return nil, err
	}
	if strings.TrimSpace(g.ResultHandler) != defaultResultHandler {
		return nil, l.fail(section, "result_handler", fmt.Errorf("%s cannot be resolved within [%s]", g.ResultHandler, section))
	}
	list, err := l.str(section, "events", "", here)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, e := range listOfStrings(list) {
		name := strings.ToUpper(e)
		if t, ok := events.TypeByOptionName(e); ok {
			name = t.String() // the reference's upper-casing, which has a few more ASCII results
		}
		if !seen[name] {
			seen[name] = true
			g.Events = append(g.Events, name)
		}
	}
	if len(g.Events) == 0 {
		return nil, l.fail(section, "events", fmt.Errorf("[%s] section requires an \"events\" line", section))
	}
	for _, e := range g.Events {
		if _, ok := events.TypeByName(e); !ok {
			return nil, l.fail(section, "events", fmt.Errorf("Unknown event type %s in [%s] events", e, section))
		}
	}
	redirect, err := l.boolean(section, "redirect_stderr", "false", here)
	if err != nil {
		return nil, err
	}
	if redirect {
		return nil, l.fail(section, "redirect_stderr", fmt.Errorf("[%s] section sets redirect_stderr=true but this is not allowed because it will interfere with the eventlistener protocol", section))
	}
	if g.Processes, err = l.processes(section, g.Name); err != nil {
		return nil, err
	}
	return g, nil
}

func (l *loader) fcgiProgram(section string) (*Group, error) {
	here := expansions{"here": l.here}
	name, err := processName(strings.SplitN(section, ":", 2)[1])
	if err != nil {
		return nil, l.fail(section, "", err)
	}
	g := &Group{Name: name, Kind: KindFCGIProgram, SocketOwnerUID: -1, SocketOwnerGID: -1}
	procUID := -1
	ownerSet, modeSet := false, false
	err = l.readOptions(section, here, []option{
		opt("priority", "999", &g.Priority, parseInt),
		optIfSet("user", func(u string) (err error) {
			procUID, _, err = uidFor(u)
			return err
		}),
		optIfSet("socket_backlog", func(v string) (err error) {
			if g.SocketBacklog, err = parseInt(v); err != nil {
				return err
			}
			if g.SocketBacklog < 1 || g.SocketBacklog > 65535 {
				return fmt.Errorf("Invalid socket_backlog value %d", g.SocketBacklog)
			}
			return nil
		}),
		optIfSet("socket_owner", func(v string) (err error) {
			g.SocketOwner, ownerSet = v, true
			if g.SocketOwnerUID, g.SocketOwnerGID, err = userGroup(v); err != nil {
				return fmt.Errorf("Invalid socket_owner value %s", v)
			}
			return nil
		}),
		optIfSet("socket_mode", func(v string) (err error) {
			modeSet = true
			if g.SocketMode, err = parseOctal(v); err != nil {
				return fmt.Errorf("Invalid socket_mode value %s", v)
			}
			return nil
		}),
	})
	if err != nil {
		return nil, err
	}
	sock, err := l.str(section, "socket", "", expansions{"here": l.here, "program_name": name})
	if err != nil {
		return nil, err
	}
	if sock == "" {
		return nil, l.fail(section, "socket", fmt.Errorf("[%s] section requires a \"socket\" line", section))
	}
	sockErr := func(msg string) error {
		return l.fail(section, "socket", fmt.Errorf("%s in [%s] socket", msg, section))
	}
	if path, ok := strings.CutPrefix(sock, "unix://"); ok {
		if !strings.HasPrefix(path, "/") {
			return nil, sockErr(fmt.Sprintf("('Unix socket path %%s is not an absolute path', %s)", PyRepr(path)))
		}
		g.Socket = "unix://" + normalizePath(path)
		if !ownerSet && procUID >= 0 && procUID != os.Getuid() {
			g.SocketOwnerUID = procUID
			if _, gid, err := uidFor(fmt.Sprint(procUID)); err == nil {
				g.SocketOwnerGID = gid
			}
		}
		if !modeSet {
			g.SocketMode = 0o700
		}
	} else {
		if ownerSet || modeSet {
			return nil, sockErr("socket_owner and socket_mode params should only be used with a Unix domain socket")
		}
		host, port, ok := parseTCPSocket(sock)
		if !ok {
			return nil, sockErr(fmt.Sprintf("('Bad socket format %%s', %s)", PyRepr(sock)))
		}
		switch {
		case port == "0":
			return nil, sockErr("0 is below lower bound (1)")
		case len(port) > 5 || port > "65535" && len(port) == 5:
			return nil, sockErr(port + " is above upper bound (65535)")
		}
		g.Socket = "tcp://" + strings.ToLower(host) + ":" + port
	}
	if g.Processes, err = l.processes(section, name); err != nil {
		return nil, err
	}
	return g, nil
}

// parseTCPSocket matches the reference's tcp://([^\s:]+):(\d+)$, returning
// the port as Python would print the number.
func parseTCPSocket(s string) (host, port string, ok bool) {
	rest, ok := strings.CutPrefix(s, "tcp://")
	if !ok {
		return "", "", false
	}
	host, port, ok = strings.Cut(rest, ":")
	if !ok || host == "" || strings.IndexFunc(host, isPySpace) >= 0 || port == "" ||
		strings.Trim(port, "0123456789") != "" {
		return "", "", false
	}
	if port = strings.TrimLeft(port, "0"); port == "" {
		port = "0"
	}
	return host, port, true
}

// StopOrder is the order the reference stops a group's processes in:
// highest priority number first, then by name, backwards.
func (g *Group) StopOrder() []*Process {
	ps := append([]*Process(nil), g.Processes...)
	sortProcesses(ps)
	slices.Reverse(ps)
	return ps
}

func sortProcesses(ps []*Process) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Priority != ps[j].Priority {
			return ps[i].Priority < ps[j].Priority
		}
		return ps[i].Name < ps[j].Name
	})
}

// processes reads the process instances of a program-like section. Like the
// reference, every complaint names the section and its file.
func (l *loader) processes(section, group string) ([]*Process, error) {
	procs, err := l.readProcesses(section, group)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = l.fail(section, "", err).(*Error)
		}
		file := l.display(l.doc.byName[section].file)
		e.ref = fmt.Sprintf("%s in section %s (file: %s)", e.Msg, PyRepr(section), PyRepr(file))
		return nil, e
	}
	return procs, nil
}

const maxNumprocs = 10000

// scaler makes the processes of the [program:x] section again for n
// instances, as numprocs=n would: a copy of the loader, which the
// config keeps for as long as it lives, reads the section again.
func (l *loader) scaler(section, group string) func(n int) ([]*Process, error) {
	return func(n int) ([]*Process, error) {
		if n < 0 || n > maxNumprocs {
			return nil, fmt.Errorf("%d instances: from 0 to %d", n, maxNumprocs)
		}
		c := *l
		c.numprocs = &n
		c.sections = map[*Process]string{}
		c.cfg = &Config{}
		return c.processes(section, group)
	}
}

func (l *loader) readProcesses(section, group string) ([]*Process, error) {
	program, err := processName(strings.SplitN(section, ":", 2)[1])
	if err != nil {
		return nil, err
	}
	common := expansions{"here": l.here, "program_name": program, "host_node_name": l.host, "group_name": group}
	fail := func(opt string, e error) error { return l.fail(section, opt, e) }
	t := Process{Group: group, Program: program, UID: -1, GID: -1}
	var numprocs, numprocsStart int
	err = l.readOptions(section, common, append([]option{
		opt("priority", "999", &t.Priority, parseInt),
		opt("autostart", "true", &t.AutoStart, parseBool),
		opt("autorestart", "unexpected", &t.AutoRestart, parseAutoRestart),
		opt("startsecs", "1", &t.StartSecs, parseSeconds),
		opt("startretries", "3", &t.StartRetries, parseStartRetries),
		opt("stopsignal", "TERM", &t.StopSignal, ParseSignal),
		opt("stopwaitsecs", "10", &t.StopWaitSecs, parseSeconds),
		opt("stopasgroup", "false", &t.StopAsGroup, parseBool),
		withDefault(opt("killasgroup", "", &t.KillAsGroup, parseBool), func() string { return fmt.Sprint(t.StopAsGroup) }),
		opt("keep_on_daemon_death", "false", &t.KeepOnDaemonDeath, parseBool),
		opt("exitcodes", "0", &t.ExitCodes, parseExitCodes),
		opt("redirect_stderr", "false", &t.RedirectStderr, parseBool),
		opt("essential", "false", &t.Essential, parseBool),
		opt("syslog_facility", "user", &t.SyslogFacility, parseSyslogFacility),
		opt("numprocs", "1", &numprocs, parseInt),
		opt("numprocs_start", "0", &numprocsStart, parseInt),
		// The reference would try to build any number of processes; past
		// this many it is a typo, and we would rather refuse than exhaust
		// memory.
		optCheck("numprocs", func() error {
			if numprocs > maxNumprocs {
				return fmt.Errorf("numprocs %d is above the limit of %d", numprocs, maxNumprocs)
			}
			return nil
		}),
		opt("stdout_capture_maxbytes", "0", &t.Stdout.CaptureMaxBytes, ParseByteSize),
		opt("stdout_events_enabled", "false", &t.Stdout.EventsEnabled, parseBool),
		opt("stderr_capture_maxbytes", "0", &t.Stderr.CaptureMaxBytes, ParseByteSize),
		opt("stderr_events_enabled", "false", &t.Stderr.EventsEnabled, parseBool),
		opt("serverurl", "", &t.ServerURL, parseServerURL),
		optIfSet("user", func(u string) (err error) {
			t.User = u
			t.UID, t.GID, err = uidFor(u)
			return err
		}),
		optIfSet("umask", func(v string) (err error) {
			t.HasUmask = true
			t.Umask, err = parseOctal(v)
			return err
		}),
	}, rlimitTable(&t.Rlimits)...))
	if err != nil {
		return nil, err
	}
	if l.numprocs != nil {
		numprocs = *l.numprocs
	}
	if err := refuseNegatives(fail, numprocs, &t); err != nil {
		return nil, err
	}
	if kindOf(section) == "program:" {
		if err := l.readSchedule(section, common, &t, numprocs); err != nil {
			return nil, err
		}
	}
	envStr := ""
	if o := l.doc.lookup(section, "environment"); o != nil {
		envStr = o.value
	}
	pname := "%(program_name)s"
	if o := l.doc.lookup(section, "process_name"); o != nil {
		pname = o.value
	}
	if pname, err = processName(pname); err != nil {
		return nil, fail("process_name", err)
	}
	if numprocs > 1 && !strings.Contains(pname, "%(process_num)") {
		return nil, fail("process_name", errors.New("%(process_num) must be present within process_name when numprocs > 1"))
	}
	if t.StopAsGroup && !t.KillAsGroup {
		return nil, fail("killasgroup", errors.New("Cannot set stopasgroup=true and killasgroup=false"))
	}

	// From here on the names grow as the reference's shared dict does: the
	// process number, then ENV_x of the program's own environment.
	names := common
	var procs []*Process
	for num := numprocsStart; num < numprocsStart+numprocs; num++ {
		p := t
		p.ExitCodes = append([]int(nil), t.ExitCodes...)
		names["process_num"], names["numprocs"] = num, numprocs
		for k, v := range l.env {
			names[k] = v
		}
		env, err := expand(envStr, names, "environment")
		if err != nil {
			return nil, fail("environment", err)
		}
		if p.Environment, err = parseEnv(env); err != nil {
			return nil, fail("environment", err)
		}
		for _, kv := range p.Environment {
			names["ENV_"+kv.Key] = kv.Value
		}
		if p.Directory, err = l.str(section, "directory", "", names); err != nil {
			return nil, err
		}
		envFiles := opt("environment_file", "", &p.EnvFiles, parseEnvFiles(l.optionDir(section, "environment_file")))
		if err := l.readOptions(section, names, []option{envFiles}); err != nil {
			return nil, err
		}
		for _, stream := range []string{"stdout", "stderr"} {
			lc := &p.Stdout
			if stream == "stderr" {
				lc = &p.Stderr
			}
			if err := l.logConfig(section, stream, lc, names, &l.cfg.Warnings); err != nil {
				return nil, err
			}
		}
		if p.RedirectStderr {
			if p.Stderr.Logfile != "" && p.Stderr.Logfile != AutoLog {
				l.cfg.Warnings = append(l.cfg.Warnings, fmt.Sprintf("For [%s], redirect_stderr=true but stderr_logfile has also been set to a filename, the filename has been ignored", section))
			}
			p.Stderr.Logfile = ""
		}
		cmd, ok, err := l.get(section, "command", names)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, l.fail(section, "", fmt.Errorf("program section %s does not specify a command", section))
		}
		p.Command = cmd
		var splitErr error
		if p.Argv, splitErr = SplitCommand(cmd); splitErr == nil && len(p.Argv) == 0 {
			return nil, fail("command", errEmptyCommand)
		}
		if p.Name, err = expand(pname, names, "process_name"); err != nil {
			return nil, fail("process_name", err)
		}
		if err := l.readLifecycle(section, names, &p.Lifecycle); err != nil {
			return nil, err
		}
		p.Sources = []Source{l.source(section, names)}
		l.sections[&p] = section
		procs = append(procs, &p)
	}
	sortProcesses(procs)
	return procs, nil
}

// parseServerURL reads a program's serverurl, where AUTO (the default
// behaviour) is the empty string.
func parseServerURL(s string) (string, error) {
	if strings.ToUpper(strings.TrimFunc(s, isPySpace)) == "AUTO" {
		return "", nil
	}
	return s, nil
}

// parseLogFormat reads stream's _log_format.
func parseLogFormat(stream string) func(string) (logfmt.Format, error) {
	return func(s string) (logfmt.Format, error) {
		return parseWord(stream+"_log_format", s, logfmt.Raw, logfmt.Timestamped, logfmt.JSON)
	}
}

func parseSyslogFacility(s string) (SyslogFacility, error) {
	return parseWord("syslog_facility", s, FacilityUser, FacilityDaemon, FacilityLocal0, FacilityLocal1,
		FacilityLocal2, FacilityLocal3, FacilityLocal4, FacilityLocal5, FacilityLocal6, FacilityLocal7)
}

func (l *loader) logConfig(section, stream string, lc *LogConfig, names expansions, warnings *[]string) error {
	key := stream + "_logfile"
	v, ok, err := l.get(section, key, names)
	if err != nil {
		return err
	}
	lc.Logfile = AutoLog
	syslogName := false
	if ok {
		if v, err = expand(v, names, key); err != nil {
			return l.fail(section, key, err)
		}
		switch strings.ToLower(v) {
		case "none", "off":
			lc.Logfile = ""
		case "auto":
		case "syslog":
			lc.Logfile, syslogName = "", true
		default:
			if lc.Logfile, err = existingDirpath(v); err != nil {
				return l.fail(section, key, err)
			}
		}
	}
	err = l.readOptions(section, names, []option{
		opt(key+"_backups", "10", &lc.Backups, parseInt),
		opt(key+"_maxbytes", "50MB", &lc.MaxBytes, ParseByteSize),
		opt(stream+"_syslog", "false", &lc.Syslog, parseBool),
		opt(stream+"_log_format", "raw", &lc.Format, parseLogFormat(stream)),
		opt(stream+"_log_prefix", "false", &lc.Prefix, parseBool),
		optCheck(stream+"_log_prefix", func() error {
			if lc.Prefix && lc.Format == logfmt.JSON {
				return fmt.Errorf("%[1]s_log_prefix=true cannot be used with %[1]s_log_format=json: each object names its process", stream)
			}
			return nil
		}),
		opt(stream+"_syslog_tag", "", &lc.SyslogTag, asIs),
	})
	if err != nil {
		return err
	}
	if err := l.readOptions(section, names, rotationOptions(key, lc)); err != nil {
		return err
	}
	if syslogName {
		*warnings = append(*warnings, fmt.Sprintf("For [%s], %s=syslog but this is deprecated and will be removed.  Use %s_syslog=true to enable syslog instead.", section, key, stream))
		lc.Syslog = true
	}
	if lc.Logfile == AutoLog && lc.MaxBytes == 0 && lc.Rotate == RotateSize {
		*warnings = append(*warnings, fmt.Sprintf("For [%s], AUTO logging used for %s without rollover, set maxbytes > 0 to avoid filling up filesystem unintentionally", section, key))
	}
	return nil
}

func (l *loader) servers() error {
	auth := func(section string) (string, string, error) {
		u, uok, err := l.get(section, "username", nil)
		if err != nil {
			return "", "", err
		}
		p, pok, err := l.get(section, "password", nil)
		if err != nil {
			return "", "", err
		}
		if uok != pok {
			return "", "", l.fail(section, "", fmt.Errorf("Section [%s] contains incomplete authentication: If a username or a password is specified, both the username and password must be specified", section))
		}
		return u, p, nil
	}
	for _, s := range l.doc.sections {
		if !strings.HasPrefix(s.name, "inet_http_server") {
			continue
		}
		srv := &InetHTTPServer{Name: serverName(s.name)}
		var err error
		if srv.Username, srv.Password, err = auth(s.name); err != nil {
			return err
		}
		port, ok, err := l.get(s.name, "port", nil)
		if err != nil {
			return err
		}
		if !ok {
			return l.fail(s.name, "", fmt.Errorf("section [%s] has no port value", s.name))
		}
		if srv.Host, srv.Port, err = inetAddress(port); err != nil {
			return l.fail(s.name, "port", err)
		}
		if err := l.serverTLS(s.name, srv); err != nil {
			return err
		}
		l.cfg.InetHTTPServers = append(l.cfg.InetHTTPServers, srv)
	}
	for _, s := range l.doc.sections {
		if !strings.HasPrefix(s.name, "unix_http_server") {
			continue
		}
		srv := &UnixHTTPServer{Name: serverName(s.name), ChownUID: -1, ChownGID: -1, Chmod: 0o700}
		file, ok, err := l.get(s.name, "file", expansions{"here": l.here})
		if err != nil {
			return err
		}
		if !ok {
			return l.fail(s.name, "", fmt.Errorf("section [%s] has no file value", s.name))
		}
		srv.File = normalizePath(strings.TrimFunc(file, isPySpace))
		if srv.Username, srv.Password, err = auth(s.name); err != nil {
			return err
		}
		if v, ok, err := l.get(s.name, "chown", nil); err != nil {
			return err
		} else if ok {
			if srv.ChownUID, srv.ChownGID, err = userGroup(v); err != nil {
				return l.fail(s.name, "chown", fmt.Errorf("Invalid sockchown value %s", v))
			}
		}
		if v, ok, err := l.get(s.name, "chmod", nil); err != nil {
			return err
		} else if ok {
			if srv.Chmod, err = parseOctal(v); err != nil {
				return l.fail(s.name, "chmod", fmt.Errorf("Invalid chmod value %s", v))
			}
		}
		if err := l.peerRoles(s.name, srv); err != nil {
			return err
		}
		l.cfg.UnixHTTPServers = append(l.cfg.UnixHTTPServers, srv)
	}
	return nil
}

func serverName(section string) string {
	_, name, _ := strings.Cut(section, ":")
	return name
}

// supervisorctl reads [supervisorctl] as supervisorctl would. supervisord
// itself never reads it, so a value that would not expand is kept as
// written rather than failing the daemon's config.
func (l *loader) supervisorctl() {
	const s = "supervisorctl"
	ctl := &l.cfg.Supervisorctl
	get := func(name, def string, extra expansions) string {
		o := l.doc.lookup(s, name)
		if !l.doc.has(s) || o == nil {
			return def
		}
		v, _, err := l.get(s, name, extra)
		if err != nil {
			return o.value
		}
		return v
	}
	here := expansions{"here": l.here}
	ctl.ServerURL = get("serverurl", "http://localhost:9001", here)
	if path, ok := strings.CutPrefix(ctl.ServerURL, "unix://"); ok {
		ctl.ServerURL = "unix://" + normalizePath(path)
	}
	ctl.Prompt = get("prompt", "supervisor", nil)
	ctl.Username = get("username", "", nil)
	ctl.Password = get("password", "", nil)
	if h := get("history_file", "", here); h != "" {
		ctl.HistoryFile = normalizePath(h)
	}
}
