package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"supervisord/conf"
)

func ptr[T any](v T) *T { return &v }

// The error texts are the reference's, taken from running
// /usr/bin/supervisord 4.2.5 with the same arguments.
func TestParseArgs(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args    []string
		want    *options
		wantErr string
	}{
		{args: nil, want: &options{}},
		{args: []string{"-c", "f.conf", "-n"}, want: &options{configFile: "f.conf", nodaemon: true}},
		{args: []string{"-cf.conf", "-nsk"}, want: &options{configFile: "f.conf", nodaemon: true, silent: true, nocleanup: true}},
		{args: []string{"--configuration=f.conf", "--strip_ansi"}, want: &options{configFile: "f.conf", stripANSI: true}},
		{args: []string{"--conf", "f.conf", "--nod"}, want: &options{configFile: "f.conf", nodaemon: true}},
		{args: []string{"-m", "002", "-y", "1KB", "-z", "3", "-e", "DEBUG", "-a", "10", "--minprocs=5"},
			want: &options{umask: ptr(os.FileMode(0o002)), maxBytes: ptr(int64(1024)), backups: ptr(3),
				loglevel: ptr(conf.LevelDebug), minfds: ptr(uint64(10)), minprocs: ptr(uint64(5))}},
		{args: []string{"-y", "2mb", "-e", "blather"}, want: &options{maxBytes: ptr(int64(2 << 20)), loglevel: ptr(conf.LevelBlather)}},
		{args: []string{"-u", "nobody", "-i", "x", "-d", dir, "-q", dir, "-l", dir + "/l.log", "-j", "p.pid"},
			want: &options{user: ptr("nobody"), identifier: ptr("x"), directory: ptr(dir), childLogDir: ptr(dir),
				logfile: ptr(dir + "/l.log"), pidfile: ptr("p.pid")}},
		{args: []string{"--no-autoreload"}, want: &options{noAutoReload: true}},
		{args: []string{"--test-config", "-c", "f.conf"}, want: &options{testConfig: true, configFile: "f.conf"}},
		{args: []string{"-t"}, want: &options{stripANSI: true}},
		{args: []string{"-h"}, want: &options{action: actHelp}},
		{args: []string{"-?"}, want: &options{action: actHelp}},
		{args: []string{"-vh"}, want: &options{action: actVersion}},
		{args: []string{"--vers"}, want: &options{action: actVersion}},
		{args: []string{"-n", "--echo-config"}, want: &options{action: actEchoConfig, nodaemon: true}},
		{args: []string{"-c", "f", "--", "-n"}, wantErr: "positional arguments are not supported: ['-n']"},

		{args: []string{"--bogus"}, wantErr: "option --bogus not recognized"},
		{args: []string{"-x"}, wantErr: "option -x not recognized"},
		{args: []string{"-v", "-x"}, wantErr: "option -x not recognized"},
		{args: []string{"-c"}, wantErr: "option -c requires argument"},
		{args: []string{"--configuration"}, wantErr: "option --configuration requires argument"},
		{args: []string{"--nodaemon=1"}, wantErr: "option --nodaemon must not have an argument"},
		{args: []string{"--l", "x"}, wantErr: "option --l not a unique prefix"},
		{args: []string{"--log", "x"}, wantErr: "option --log not a unique prefix"},
		{args: []string{"-n", "-n"}, wantErr: "conflicting command line option '-n'"},
		{args: []string{"--configuration=a", "-c", "b"}, wantErr: "conflicting command line option '-c'"},
		{args: []string{"-c", "a", "extra"}, wantErr: "positional arguments are not supported: ['extra']"},
		{args: []string{"-m", "9"}, wantErr: "invalid value for -m '9': 9 can not be converted to an octal type"},
		{args: []string{"-e", "foo"}, wantErr: "invalid value for -e 'foo': bad logging level name 'foo'"},
		{args: []string{"-y", "10XB"}, wantErr: "invalid value for -y '10XB': invalid literal for int() with base 10: '10xb'"},
		{args: []string{"-z", "x"}, wantErr: "invalid value for -z 'x': invalid literal for int() with base 10: 'x'"},
		{args: []string{"--minprocs=x"}, wantErr: "invalid value for --minprocs 'x': invalid literal for int() with base 10: 'x'"},
		{args: []string{"-d", "/nonexist"}, wantErr: "invalid value for -d '/nonexist': /nonexist is not an existing directory"},
		{args: []string{"-q", "/nonexist"}, wantErr: "invalid value for -q '/nonexist': /nonexist is not an existing directory"},
		{args: []string{"-l", "/nonexist/x.log"}, wantErr: "invalid value for -l '/nonexist/x.log': The directory named as part of the path /nonexist/x.log does not exist"},
		{args: []string{"-j", "/nonexist/p"}, wantErr: "invalid value for -j '/nonexist/p': The directory named as part of the path /nonexist/p does not exist"},
	}
	for _, tt := range tests {
		got, err := parseArgs(tt.args)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("parseArgs(%q) error = %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseArgs(%q) error = %v", tt.args, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseArgs(%q) = %+v, want %+v", tt.args, got, tt.want)
		}
	}
}

