package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTestConfig runs the real binary with --test-config: every problem
// one a line, then the summary; 0 when the config would load, 1 when not.
func TestTestConfig(t *testing.T) {
	cases := []struct {
		name, conf string
		code       int
		want       []string // the lines, {conf} for the config's path
	}{
		{
			name: "loads",
			conf: baseConf + "[program:a]\ncommand=/bin/true\n",
			want: []string{"{conf}: 0 errors, 0 warnings: the config would load"},
		},
		{
			name: "loads with warnings",
			conf: baseConf + "[program:a]\ncommand=/bin/true\nautostrat=false\n[program:a]\npriority=3\n",
			want: []string{
				"{conf}:7: warning: unknown option autostrat in [program:a]: the reference ignores it, and so does this project (did you mean autostart?)",
				"{conf}:8: warning: section [program:a] repeats the one at line 5: their options are merged, later values winning, as in the reference",
				"{conf}: 0 errors, 2 warnings: the config would load",
			},
		},
		{
			name: "two errors in two sections",
			conf: baseConf + "[program:a]\ncommand=/bin/true\nstartsecs=-1\n[program:b]\ncommand=/bin/true\nstopsignal=NOPE\n[bogus]\n",
			code: 1,
			want: []string{
				"{conf}:7: [program:a] startsecs: -1 is below lower bound (0)",
				"{conf}:10: [program:b] stopsignal: value 'NOPE' is not a valid signal name",
				"{conf}:11: warning: unknown section [bogus]: the reference ignores it, and so does this project",
				"{conf}: 2 errors, 1 warning: the config would not load",
			},
		},
		{
			name: "every [fleet] problem",
			conf: baseConf + "[fleet]\nname=web 1\nseed=a.example\ntimeout=0\nlabels=role=web,role=api\n",
			code: 1,
			want: []string{
				"{conf}:5: [fleet] needs ca, cert and key: nodes only talk over mutual TLS",
				"{conf}:5: warning: section [fleet] is this project's: the reference ignores it",
				"{conf}:6: [fleet] name: name 'web 1' has a blank or a control character",
				"{conf}:7: warning: unknown option seed in [fleet]: the reference ignores it, and so does this project (did you mean seeds?)",
				"{conf}:8: [fleet] timeout: 0 is below lower bound (1)",
				`{conf}:9: [fleet] labels: label "role" given twice (at byte 9 of 'role=web,role=api'); labels are NAME=VALUE separated by commas`,
				"{conf}: 4 errors, 2 warnings: the config would not load",
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeConf(t, dir, c.conf)
			stdout, stderr, code := run(t, dir, "--test-config", "-c", path)
			if code != c.code {
				t.Errorf("exit status %d, want %d (stderr %q)", code, c.code, stderr)
			}
			want := strings.ReplaceAll(strings.Join(c.want, "\n")+"\n", "{conf}", path)
			if stdout != want {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
			}
			// A check starts nothing and writes nothing.
			if _, err := os.Stat(filepath.Join(dir, "supervisord.pid")); err == nil {
				t.Error("--test-config wrote a pidfile")
			}
		})
	}
}

// TestTestConfigMissingFile: a config that cannot be read is one error.
func TestTestConfigMissingFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nope.conf")
	stdout, _, code := run(t, dir, "--test-config", "-c", path)
	want := path + ": could not find config file " + path + "\n" + path + ": 1 error, 0 warnings: the config would not load\n"
	if code != 1 || stdout != want {
		t.Errorf("status %d, stdout %q; want 1, %q", code, stdout, want)
	}
}
