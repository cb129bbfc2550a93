package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestGetopt(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		opts    string // name=value pairs
		rest    []string
		wantErr string
	}{
		{args: []string{"-c", "f", "status"}, opts: "-c=f", rest: []string{"status"}},
		{args: []string{"-icf", "-s", "unix:///x"}, opts: "-i= -c=f -s=unix:///x", rest: []string{}},
		{args: []string{"--conf=f", "--serv", "u", "x", "-i"}, opts: "--configuration=f --serverurl=u", rest: []string{"x", "-i"}},
		{args: []string{"--history-file", "h", "--history_file=g"}, opts: "--history-file=h --history_file=g", rest: []string{}},
		{args: []string{"--", "-c"}, rest: []string{"-c"}},
		{args: []string{"-", "x"}, rest: []string{"-", "x"}},
		{args: []string{"-x"}, wantErr: "option -x not recognized"},
		{args: []string{"-c"}, wantErr: "option -c requires argument"},
		{args: []string{"--h"}, wantErr: "option --h not a unique prefix"},
		{args: []string{"--hist"}, wantErr: "option --history_file requires argument"},
		{args: []string{"--interactive=1"}, wantErr: "option --interactive must not have an argument"},
		{args: []string{"--nosuch"}, wantErr: "option --nosuch not recognized"},
	} {
		opts, rest, err := readArgs(tt.args)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("readArgs(%q) error = %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("readArgs(%q): %v", tt.args, err)
			continue
		}
		var got []string
		for _, o := range opts {
			got = append(got, o.name+"="+o.value)
		}
		if strings.Join(got, " ") != tt.opts || !slices.Equal(rest, tt.rest) && len(rest)+len(tt.rest) > 0 {
			t.Errorf("readArgs(%q) = %q %q, want %q %q", tt.args, got, rest, tt.opts, tt.rest)
		}
	}
}