func TestApplyOverridesConfig(t *testing.T) {
	file := conf.Supervisord{
		Logfile: "file.log", LogfileMaxBytes: 100, LogfileBackups: 10, LogLevel: conf.LevelInfo,
		Pidfile: "file.pid", Umask: 0o022, Minfds: 1024, Minprocs: 200, ChildLogDir: "/tmp",
		User: "root", Directory: "/", Identifier: "supervisor", AutoReload: true, Silent: true,
	}
	tests := []struct {
		name string
		args []string
		want func(s *conf.Supervisord)
	}{
		{"nothing given keeps the file", nil, func(*conf.Supervisord) {}},
		{"flags turn options on", []string{"-n", "-k", "-t"}, func(s *conf.Supervisord) {
			s.Nodaemon, s.NoCleanup, s.StripANSI = true, true, true
		}},
		{"no-autoreload turns reload off", []string{"--no-autoreload"}, func(s *conf.Supervisord) { s.AutoReload = false }},
		{"values replace the file's", []string{"-l", "cli.log", "-y", "1KB", "-z", "2", "-e", "warn", "-j", "cli.pid",
			"-m", "077", "-a", "5", "--minprocs", "6", "-q", "/", "-u", "nobody", "-d", "/tmp", "-i", "cli"},
			func(s *conf.Supervisord) {
				s.Logfile, s.LogfileMaxBytes, s.LogfileBackups, s.LogLevel = "cli.log", 1024, 2, conf.LevelWarn
				s.Pidfile, s.Umask, s.Minfds, s.Minprocs = "cli.pid", 0o077, 5, 6
				s.ChildLogDir, s.User, s.Directory, s.Identifier = "/", "nobody", "/tmp", "cli"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseArgs(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			got, want := file, file
			o.apply(&got)
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("apply(%q):\n got %+v\nwant %+v", tt.args, got, want)
			}
		})
	}
}

func TestServerURL(t *testing.T) {
	tests := []struct {
		cfg  conf.Config
		want string
	}{
		{conf.Config{}, ""},
		{conf.Config{InetHTTPServer: &conf.InetHTTPServer{Port: 9001}}, "http://localhost:9001"},
		{conf.Config{InetHTTPServer: &conf.InetHTTPServer{Host: "127.0.0.1", Port: 9002}}, "http://127.0.0.1:9002"},
		{conf.Config{UnixHTTPServer: &conf.UnixHTTPServer{File: "/run/s.sock"},
			InetHTTPServer: &conf.InetHTTPServer{Port: 9001}}, "unix:///run/s.sock"},
	}
	for _, tt := range tests {
		if got := serverURL(&tt.cfg); got != tt.want {
			t.Errorf("serverURL(%+v) = %q, want %q", tt.cfg, got, tt.want)
		}
	}
}

func TestClearChildLogDir(t *testing.T) {
	dir := t.TempDir()
	mine := []string{"x-stdout---supervisor-ab12cd.log", "x-stdout---supervisor-ab12cd.log.1", "y-stderr---supervisor-q.log.10"}
	keep := []string{"x-stdout---other-ab12cd.log", "supervisord.log", "x---supervisor.log"}
	for _, n := range append(append([]string{}, mine...), keep...) {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if warns := clearChildLogDir(dir, "supervisor"); len(warns) != 0 {
		t.Fatalf("warnings: %q", warns)
	}
	entries, _ := os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"supervisord.log", "x---supervisor.log", "x-stdout---other-ab12cd.log"}; !reflect.DeepEqual(left, want) {
		t.Errorf("left %q, want %q", left, want)
	}
	if warns := clearChildLogDir(filepath.Join(dir, "missing"), "supervisor"); !reflect.DeepEqual(warns, []string{"Could not clear childlog dir"}) {
		t.Errorf("missing dir: %q", warns)
	}
}

// A directory named like an AUTO log is not removed: the reference's
// os.remove refuses it and warns.
func TestClearChildLogDirLeavesDirectories(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "x-stdout---supervisor-ab12cd.log")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	want := []string{"Failed to clean up '" + sub + "'"}
	if warns := clearChildLogDir(dir, "supervisor"); !reflect.DeepEqual(warns, want) {
		t.Errorf("warnings %q, want %q", warns, want)
	}
	if st, err := os.Stat(sub); err != nil || !st.IsDir() {
		t.Errorf("the directory is gone: %v", err)
	}
}

// Whatever the command line, parsing ends in options or a usage error.
func FuzzParseArgs(f *testing.F) {
	f.Add("-c\x00f.conf\x00-n")
	f.Add("--conf=x\x00--nod\x00-y\x001KB")
	f.Add("-nsk\x00--\x00rest")
	f.Add("-m\x00778")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		o, err := parseArgs(args)
		if err != nil {
			if ue := (*usageError)(nil); !errors.As(err, &ue) {
				t.Fatalf("parseArgs(%q) = %v, not a usage error", args, err)
			}
			return
		}
		if o == nil {
			t.Fatalf("parseArgs(%q) returned neither options nor an error", args)
		}
	})
}
