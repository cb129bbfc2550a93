package conf

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{"0", 0, ""},
		{"100", 100, ""},
		{"1KB", 1024, ""},
		{"1kb", 1024, ""},
		{"50MB", 50 << 20, ""},
		{"2Gb", 2 << 30, ""},
		{" 5 MB", 5 << 20, ""},
		{"-1", -1, ""},
		{"1_000", 1000, ""},
		{"10TB", 0, "invalid literal for int() with base 10: '10tb'"},
		{"MB", 0, "invalid literal for int() with base 10: ''"},
		{"1.5MB", 0, "invalid literal for int() with base 10: '1.5'"},
		{"", 0, "invalid literal for int() with base 10: ''"},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseByteSize(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in      string
		want    syscall.Signal
		wantErr string
	}{
		{"TERM", syscall.SIGTERM, ""},
		{"sigterm", syscall.SIGTERM, ""},
		{" hup ", syscall.SIGHUP, ""},
		{"9", syscall.SIGKILL, ""},
		{"Usr2", syscall.SIGUSR2, ""},
		{"RTMIN", 34, ""},
		{"0", 0, ""}, // SIG_DFL shares the prefix, so the reference takes it
		{"40", 0, "value '40' is not a valid signal number"},
		{"FOO", 0, "value 'FOO' is not a valid signal name"},
		{"", 0, "value '' is not a valid signal name"},
	}
	for _, tt := range tests {
		got, err := ParseSignal(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseSignal(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseSignal(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestLogLevel(t *testing.T) {
	for _, name := range []string{"critical", "error", "warn", "info", "debug", "trace", "blather"} {
		l, err := ParseLogLevel(strings.ToUpper(name))
		if err != nil || l.String() != name {
			t.Errorf("ParseLogLevel(%q) = %v (%v), want %s", name, l, err, name)
		}
	}
	if _, err := ParseLogLevel("warning"); err == nil || err.Error() != "bad logging level name 'warning'" {
		t.Errorf("ParseLogLevel(warning) error = %v", err)
	}
	if LevelInfo.String() != "info" || LogLevel(7).String() != "level(7)" {
		t.Errorf("String() = %q, %q", LevelInfo, LogLevel(7))
	}
}

func TestDatatypes(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) (any, error)
		in   string
		want any
		err  string
	}{
		{"bool yes", func(s string) (any, error) { return parseBool(s) }, "YES", true, ""},
		{"bool off", func(s string) (any, error) { return parseBool(s) }, "off", false, ""},
		{"bool 1", func(s string) (any, error) { return parseBool(s) }, "1", true, ""},
		{"bool bad", func(s string) (any, error) { return parseBool(s) }, "y", nil, "not a valid boolean value: 'y'"},
		{"int", func(s string) (any, error) { return parseInt(s) }, " -42 ", -42, ""},
		{"int bad", func(s string) (any, error) { return parseInt(s) }, "4x", nil, "invalid literal for int() with base 10: '4x'"},
		{"octal", func(s string) (any, error) { return parseOctal(s) }, "022", os.FileMode(0o22), ""},
		{"octal 0o", func(s string) (any, error) { return parseOctal(s) }, "0o755", os.FileMode(0o755), ""},
		{"octal bad", func(s string) (any, error) { return parseOctal(s) }, "8", nil, "8 can not be converted to an octal type"},
		{"autorestart", func(s string) (any, error) { return parseAutoRestart(s) }, "Unexpected", RestartUnexpected, ""},
		{"autorestart true", func(s string) (any, error) { return parseAutoRestart(s) }, "on", RestartAlways, ""},
		{"autorestart false", func(s string) (any, error) { return parseAutoRestart(s) }, "0", RestartNever, ""},
		{"autorestart bad", func(s string) (any, error) { return parseAutoRestart(s) }, "Never", nil, "invalid 'autorestart' value 'never'"},
		{"exitcodes", func(s string) (any, error) { return parseExitCodes(s) }, "0, 2", []int{0, 2}, ""},
		{"exitcodes empty", func(s string) (any, error) { return parseExitCodes(s) }, "", []int{}, ""},
		{"exitcodes range", func(s string) (any, error) { return parseExitCodes(s) }, "-1", nil, "not a valid list of exit codes: '-1'"},
		{"env", func(s string) (any, error) { return parseEnv(s) }, `A=1,B="x, y",A=2`, []EnvVar{{"A", "2"}, {"B", "x, y"}}, ""},
		{"env path", func(s string) (any, error) { return parseEnv(s) }, `PATH=/usr/bin:/bin`, []EnvVar{{"PATH", "/usr/bin:/bin"}}, ""},
		{"env comment", func(s string) (any, error) { return parseEnv(s) }, `A=1 # B=2`, []EnvVar{{"A", "1"}}, ""},
		{"env dangling", func(s string) (any, error) { return parseEnv(s) }, `A=1,B`, nil, "Unexpected end of key/value pairs in value 'A=1,B'"},
		{"env quote", func(s string) (any, error) { return parseEnv(s) }, `A='x`, nil, "No closing quotation"},
		{"inet port", func(s string) (any, error) { h, p, err := inetAddress(s); return h + ":" + strconv.Itoa(p), err }, "9001", ":9001", ""},
		{"inet star", func(s string) (any, error) { h, p, err := inetAddress(s); return h + ":" + strconv.Itoa(p), err }, "*:9001", ":9001", ""},
		{"inet host", func(s string) (any, error) { h, p, err := inetAddress(s); return h + ":" + strconv.Itoa(p), err }, "LocalHost:80", "localhost:80", ""},
		{"inet low", func(s string) (any, error) { h, p, err := inetAddress(s); return h + ":" + strconv.Itoa(p), err }, "h:0", nil, "0 is below lower bound (1)"},
		{"inet empty", func(s string) (any, error) { h, p, err := inetAddress(s); return h + ":" + strconv.Itoa(p), err }, "h:", nil, "no port number specified in ''"},
		{"inet word", func(s string) (any, error) { h, p, err := inetAddress(s); return h + ":" + strconv.Itoa(p), err }, "x", nil, "not a valid port number: 'x' "},
		{"name", func(s string) (any, error) { return processName(s) }, " web ", "web", ""},
		{"name colon", func(s string) (any, error) { return processName(s) }, "a:b", nil, `Invalid name: 'a:b' because of character: ':'`},
		{"name space", func(s string) (any, error) { return processName(s) }, "a b", nil, `Invalid name: 'a b' because of character: ' '`},
		{"dirname", func(s string) (any, error) { return pyDirname(s), nil }, "/a/b//c", "/a/b", ""},
		{"dirname root", func(s string) (any, error) { return pyDirname(s), nil }, "//c", "//", ""},
		{"dirname rel", func(s string) (any, error) { return pyDirname(s), nil }, "c", "", ""},
		{"dirpath missing", func(s string) (any, error) { return existingDirpath(s) }, "/no/such/x.log", nil, "The directory named as part of the path /no/such/x.log does not exist"},
		{"directory missing", func(s string) (any, error) { return existingDirectory(s) }, "/no/such", nil, "/no/such is not an existing directory"},
		{"user id", func(s string) (any, error) {
			u, g, err := uidFor(s)
			return strconv.Itoa(u) + ":" + strconv.Itoa(g), err
		}, "0", "0:0", ""},
		{"user name", func(s string) (any, error) {
			u, g, err := uidFor(s)
			return strconv.Itoa(u) + ":" + strconv.Itoa(g), err
		}, "root", "0:0", ""},
		{"user unknown", func(s string) (any, error) {
			u, g, err := uidFor(s)
			return strconv.Itoa(u) + ":" + strconv.Itoa(g), err
		}, "nosuchuserxyz", nil, "Invalid user name nosuchuserxyz"},
		{"user group", func(s string) (any, error) {
			u, g, err := userGroup(s)
			return strconv.Itoa(u) + ":" + strconv.Itoa(g), err
		}, "root:root", "0:0", ""},
		{"user only", func(s string) (any, error) {
			u, g, err := userGroup(s)
			return strconv.Itoa(u) + ":" + strconv.Itoa(g), err
		}, "root", "0:-1", ""},
	}
	for _, tt := range tests {
		got, err := tt.fn(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%s(%q): error %v, want %q", tt.name, tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s(%q) = %#v, %v; want %#v", tt.name, tt.in, got, err, tt.want)
		}
	}
}

func TestExpand(t *testing.T) {
	names := expansions{"program_name": "web", "process_num": 7, "here": "/etc", "ENV_X": "x"}
	tests := []struct{ in, want, err string }{
		{"%(program_name)s", "web", ""},
		{"%(process_num)02d", "07", ""},
		{"%(process_num)d-%(process_num)s", "7-7", ""},
		{"%(process_num)-3d|", "7  |", ""},
		{"%(process_num)+04d", "+007", ""},
		{"%(process_num)#x %(process_num)o %(process_num)X", "0x7 7 7", ""},
		{"%(process_num).2f", "7.00", ""},
		{"%(program_name)r", "'web'", ""},
		{"%(program_name).1s", "w", ""},
		{"%(program_name)5s", "  web", ""},
		{"100%%", "100%", ""},
		{"%(ENV_X)s", "x", ""},
		{"no specs", "no specs", ""},
		{"%(missing)s", "", "Format string '%(missing)s' for 'opt' contains names ('missing') which cannot be expanded. Available names: ENV_X, here, process_num, program_name"},
		{"%(program_name)d", "", "Format string '%(program_name)d' for 'opt' is badly formatted: %d format: a real number is required, not str"},
		{"%(program_name)x", "", "Format string '%(program_name)x' for 'opt' is badly formatted: %x format: an integer is required, not str"},
		{"100%", "", "Format string '100%' for 'opt' is badly formatted: incomplete format"},
		{"%(here", "", "Format string '%(here' for 'opt' is badly formatted: incomplete format key"},
		{"%(here)z", "", "Format string '%(here)z' for 'opt' is badly formatted: unsupported format character 'z' (0x7a) at index 7"},
		{"%(here)s %s", "", "Format string '%(here)s %s' for 'opt' is badly formatted: not enough arguments for format string"},
		{"%(program_name)f", "", "Format string '%(program_name)f' for 'opt' is badly formatted: must be real number, not str"},
	}
	for _, tt := range tests {
		got, err := expand(tt.in, names, "opt")
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("expand(%q) error = %v\nwant %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestPyRepr(t *testing.T) {
	for in, want := range map[string]string{
		"abc":         "'abc'",
		"it's":        `"it's"`,
		`"it's"`:      `'"it\'s"'`,
		"a\nb\\":      `'a\nb\\'`,
		"\x01é\u00a0": `'\x01é\xa0'`,
		`a'b"c`:       `'a\'b"c'`,
		`back\slash`:  `'back\\slash'`,
	} {
		if got := PyRepr(in); got != want {
			t.Errorf("PyRepr(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{"/bin/sleep 100", []string{"/bin/sleep", "100"}, ""},
		{`sh -c "echo 'hi there'"`, []string{"sh", "-c", "echo 'hi there'"}, ""},
		{`a\ b 'c d' "e\"f" ""`, []string{"a b", "c d", `e"f`, ""}, ""},
		{`x # not a comment`, []string{"x", "#", "not", "a", "comment"}, ""},
		{"", nil, ""},
		{`"open`, nil, "No closing quotation"},
		{`trailing\`, nil, "No escaped character"},
	}
	for _, tt := range tests {
		got, err := SplitCommand(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("SplitCommand(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestINIComments(t *testing.T) {
	tests := []struct{ line, want string }{
		{"v=a;b", "a;b"},
		{"v=a ;b", "a"},
		{"v=a\t#b", "a"},
		{"v=a#b ;c", "a#b"},
		{"v=a;b #c", "a;b"},
		{"v=x=y:z", "x=y:z"},
		{"v : spaced out ", "spaced out"},
		{"V=upper name", "upper name"},
		{"v=%%(here)s", "%%(here)s"},
	}
	for _, tt := range tests {
		d := newDoc()
		if err := d.read("[s]\n"+tt.line+"\n", "", "f"); err != nil {
			t.Fatalf("%q: %s", tt.line, err.text)
		}
		if o := d.lookup("s", "v"); o == nil || o.value != tt.want {
			t.Errorf("%q: got %+v, want %q", tt.line, o, tt.want)
		}
	}
}

func TestINIContinuation(t *testing.T) {
	d := newDoc()
	text := "[s]\nv = one\n  two\n\n   three\n\n\nw=1\n[t]\n  x=2\n"
	if err := d.read(text, "", "f"); err != nil {
		t.Fatal(err.text)
	}
	if got := d.lookup("s", "v").value; got != "one\ntwo\n\nthree" {
		t.Errorf("continued value = %q", got)
	}
	if o := d.lookup("t", "x"); o == nil || o.value != "2" || o.line != 10 {
		t.Errorf("indented first option = %+v", o)
	}
}

func TestErrorRendering(t *testing.T) {
	e := &Error{File: "/etc/s.conf", Line: 3, Section: "program:x", Option: "user", Msg: "Invalid user name x\nsecond line"}
	if got, want := e.Error(), "/etc/s.conf:3: [program:x] user: Invalid user name x second line"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if e.Reference() != e.Msg {
		t.Errorf("Reference() = %q", e.Reference())
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load("/no/such/supervisord.conf")
	var e *Error
	if !errors.As(err, &e) || e.Msg != "could not find config file /no/such/supervisord.conf" {
		t.Errorf("Load(missing) = %v", err)
	}
}

func TestLoadUsesEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CONF_TEST_VALUE", "from-env")
	path := filepath.Join(dir, "s.conf")
	text := "[supervisord]\nlogfile=%(here)s/l.log\npidfile=%(here)s/p.pid\n[program:p]\ncommand=/bin/echo %(ENV_CONF_TEST_VALUE)s\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Groups[0].Processes[0].Argv; !reflect.DeepEqual(got, []string{"/bin/echo", "from-env"}) {
		t.Errorf("argv = %q", got)
	}
	if cfg.Path != path || cfg.Supervisord.Logfile != filepath.Join(dir, "l.log") {
		t.Errorf("path %q logfile %q", cfg.Path, cfg.Supervisord.Logfile)
	}
}

func TestSearch(t *testing.T) {
	paths := searchPaths("/opt/sv/bin/supervisord")
	want := []string{"/opt/sv/etc/supervisord.conf", "/opt/sv/supervisord.conf", "supervisord.conf",
		"etc/supervisord.conf", "/etc/supervisord.conf", "/etc/supervisor/supervisord.conf"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("searchPaths = %q", paths)
	}
	dir := t.TempDir()
	found := filepath.Join(dir, "b.conf")
	if err := os.WriteFile(found, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := search([]string{filepath.Join(dir, "a.conf"), found}); err != nil || got != found {
		t.Errorf("search = %q, %v", got, err)
	}
	_, err := search([]string{"/no/a", "/no/b"})
	if err == nil || !strings.Contains(err.Error(), "No config file found at default paths (/no/a, /no/b)") {
		t.Errorf("search(none) = %v", err)
	}
}

func TestSampleParses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "supervisord.conf")
	cfg, err := Parse([]byte(Sample()), path, nil)
	if err != nil {
		t.Fatalf("sample does not parse: %v", err)
	}
	if cfg.UnixHTTPServer == nil || cfg.UnixHTTPServer.File != "/tmp/supervisor.sock" || len(cfg.RPCInterfaces) != 1 {
		t.Errorf("sample parsed to %+v", cfg)
	}
	// With every commented-out option switched on (bar the user names, which
	// need not exist here) the sample must still be a valid config.
	var lines []string
	var section string
	for _, line := range strings.Split(Sample(), "\n") {
		if (strings.HasPrefix(line, ";[") && line != ";[include]") || (strings.HasPrefix(line, ";") && strings.Contains(line, "=") && !strings.HasPrefix(line, "; ")) {
			line = line[1:]
		}
		if strings.HasPrefix(line, "[") {
			section = line
		}
		for _, skip := range []string{"user=", "chown=", "socket_owner=", "username=", "password=", "environment=", "serverurl=http", "directory=", "childlogdir=", "files =",
			"certfile=", "keyfile=", "client_ca="} {
			if strings.HasPrefix(line, skip) && !(skip == "password=" && strings.HasPrefix(section, "[user:")) {
				line = ";" + line
			}
		}
		lines = append(lines, line)
	}
	full := strings.Join(lines, "\n")
	cfg, err = Parse([]byte(full), path, nil)
	if err != nil {
		t.Fatalf("uncommented sample does not parse: %v\n%s", err, full)
	}
	if len(cfg.Users) != 1 || len(cfg.UnixHTTPServer.PeerRoles) != 1 {
		t.Errorf("uncommented sample gave users %v, peer roles %v", cfg.Users, cfg.UnixHTTPServer.PeerRoles)
	}
	if len(cfg.Groups) != 2 || len(cfg.Groups[1].Processes) != 3 || cfg.InetHTTPServer == nil {
		t.Errorf("uncommented sample gave %d groups, inet %v", len(cfg.Groups), cfg.InetHTTPServer)
	}
}

func TestRelativePathsFollowWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	text := "[supervisord]\nlogfile=main.log\n[unix_http_server]\nfile=run/../s.sock\n[unix_http_server:two]\nfile=~/x.sock\n"
	cfg, err := Parse([]byte(text), "/elsewhere/supervisord.conf", nil)
	if err != nil {
		t.Fatal(err)
	}
	home, _ := os.UserHomeDir()
	if cfg.Supervisord.Logfile != filepath.Join(dir, "main.log") || cfg.Supervisord.Pidfile != filepath.Join(dir, "supervisord.pid") {
		t.Errorf("logfile %q pidfile %q", cfg.Supervisord.Logfile, cfg.Supervisord.Pidfile)
	}
	if len(cfg.UnixHTTPServers) != 2 || cfg.UnixHTTPServer != cfg.UnixHTTPServers[0] ||
		cfg.UnixHTTPServer.File != filepath.Join(dir, "s.sock") || cfg.UnixHTTPServers[1].File != filepath.Join(home, "x.sock") ||
		cfg.UnixHTTPServers[1].Name != "two" {
		t.Errorf("unix servers %+v %+v", cfg.UnixHTTPServers[0], cfg.UnixHTTPServers[1])
	}
}

func TestSignalName(t *testing.T) {
	for sig, want := range map[syscall.Signal]string{
		15: "SIGTERM", 6: "SIGABRT", 17: "SIGCHLD", 29: "SIGPOLL", 34: "SIGRTMIN", 64: "SIGRTMAX", 40: "signal 40",
	} {
		if got := SignalName(sig); got != want {
			t.Errorf("SignalName(%d) = %q, want %q", sig, got, want)
		}
	}
}