func TestParseOptions(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "ctl.conf")
	os.WriteFile(conf, []byte("[supervisorctl]\n"+
		"serverurl = unix://%(here)s/../%(ENV_SOCKNAME)s ; where\n"+
		"username: admin\n"+
		"password=\n"+
		"prompt=ctl%%\n"+
		"history_file=~/hist\n"), 0o644)
	env := []string{"SOCKNAME=x.sock", "HOME=/home/someone"}

	o, err := parseOptions([]string{"-c", conf, "status"}, env)
	if err != nil {
		t.Fatal(err)
	}
	want := &Options{ConfigFile: conf, Prompt: "ctl%", ServerURL: "unix://" + filepath.Join(filepath.Dir(dir), "x.sock"),
		Username: some("admin"), Password: some(""), HistoryFile: "/home/someone/hist", Args: []string{"status"}}
	if o.ServerURL != want.ServerURL || o.Prompt != want.Prompt || o.Username != want.Username ||
		o.Password != want.Password || o.HistoryFile != want.HistoryFile || o.Interactive || !slices.Equal(o.Args, want.Args) {
		t.Errorf("parseOptions = %+v, want %+v", o, want)
	}

	// The command line wins; no action means the shell.
	o, err = parseOptions([]string{"-c", conf, "-s", "http://h:1", "-u", "u", "-p", "p", "-r", "r"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if o.ServerURL != "http://h:1" || o.Username != some("u") || o.Password != some("p") || o.HistoryFile != "r" || !o.Interactive {
		t.Errorf("parseOptions with overrides = %+v", o)
	}

	// -c "" reads no config at all.
	o, err = parseOptions([]string{"-c", "", "version"}, env)
	if err != nil || o.ServerURL != defaultServerURL || o.Prompt != "supervisor" || o.Username.set || o.Interactive {
		t.Errorf("parseOptions -c '' = %+v, %v", o, err)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-s", "nourl"}, "invalid value for -s 'nourl': value 'nourl' is not a URL"},
		{[]string{"--serverurl=http://"}, "invalid value for --serverurl 'http://': value 'http://' is not a URL"},
		{[]string{"-u", "a", "--user", "b"}, "conflicting command line option '--username'"},
		{[]string{"-c", filepath.Join(dir, "nosuch")}, "could not find config file " + filepath.Join(dir, "nosuch")},
		{[]string{"-c", dir}, "could not read config file " + dir},
	} {
		_, err := parseOptions(tt.args, env)
		var ue *usageError
		if !errors.As(err, &ue) || ue.msg != tt.want {
			t.Errorf("parseOptions(%q) error = %v, want %q", tt.args, err, tt.want)
		}
	}
	if _, err := parseOptions([]string{"-s", "x", "-h"}, env); err == nil || errors.Is(err, errHelp) {
		t.Errorf("-s x -h: the bad -s comes first, got %v", err)
	}
	if _, err := parseOptions([]string{"-h", "-s", "x"}, env); !errors.Is(err, errHelp) {
		t.Errorf("-h -s x: help comes first, got %v", err)
	}
}

func TestIsURL(t *testing.T) {
	for s, want := range map[string]bool{
		"unix:///tmp/x.sock": true, "http://localhost:9001": true, "localhost:9001": true, "http:x": true,
		"foo": false, "http://": false, "http:": false, "://x": false, "1http://x": false, "http://?q": false,
		"HTTP://X": true, "unix://": false,
	} {
		if got := isURL(s); got != want {
			t.Errorf("isURL(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestPyExpand(t *testing.T) {
	exp := map[string]string{"here": "/h", "ENV_X": "x"}
	for _, tt := range []struct{ in, want, err string }{
		{"%(here)s/a%(ENV_X)s", "/h/ax", ""},
		{"100%%", "100%", ""},
		{"%(here)r", "'/h'", ""},
		{"%(nosuch)s", "", "Format string '%(nosuch)s' for 'sect.opt' contains names ('nosuch') which cannot be expanded. Available names: ENV_X, here"},
		{"50%", "", "Format string '50%' for 'sect.opt' is badly formatted: incomplete format"},
		{"%(here)d", "", "unsupported format character 'd'"},
	} {
		got, err := pyExpand(tt.in, exp, "sect.opt")
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("pyExpand(%q) error = %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("pyExpand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseINI(t *testing.T) {
	f, err := parseINI("; comment\n[supervisorctl]\nServerURL = a ; inline\n  b\n\n  c\nprompt=x#notacomment\n"+
		"[supervisorctl]\nusername = u\n[DEFAULT]\npassword=p\n", "t.conf")
	if err != nil {
		t.Fatal(err)
	}
	for opt, want := range map[string]string{"serverurl": "a\nb\n\nc", "prompt": "x#notacomment", "username": "u", "password": "p"} {
		if got, ok := f.get("supervisorctl", opt); !ok || got != want {
			t.Errorf("%s = %q, %v; want %q", opt, got, ok, want)
		}
	}
	if _, err := parseINI("x=1\n", "t.conf"); err == nil || !strings.Contains(err.Error(), "MissingSectionHeaderError") {
		t.Errorf("no section header: %v", err)
	}
	if _, err := parseINI("[a]\nnovalue\n", "t.conf"); err == nil || !strings.Contains(err.Error(), "[line  2]: 'novalue\\n'") {
		t.Errorf("bad line: %v", err)
	}
}

func TestColumnize(t *testing.T) {
	// The help list as the reference lays it out.
	got := columnize([]string{"add", "avail", "clear", "exit", "fg", "maintail", "open", "pid", "quit", "reload",
		"remove", "reread", "restart", "shutdown", "signal", "start", "status", "stop", "tail", "update", "version"}, 79)
	want := "add    exit      open  reload  restart   start   tail   \n" +
		"avail  fg        pid   remove  shutdown  status  update \n" +
		"clear  maintail  quit  reread  signal    stop    version"
	if got != want {
		t.Errorf("columnize:\n%s\nwant:\n%s", got, want)
	}
	if got := columnize([]string{"one"}, 79); got != "one" {
		t.Errorf("columnize of one word = %q", got)
	}
	if got := matchList([]string{"start ", "status "}, 80); got != "start    status   \n" {
		t.Errorf("matchList = %q", got)
	}
}

func TestPyNamespec(t *testing.T) {
	if got := pyNamespec("g", ""); got != "g:None" {
		t.Errorf("pyNamespec of a whole group = %q", got)
	}
	if got := pyNamespec("g", "a"); got != "g:a" {
		t.Errorf("pyNamespec of a process = %q", got)
	}
}

func TestPyInt(t *testing.T) {
	for s, want := range map[string]int{"5": 5, "+5": 5, "-5": -5, "1_000": 1000, "007": 7} {
		if got, ok := pyInt(s); !ok || got != want {
			t.Errorf("pyInt(%q) = %d, %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "x", "1__0", "_1", "1_", "--5", "0x10", "5f"} {
		if _, ok := pyInt(s); ok {
			t.Errorf("pyInt(%q) accepted", s)
		}
	}
}

func TestStatusTable(t *testing.T) {
	var out strings.Builder
	c := &CLI{out: &out}
	c.showStatuses([]procInfo{
		{"group": "g", "name": "a", "statename": "RUNNING", "description": "pid 1, uptime 0:00:01"},
		{"group": "a-very-long-group-name", "name": "a-very-long-process-name", "statename": "STOPPED", "description": ""},
	})
	// The name column is three wider than the longest name.
	long := "a-very-long-group-name:a-very-long-process-name"
	want := "g:a" + strings.Repeat(" ", len(long)+3-3) + "RUNNING   pid 1, uptime 0:00:01\n" +
		long + "   STOPPED   \n"
	if out.String() != want {
		t.Errorf("status table:\n%q\nwant\n%q", out.String(), want)
	}
	if got := formatConfigInfo(procInfo{"group": "x", "name": "x", "inuse": true, "autostart": false, "group_prio": 5, "process_prio": 999}); got != "x                                in use    manual    5:999" {
		t.Errorf("avail line = %q", got)
	}
}

func TestComplete(t *testing.T) {
	c := &CLI{completeInfo: []procInfo{
		{"group": "sleeper", "name": "sleeper"}, {"group": "grp", "name": "ga"}, {"group": "grp", "name": "gb"},
	}}
	for _, tt := range []struct {
		line, word string
		want       []string
	}{
		{"", "", vocabularyWithSpace("")},
		{"st", "st", []string{"start ", "status ", "stop "}},
		{"he", "he", []string{"help "}},
		{"help st", "st", []string{"start ", "status ", "stop "}},
		{"status ", "", []string{"sleeper ", "grp:ga ", "grp:* ", "grp:gb "}},
		{"stop sl", "sl", []string{"sleeper "}},
		{"stop sleeper:", "sleeper:", []string{"sleeper:sleeper ", "sleeper:* "}},
		{"update ", "", []string{"sleeper ", "grp "}},
		{"version ", "", nil},
	} {
		got := c.complete(tt.line, tt.word)
		if !slices.Equal(got, tt.want) {
			t.Errorf("complete(%q, %q) = %q, want %q", tt.line, tt.word, got, tt.want)
		}
	}
}

func vocabularyWithSpace(prefix string) []string {
	var out []string
	for _, v := range vocabulary() {
		if strings.HasPrefix(v, prefix) {
			out = append(out, v+" ")
		}
	}
	return out
}
