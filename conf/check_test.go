package conf

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const checkHead = `[supervisord]
logfile=$DIR/supervisord.log
pidfile=$DIR/supervisord.pid
childlogdir=$DIR
`

// TestCheck runs Check on configs with several problems each and compares
// its lines ($F is the main file, $DIR its directory).
func TestCheck(t *testing.T) {
	cases := []struct {
		name  string
		conf  string
		files map[string]string
		ok    bool
		want  []string
	}{
		{name: "clean", ok: true, conf: checkHead + "[program:a]\ncommand=/bin/true\n"},
		{
			name: "typo, unknown section, repeat, two bad values",
			conf: checkHead + `
[program:a]
comand=/bin/true
command=/bin/true
startsecs=-1
startsecs=2
[progam:b]
command=/bin/true
[program:c]
command=/bin/true
autostart=maybe
[eventlistener:l]
command=/bin/true
events=PROCESS_STATE
buffer_size=0
`,
			want: []string{
				"$F:7: warning: unknown option comand in [program:a]: the reference ignores it, and so does this project (did you mean command?)",
				"$F:10: warning: option startsecs of [program:a] repeats the one at line 9: this later value wins, as in the reference",
				"$F:11: warning: unknown section [progam:b]: the reference ignores it, and so does this project (did you mean [program:b]?)",
				"$F:15: [program:c] autostart: not a valid boolean value: 'maybe'",
				"$F:19: [eventlistener:l] buffer_size: [eventlistener:l] section sets invalid buffer_size (0)",
			},
		},
		{
			name: "two bad values in one section and a required option missing",
			conf: checkHead + `
[program:a]
command=/bin/true
numprocs=-1
stopwaitsecs=x
[program:b]
autostart=false
[inet_http_server]
port=nope
[unix_http_server]
file=/tmp/check.sock
username=u
`,
			want: []string{
				"$F:8: [program:a] numprocs: -1 is below lower bound (0)",
				"$F:9: [program:a] stopwaitsecs: invalid literal for int() with base 10: 'x'",
				"$F:10: [program:b] program section program:b does not specify a command",
				"$F:13: [inet_http_server] port: not a valid port number: 'nope'",
				"$F:14: [unix_http_server] Section [unix_http_server] contains incomplete authentication: If a username or a password is specified, both the username and password must be specified",
			},
		},
		{
			name: "a bad value in [supervisord] and an empty command in a group",
			conf: checkHead + `loglevel=loud
[group:g]
programs=a,b
[program:a]
command=
[program:b]
command=/bin/true
depends_on=a
`,
			want: []string{
				"$F:5: [supervisord] loglevel: bad logging level name 'loud'",
				"$F:9: [program:a] command: command is empty: there is nothing to start",
				"$F:12: warning: option depends_on in [program:b] is this project's: the reference ignores it",
			},
		},
		{
			name: "extension and reference-refused values warn only",
			ok:   true,
			conf: checkHead + `autoreload=false
[program:a]
command=/bin/true
startretries=unlimited
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
anything=goes
[ctlplugin:x]
whatever=1
`,
			want: []string{
				"$F:5: warning: option autoreload in [supervisord] is this project's: the reference ignores it",
				"$F:8: warning: startretries=unlimited is this project's: the reference refuses it",
			},
		},
		{
			name: "accounts, TLS and peer roles: ours, and each bad one at its line",
			conf: checkHead + `[inet_http_server]
port=127.0.0.1:9001
certfile=$DIR/none.pem
keyfile=$DIR/none-key.pem
[unix_http_server]
file=/tmp/check.sock
peer_roles=root:admin,nobody_xyz_unknown:read
[user:alice]
password=x
role=operate
[user:bob]
password=$2y$10$short
rol=read
`,
			want: []string{
				"$F:7: [inet_http_server] certfile: $DIR/none.pem: cannot read: no such file or directory",
				"$F:7: warning: option certfile in [inet_http_server] is this project's: the reference ignores it",
				"$F:8: warning: option keyfile in [inet_http_server] is this project's: the reference ignores it",
				"$F:11: [unix_http_server] peer_roles: entry 2 'nobody_xyz_unknown:read': no such user nobody_xyz_unknown",
				"$F:11: warning: option peer_roles in [unix_http_server] is this project's: the reference ignores it",
				"$F:12: warning: section [user:alice] is this project's: the reference ignores it",
				"$F:15: warning: section [user:bob] is this project's: the reference ignores it",
				"$F:16: [user:bob] password: invalid bcrypt hash (crypto/bcrypt: hashedSecret too short to be a bcrypted password)",
				"$F:17: warning: unknown option rol in [user:bob]: the reference ignores it, and so does this project (did you mean role?)",
			},
		},
		{
			name: "[fleet]: each bad value, then the first bad file",
			conf: checkHead + `[fleet]
name=a b
seed=x.example
timeout=0
listen=nope
gossip_key_file=$DIR/none.key
ca=$DIR/none-ca.pem
cert=$DIR/none.pem
key=$DIR/none-key.pem
`,
			want: []string{
				"$F:5: warning: section [fleet] is this project's: the reference ignores it",
				"$F:6: [fleet] name: name 'a b' has a blank or a control character",
				"$F:7: warning: unknown option seed in [fleet]: the reference ignores it, and so does this project (did you mean seeds?)",
				"$F:8: [fleet] timeout: 0 is below lower bound (1)",
				"$F:9: [fleet] listen: 'nope' has no port: write HOST:PORT (HOST empty for every address, an IPv6 one in brackets: [::1]:7947)",
				"$F:10: [fleet] gossip_key_file: $DIR/none.key: cannot read: no such file or directory",
				"$F:12: [fleet] cert: $DIR/none.pem: cannot read: no such file or directory",
			},
		},
		{
			name: "[fleet]: a bad value and no TLS files",
			conf: checkHead + "[fleet]\nlabels=role\n[program:a]\ncommand=/bin/true\nstartsecs=x\n",
			want: []string{
				"$F:5: [fleet] needs ca, cert and key: nodes only talk over mutual TLS",
				"$F:5: warning: section [fleet] is this project's: the reference ignores it",
				"$F:6: [fleet] labels: expected '=' after a label name (at byte 4 of 'role'); labels are NAME=VALUE separated by commas",
				"$F:9: [program:a] startsecs: invalid literal for int() with base 10: 'x'",
			},
		},
		{
			name: "a syntax error stops the check",
			conf: checkHead + "[program:a]\ncommand=/bin/true\nstray line\nstartsecs=-1\n",
			want: []string{"$F:7: Source contains parsing errors: '$F' [line 7]: 'stray line\\n'"},
		},
		{
			name:  "problems in included files come after the main file's",
			conf:  checkHead + "[include]\nfiles=more.conf\n[program:z]\ncommand=/bin/true\nnumprocs=-3\n",
			files: map[string]string{"more.conf": "[program:a]\ncommand=/bin/true\nstartsecs=-2\n[program:z]\nstopsignal=NOPE\n"},
			want: []string{
				"$F:9: [program:z] numprocs: -3 is below lower bound (0)",
				"$DIR/more.conf:3: [program:a] startsecs: -2 is below lower bound (0)",
				"$DIR/more.conf:4: warning: section [program:z] repeats the one at $F:7: their options are merged, later values winning, as in the reference",
				"$DIR/more.conf:5: [program:z] stopsignal: value 'NOPE' is not a valid signal name",
			},
		},
		{
			name: "an include loop",
			conf: checkHead + "[include]\nfiles=*.conf\n",
			want: []string{"$F:6: [include] files: include loop: $F matches the file holding this [include]"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			main := filepath.Join(dir, "supervisord.conf")
			write := func(p, body string) {
				if err := os.WriteFile(p, []byte(strings.ReplaceAll(body, "$DIR", dir)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write(main, c.conf)
			for name, body := range c.files {
				write(filepath.Join(dir, name), body)
			}
			r := Check(main, testEnv)
			var got []string
			for _, line := range r.Lines() {
				line = strings.ReplaceAll(line, main, "$F")
				got = append(got, strings.ReplaceAll(line, dir, "$DIR"))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if r.OK() != c.ok {
				t.Errorf("OK() = %v, want %v", r.OK(), c.ok)
			}
			// Check and Load agree on whether the config loads, and on
			// its first error when it does not.
			_, err := Parse([]byte(strings.ReplaceAll(c.conf, "$DIR", dir)), main, testEnv)
			if (err == nil) != r.OK() {
				t.Errorf("Parse says %v; Check says OK() = %v", err, r.OK())
			}
		})
	}
}

// TestKnownOptions checks that reading the stubs finds every option the
// reference reads in each kind of section, and the lifecycle options.
func TestKnownOptions(t *testing.T) {
	known := knownOptions()
	for kind, k := range sectionKinds {
		for _, o := range k.reference {
			if !known[kind][o] {
				t.Errorf("[%s] %s: the stub reading did not look it up", kind, o)
			}
		}
	}
	for _, o := range []string{"depends_on", "ready", "health", "backoff", "restart_limit",
		"essential", "environment_file", "rlimit_nofile", "rlimit_core",
		"schedule", "schedule_timezone", "schedule_overlap", "schedule_catchup"} {
		if !known["program:"][o] {
			t.Errorf("[program:] %s: the stub reading did not look it up", o)
		}
	}
	for _, o := range []string{"name", "labels", "listen", "gossip", "seeds", "ca", "cert", "key", "gossip_key_file", "timeout"} {
		if !known["fleet"][o] {
			t.Errorf("[fleet] %s: the stub reading did not look it up", o)
		}
	}
	if !known["supervisord"]["exit_when_all_done"] {
		t.Error("[supervisord] exit_when_all_done: the stub reading did not look it up")
	}
}

func TestStubsLoad(t *testing.T) {
	for kind, k := range sectionKinds {
		if k.stub == nil || kind == "supervisord" {
			continue
		}
		text := "[supervisord]\n" + k.stubSection(kind)
		_, err := Parse([]byte(text), filepath.Join(t.TempDir(), "s.conf"), nil)
		if kind == "fleet" {
			// A stub names no files; it fails only at the files, the
			// last thing read (TestKnownOptions sees every option).
			var e *Error
			if !errors.As(err, &e) || e.Section != "fleet" || e.Option != "" || !strings.HasPrefix(e.Msg, "needs ca, cert and key") {
				t.Errorf("the stub of fleet: %v, want only its files missing", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("the stub of %s does not load: %v", kind, err)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"comand", "command", 1}, {"command", "comand", 1}, {"stratsecs", "startsecs", 2},
		{"abc", "", 3}, {"kitten", "sitting", 3}, {"same", "same", 0},
	} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	if got := closest("autostrat", []string{"autorestart", "autostart"}); got != "autostart" {
		t.Errorf("closest = %q", got)
	}
	if got := closest("xyzzy", []string{"autostart"}); got != "" {
		t.Errorf("closest = %q, want none", got)
	}
}
