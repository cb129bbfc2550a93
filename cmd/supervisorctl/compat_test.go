package main

import (
	"flag"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"supervisord/testkit"
)

// Differential tests: every scenario runs twice, once driven by the
// reference's supervisorctl and once by ours, each against its own daemon
// started on the same config (ours, or in one scenario the reference's),
// and the two transcripts, normalised by testkit.Normalize, must be equal:
// stdout, stderr and exit status of every command. The reference's
// transcripts are kept in testdata/ctl/*.golden, so that a machine without
// the reference still checks ours against them:
//
//	go test ./cmd/supervisorctl -run TestCtlCompat -update   # re-record
//
// Help texts are our own wording, so where a command prints its help the
// transcript keeps only that it did.
var updateGolden = flag.Bool("update", false, "rewrite testdata/ctl/*.golden from the reference supervisorctl")

const referenceDaemon = "/usr/bin/supervisord"

// bin is the directory holding our freshly built commands.
var bin string

func TestMain(m *testing.M) {
	flag.Parse()
	// The scenarios wait on daemons and the reference's one-second loop.
	testkit.RaiseParallel(8)
	dir, err := testkit.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = dir
	// What a config's %(ENV_CTLTEST)s expands to.
	os.Setenv("CTLTEST", "/nonexistent-ctltest")
	testkit.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(dir)
		os.Exit(code)
	}))
}

func oursCtl() string { return filepath.Join(bin, "supervisorctl") }

// programs is the config most scenarios run: a long runner, one that goes
// FATAL, one not started automatically, commands that cannot be run,
// one talking on stdout and stderr, one echoing its stdin, one trapping
// HUP, a [group:x] of two and numprocs=2.
const programs = `
[program:sleeper]
command=/bin/sleep 1000
startsecs=0

[program:quick]
command=/bin/sh -c 'sleep 0.2; exit 1'
startsecs=1
startretries=0

[program:manual]
command=/bin/sleep 1000
startsecs=0
autostart=false

[program:missing]
command=/nonexistent/program
autostart=false
startretries=0

[program:notexec]
command={dir}/notexec.txt
autostart=false
startretries=0

[program:chatty]
command=/bin/sh -c 'seq 1 30; echo err1 >&2; echo err2 >&2; exec sleep 1000'
startsecs=0
stdout_logfile={dir}/chatty.out
stderr_logfile={dir}/chatty.err

[program:echo]
command=/bin/cat
startsecs=0
stdout_logfile={dir}/echo.out

[program:hup]
command=/bin/sh -c 'trap "echo got HUP" HUP; echo ready; while :; do sleep 0.1; done'
startsecs=0
stdout_logfile={dir}/hup.out

[group:grp]
programs=ga,gb

[program:ga]
command=/bin/sleep 1000
startsecs=0

[program:gb]
command=/bin/sleep 1000
startsecs=0

[program:multi]
command=/bin/sleep 1000
process_name=%(program_name)s_%(process_num)d
numprocs=2
startsecs=0
`

var settledStates = map[string]string{
	"sleeper": "RUNNING", "quick": "FATAL", "chatty": "RUNNING", "echo": "RUNNING", "hup": "RUNNING",
	"ga": "RUNNING", "gb": "RUNNING", "multi_0": "RUNNING", "multi_1": "RUNNING",
}

func settle() step {
	return steps(waitStates(settledStates),
		waitFile("chatty.out", "30\n"), waitFile("chatty.err", "err2\n"), waitFile("hup.out", "ready\n"))
}

// ctlScenario is one sequence of commands against one daemon.
type ctlScenario struct {
	name   string
	daemon string // "ours", "reference", or "" for none
	conf   string // what follows the [supervisord] section; {dir} and {port} are filled in
	steps  []step
}

var scenarios = []ctlScenario{
	{
		name: "control", daemon: "ours", conf: rpcSections + programs,
		steps: []step{settle(),
			ctl("status"), ctl("status", "sleeper"), ctl("status", "grp:*"), ctl("status", "multi:*"),
			ctl("status", "grp:ga", "multi:multi_1"), ctl("status", "nosuch"), ctl("status", "grp:nosuch"),
			ctl("status", "nosuch:*"), ctl("status", "sleeper", "nosuch"), ctl("status", "manual"),
			ctl("status", "all"), ctl("status", "ga"),
			ctl("pid"), ctl("pid", "sleeper"), ctl("pid", "all"), ctl("pid", "manual"), ctl("pid", "nosuch"),
			ctl("pid", "grp:ga", "nosuch", "sleeper"), ctl("pid", "grp:*"),
			ctl("avail"), ctlHelp(1, "avail", "x"), ctl("version"), ctlHelp(1, "version", "x"),

			ctlHelp(1, "start"), ctl("start", "sleeper"), ctl("start", "nosuch"), ctl("start", "manual"),
			ctl("start", "nosuchgrp:*"), ctl("start", "missing"), writeFile("notexec.txt", "not a program\n"), ctl("start", "notexec"),
			ctl("start", "quick"), ctl("start", "grp:"), ctl("start", "nosuch", "sleeper", "multi:multi_0"),
			ctlHelp(1, "stop"), ctl("stop", "manual"), ctl("stop", "manual"), ctl("stop", "nosuch"),
			ctl("stop", "quick"), ctl("stop", "nosuchgrp:*"), ctlSorted("stop", "grp:*"), ctl("status", "grp:*"),
			ctlSorted("start", "grp:*"), ctl("start", "grp:*"),
			ctlHelp(1, "restart"), ctl("restart", "sleeper"), ctlSorted("restart", "grp:*"), ctl("restart", "nosuch"),

			ctlHelp(1, "signal"), ctlHelp(1, "signal", "HUP"), ctl("signal", "HUP", "hup"), waitFile("hup.out", "got HUP\n"),
			ctl("signal", "BOGUS", "hup"), ctl("signal", "HUP", "quick"), ctl("signal", "HUP", "nosuch"),
			ctlSorted("signal", "CONT", "grp:*"), ctl("signal", "CONT", "nosuchgrp:*"),
			ctl("signal", "CONT", "manual"), ctlSorted("signal", "CONT", "all"), ctlSorted("signal", "BOGUS", "all"),

			ctlHelp(1, "clear"), ctl("clear", "nosuch"), ctl("clear", "grp:*"), ctl("clear", "hup"),
			ctlSorted("clear", "all"),

			ctlHelp(1, "tail"), ctl("tail", "chatty"), ctl("tail", "-10", "chatty", "stderr"),
			ctl("tail", "-5", "chatty"), ctl("tail", "chatty", "STDERR"), ctlHelp(1, "tail", "-3", "chatty", "x", "stderr"), ctl("tail", "-3", "chatty", "stderr"),
			ctl("tail", "nosuch"), ctl("tail", "chatty", "bogus"), ctl("tail", "-x", "chatty"),
			ctlHelp(1, "tail", "a", "b", "c", "d"), ctl("tail", "-f"), ctl("tail", "-5"), ctl("tail", "manual"),
			ctl("tail", "-99999999999", "chatty"), ctl("tail", "--5", "chatty"), ctl("tail", "+3", "chatty"),
			ctl("tail", "-1_0", "chatty"), ctl("tail", "grp:*"),

			ctl("start", "manual"), ctl("stop", "manual"), waitLastLog("stopped: manual ("),
			// The last line of the main log is now "stopped: manual (...)",
			// whose tail does not depend on pids or times.
			ctl("maintail", "-30"), ctl("maintail", "-x"), ctl("maintail", "30"), ctlHelp(1, "maintail", "a", "b"),

			ctl("help"), ctlHelp(0, "help", "status"), ctlHelp(0, "help", "help"), ctl("help", "foo"),
			ctl("help", "EOF"), ctlHelp(0, "help", "tail"), ctl("foo"), ctl("?"), ctlHelp(0, "?status"),
			ctl("!ls"), ctl("EOF"), ctl("quit"), ctl("exit"), ctl(""), ctl("status;"), ctl("9start"),

			ctl("open"), ctl("open", "ftp://x"), ctl("open", "unix://{dir}/nosuch.sock"),
			ctl("open", "unix://{dir}/supervisor.sock"), ctl("open", "http://127.0.0.1:1"),

			ctl("reread"), ctl("update"), ctl("update", "all"), ctl("update", "nosuch"),
			ctl("add"), ctl("add", "nosuch"), ctl("add", "sleeper"), ctl("remove", "nosuch"), ctl("remove", "sleeper"),

			ctlHelp(1, "fg"), ctl("fg", "a", "b"), ctl("fg", "nosuch"), ctl("fg", "manual"),

			ctlHelp(1, "shutdown", "now"), ctlHelp(1, "reload", "now"),
			ctl("shutdown"), waitExit(),
			ctl("shutdown"), ctl("status"), ctl("reload"), ctl("avail"), ctl("start", "sleeper"),
		},
	},
	{
		name: "config_changes", daemon: "ours", conf: rpcSections + programs,
		steps: []step{settle(),
			ctl("reread"), ctl("update"), ctl("avail"),
			editConf("change sleeper, drop hup, add newprog, add gc to grp", func(conf string) (string, error) {
				conf, err := replaceAll(conf,
					"[program:sleeper]\ncommand=/bin/sleep 1000\n", "[program:sleeper]\ncommand=/bin/sleep 999\n",
					"programs=ga,gb\n", "programs=ga,gb,gc\n",
					"[program:hup]\n", "[program:hup-gone]\n")
				return conf + newPrograms, err
			}),
			ctl("reread"), ctl("avail"),
			ctl("update", "nosuch", "newprog"), ctl("update", "sleeper"),
			waitStates(map[string]string{"newprog": "RUNNING", "sleeper": "RUNNING"}),
			ctl("update"), ctl("update"),
			waitStates(map[string]string{"gc": "RUNNING", "ga": "RUNNING", "gb": "RUNNING"}),
			ctl("status"), ctl("add", "hup-gone"), ctl("remove", "hup-gone"),
			waitStates(map[string]string{"hup-gone": "RUNNING"}),
			ctl("stop", "hup-gone"), ctl("remove", "hup-gone"), ctl("add", "hup-gone"),
			editConf("a bad integer", func(conf string) (string, error) {
				return replaceAll(conf, "command=/bin/sleep 999\nstartsecs=0\n", "command=/bin/sleep 999\nstartsecs=abc\n")
			}),
			// supervisorctl itself reads only [supervisorctl] and is not
			// bothered by the bad program section.
			ctl("reread"), ctl("update"), ctl("status", "sleeper"),
			editConf("fixed", func(conf string) (string, error) { return replaceAll(conf, "startsecs=abc\n", "startsecs=0\n") }),
			ctl("reread"), ctl("stop", "newprog"), ctl("remove", "newprog"), ctl("reread"), ctl("add", "newprog"),
			waitStates(map[string]string{"newprog": "RUNNING"}),
			ctl("reload"), waitLogCount(`supervisord started with pid`, 2), waitStates(settledAfterReload),
			ctl("status"), ctl("shutdown"), waitExit(),
		},
	},
	{
		name: "no_daemon", daemon: "", conf: rpcSections,
		steps: []step{
			ctl("status"), ctl("status", "x"), ctl("start", "x"), ctl("stop", "x"), ctl("restart", "x"),
			ctl("signal", "HUP", "x"), ctl("clear", "x"), ctl("pid"), ctl("version"), ctl("tail", "x"),
			ctl("tail", "-f", "x"), ctl("maintail"), ctl("maintail", "-f"), ctl("fg", "x"),
			ctl("avail"), ctl("reread"), ctl("update"), ctl("add", "x"), ctl("add"), ctl("remove", "x"),
			ctl("shutdown"), ctl("reload"), ctl("help"), ctl("quit"), ctl("open", "unix:///nonexistent.sock"),
			ctlNoConf("-s", "http://127.0.0.1:1", "status"), ctlNoConf("-s", "http://127.0.0.1:1", "avail"),
			ctlNoConf("-s", "http://127.0.0.1:1", "shutdown"), ctlNoConf("-s", "http://127.0.0.1:1", "tail", "-f", "x"),
			ctlNoConf("-s", "unix://{dir}", "status"), ctlNoConf("-s", "unix://{dir}", "avail"),
			ctlNoConf("-s", "ftp://x/", "add"), ctlNoConf("-s", "HTTP://x", "status"),
			ctlNoConf("-s", "http://x:99999", "status"), ctlNoConf("-s", "http://x:abc", "status"),
			ctlNoConf("-s", "localhost:9001", "status"), ctlNoConf("-s", "nourl", "status"),
			ctlNoConf("-s", "http://", "status"), ctlNoConf("-s", "a", "-s", "b", "status"),
			ctlNoConf("-c", "{dir}/supervisord.conf", "-c", "x", "status"), ctlNoConf("-i", "-i", "status"),
			ctlNoConf("-x"), ctlNoConf("--nosuch"), ctlNoConf("--h"), ctlNoConf("--hist"), ctlNoConf("-r"),
			ctlNoConf("--interactive=1", "status"), ctlNoConf("--serverurl=unix://{dir}/x.sock", "status"),
			ctlNoConf("--conf", "{dir}/supervisord.conf", "--", "status"), ctlNoConf("-cnosuch.conf", "status"),
			ctlNoConf("-c", "{dir}", "status"), ctlNoConf("-c", "{dir}/nosuch.conf", "status"),
			ctlNoConf("-c", "", "-s", "unix://{dir}/y.sock", "status"),
			// No -c: supervisord.conf in the working directory is found.
			ctlNoConf("status"),
			writeFile("nosection.conf", "[supervisord]\n"), ctlNoConf("-c", "nosection.conf", "status"),
			writeFile("junk.conf", "junk\n[supervisorctl]\n"), ctlTraceback("-c", "junk.conf", "status"),
			writeFile("bad.conf", "[supervisorctl]\nnovalue\n[x]\n=y\n"), ctlTraceback("-c", "bad.conf", "status"),
			writeFile("here.conf", "[supervisorctl]\nserverurl = unix://%(here)s/h.sock ; a comment\n  continued\n"),
			ctlNoConf("-c", "here.conf", "status"),
			writeFile("env.conf", "[supervisorctl]\nserverurl=unix://%(ENV_CTLTEST)s/e.sock\n"),
			ctlNoConf("-c", "env.conf", "status"),
			writeFile("badexp.conf", "[supervisorctl]\nprompt=%(here)s\n"), ctlLine("-c", "badexp.conf", "status"),
			writeFile("default.conf", "[DEFAULT]\nserverurl=unix://%(here)s/default.sock\n[supervisorctl]\n"),
			ctlNoConf("-c", "default.conf", "status"),
			writeFile("relative.conf", "[supervisorctl]\nserverurl=unix://rel.sock\n"), ctlNoConf("-c", "relative.conf", "status"),
			writeFile("tcp.conf", "[supervisorctl]\nserverurl=http://127.0.0.1:1\n"), ctlNoConf("-c", "tcp.conf", "pid"),
		},
	},
	{
		name: "auth", daemon: "ours",
		conf: "\n[unix_http_server]\nfile={dir}/supervisor.sock\nusername=user\npassword=secret\n" +
			"\n[inet_http_server]\nport=127.0.0.1:{port}\nusername=user\npassword={SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4\n" +
			"\n[supervisorctl]\nserverurl=unix://{dir}/supervisor.sock\nusername=user\npassword=secret\n" +
			"\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n" +
			"\n[program:sleeper]\ncommand=/bin/sh -c 'echo hello; exec sleep 1000'\nstartsecs=0\nstdout_logfile={dir}/sleeper.out\n",
		steps: []step{waitStates(map[string]string{"sleeper": "RUNNING"}), waitFile("sleeper.out", "hello\n"),
			ctl("status"), ctl("-u", "user", "-p", "wrong", "status"), ctl("-u", "other", "status"),
			writeFile("noauth.conf", "[supervisorctl]\nserverurl=unix://{dir}/supervisor.sock\n"),
			ctlNoConf("-c", "noauth.conf", "status"), ctlNoConf("-c", "noauth.conf", "avail"),
			ctlNoConf("-c", "noauth.conf", "shutdown"), ctlNoConf("-c", "noauth.conf", "add", "x"),
			ctlNoConf("-c", "noauth.conf", "stop", "sleeper"), ctlNoConf("-c", "noauth.conf", "-u", "user", "status"),
			ctlNoConf("-c", "noauth.conf", "-u", "user", "-p", "secret", "pid", "sleeper"),
			ctlNoConf("-c", "noauth.conf", "-p", "secret", "version"),
			ctlNoConf("-c", "noauth.conf", "tail", "-f", "sleeper"),
			// Asked for credentials in interactive use.
			ctlNoConfIn("user\nsecret\nversion\n", "-c", "noauth.conf"),
			ctlNoConfIn("user\nwrong\nuser\nsecret\n", "-c", "noauth.conf", "-i", "pid"),
			ctlNoConfIn("user\n", "-c", "noauth.conf", "-i", "pid"),
			ctlNoConf("-s", "http://127.0.0.1:{port}", "-u", "user", "-p", "secret", "status"),
			ctlNoConf("-s", "http://127.0.0.1:{port}", "-u", "user", "-p", "bad", "version"),
			ctlNoConf("-s", "http://localhost:{port}", "-u", "user", "-p", "secret", "status"),
			ctlNoConf("-s", "http://127.0.0.1:{port}", "-u", "user", "-p", "bad", "tail", "-f", "sleeper"),
			session("tail -f with credentials", sess{args: []string{"tail", "-f", "sleeper", "stdout"}, waitFor: "hello\n"}),
			session("tail -f over TCP with credentials", sess{args: []string{"-s", "http://127.0.0.1:{port}", "-u", "user", "-p", "secret", "tail", "-f", "sleeper"}, waitFor: "hello\n"}),
			session("tail -f over TCP, wrong password", sess{args: []string{"-s", "http://127.0.0.1:{port}", "-u", "user", "-p", "bad", "tail", "-f", "sleeper"}, endsItself: true}),
		},
	},
	{
		name: "streams", daemon: "ours", conf: rpcSections + programs,
		steps: []step{settle(),
			session("tail -f", sess{args: []string{"tail", "-f", "chatty"}, waitFor: "30\n"}),
			session("tail -f stderr", sess{args: []string{"tail", "-f", "chatty", "stderr"}, waitFor: "err2\n"}),
			// The reference's stdout is a buffered pipe here: its banner
			// shows once the first output comes.
			session("tail -f, new output", sess{args: []string{"tail", "-f", "echo"},
				action: rpc("supervisor.sendProcessStdin", "echo", "streamed\n"), waitAfter: "streamed\n"}),
			session("maintail -f", sess{args: []string{"maintail", "-f"}, waitFor: "<==\n",
				action: rpc("supervisor.startProcess", "manual"), waitAfter: "success: manual",
				keep: func(l string) bool { return strings.Contains(l, "manual") || strings.Contains(l, "<==") }}),
			session("tail -f of an unknown process", sess{args: []string{"tail", "-f", "nosuch"}, endsItself: true}),
			session("fg", sess{args: []string{"fg", "echo"}, stdin: "hello\n", waitFor: "hello\n", noStatus: true}),
			session("fg, a process that stops", sess{args: []string{"fg", "sleeper"}, waitFor: "<==\n",
				action: rpc("supervisor.stopProcess", "sleeper"), more: "line\n", endsItself: true, noStatus: true}),
			ctl("start", "sleeper"),
			// Piped into the shell, as a script would.
			ctlIn("help\nstatus nosuch\nfoo\n\nstart nosuch\n?\n  pid   nosuch  \nversion\nquit\nstatus\n"),
			ctlIn("status\n"), ctlIn(""), ctlIn("EOF\n"),
			ctlIn("n\n", "-i", "shutdown"), ctlIn("no\n", "-i", "reload"), ctlIn("", "-i", "reload"),
			ctlIn("shutdown\nn\nversion\n"),
			ctl("shutdown"), waitExit(),
		},
	},
	{
		name: "reference_daemon", daemon: "reference", conf: rpcSections + referencePrograms,
		steps: []step{waitStates(map[string]string{"sleeper": "RUNNING", "quick": "FATAL", "chatty": "RUNNING", "ga": "RUNNING", "gb": "RUNNING"}),
			waitFile("chatty.out", "30\n"),
			ctl("status"), ctl("status", "grp:*", "nosuch"), ctl("pid", "all"), ctl("avail"), ctl("version"),
			ctl("start", "manual", "sleeper", "nosuch"), ctl("stop", "manual"), ctl("restart", "grp:ga"),
			ctl("start", "quick"), ctl("signal", "CONT", "sleeper", "manual"),
			ctl("tail", "-20", "chatty"), ctl("tail", "chatty", "stderr"), ctl("clear", "chatty"), ctl("tail", "chatty"),
			editConf("add newprog", func(conf string) (string, error) {
				return conf + "\n[program:newprog]\ncommand=/bin/sleep 1000\nstartsecs=0\n", nil
			}),
			ctl("reread"), ctl("update"), waitStates(map[string]string{"newprog": "RUNNING"}), ctl("status", "newprog"),
			ctl("shutdown"), waitExit(), ctl("status"),
		},
	},
}

// rpcSections serve XML-RPC on a unix socket and point supervisorctl at
// it.
var rpcSections = testkit.RPCConfig("{dir}")

const newPrograms = `
[program:gc]
command=/bin/sleep 1000
startsecs=0

[program:newprog]
command=/bin/sleep 1000
startsecs=0
`

var settledAfterReload = map[string]string{
	"sleeper": "RUNNING", "quick": "FATAL", "chatty": "RUNNING", "echo": "RUNNING", "hup-gone": "RUNNING",
	"ga": "RUNNING", "gb": "RUNNING", "gc": "RUNNING", "newprog": "RUNNING",
}

// referencePrograms is a small config for the reference daemon, which
// takes its time; ticker's output wakes its main loop, which otherwise
// sleeps up to a second before it answers a start or a stop.
const referencePrograms = `
[program:sleeper]
command=/bin/sleep 1000
startsecs=0

[program:quick]
command=/bin/sh -c 'exit 1'
startsecs=1
startretries=0

[program:manual]
command=/bin/sleep 1000
startsecs=0
autostart=false

[program:chatty]
command=/bin/sh -c 'seq 1 30; echo err1 >&2; exec sleep 1000'
startsecs=0
stdout_logfile={dir}/chatty.out
stderr_logfile={dir}/chatty.err

[group:grp]
programs=ga,gb

[program:ga]
command=/bin/sleep 1000
startsecs=0

[program:gb]
command=/bin/sleep 1000
startsecs=0

[program:ticker]
command=/bin/sh -c 'while :; do echo t; sleep 0.05; done'
startsecs=0
stdout_logfile=NONE
`

// env is what a step works on.
type env struct {
	t    *testing.T
	ctl  string          // the supervisorctl under test
	d    *testkit.Daemon // a stand-in holding only Dir when there is no daemon
	dir  string
	port string
	out  strings.Builder
}

type step func(e *env)

func steps(ss ...step) step {
	return func(e *env) {
		for _, s := range ss {
			s(e)
		}
	}
}

func (e *env) printf(format string, args ...any) { fmt.Fprintf(&e.out, format, args...) }

// expand fills in {dir} and {port}.
func (e *env) expand(s string) string {
	return strings.NewReplacer("{dir}", e.dir, "{port}", e.port).Replace(s)
}

func (e *env) expandAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = e.expand(a)
	}
	return out
}

// extraHelp is the section of help that lists our own commands.
var fgExitRace = regexp.MustCompile(`(?m)^CLOSED Cannot connect, error: <class 'SystemExit'> \(\)\n`)

var extraHelp = regexp.MustCompile(`\nextra commands \(type help <topic>\):\n=+\n(?:.+\n)*\n`)

// run runs the supervisorctl under test and records the command line and
// what came of it, shaped by show.
func (e *env) run(stdin string, withConf bool, args []string, show func(testkit.CtlRun) testkit.CtlRun) {
	args = e.expandAll(args)
	full := args
	if withConf {
		full = append([]string{"-c", filepath.Join(e.dir, "supervisord.conf")}, args...)
	}
	r := testkit.RunCtl(e.t, e.ctl, e.dir, stdin, full...)
	// Our commands are listed apart, as a reference plugin's would be;
	// the rest of the help must match.
	r.Stdout = extraHelp.ReplaceAllString(r.Stdout, "")
	if show != nil {
		r = show(r)
	}
	what := "supervisorctl"
	if !withConf {
		what += " (no -c)"
	}
	if stdin != "" {
		what += fmt.Sprintf(" <<< %q", stdin)
	}
	e.printf("$ %s %s\n%s", what, strings.Join(quoteArgs(args), " "), r)
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n") {
			a = strconv.Quote(a)
		}
		out[i] = a
	}
	return out
}

// ctl runs supervisorctl -c <the daemon's config> with args.
func ctl(args ...string) step {
	return func(e *env) { e.run("", true, args, nil) }
}

// ctlNoConf runs supervisorctl with args alone.
func ctlNoConf(args ...string) step {
	return func(e *env) { e.run("", false, args, nil) }
}

// ctlNoConfIn runs supervisorctl with args alone and stdin.
func ctlNoConfIn(stdin string, args ...string) step {
	return func(e *env) { e.run(stdin, false, args, nil) }
}

// ctlIn runs supervisorctl -c ... with args and stdin.
func ctlIn(stdin string, args ...string) step {
	return func(e *env) { e.run(stdin, true, args, nil) }
}

// ctlSorted is ctl with stdout's lines sorted, for commands whose line
// order is which process finished first.
func ctlSorted(args ...string) step {
	return func(e *env) {
		e.run("", true, args, func(r testkit.CtlRun) testkit.CtlRun {
			lines := strings.SplitAfter(r.Stdout, "\n")
			slices.Sort(lines)
			r.Stdout = strings.Join(lines, "") + "(lines sorted)\n"
			return r
		})
	}
}

// ctlHelp is ctl for a command that prints its help after keep lines of
// its own: the help itself is replaced by a marker.
func ctlHelp(keep int, args ...string) step {
	return func(e *env) {
		e.run("", true, args, func(r testkit.CtlRun) testkit.CtlRun {
			lines := strings.SplitAfter(r.Stdout, "\n")
			if len(lines) > keep {
				r.Stdout = strings.Join(lines[:keep], "") + "[help text]\n"
			}
			return r
		})
	}
}

// ctlLine is ctlNoConf keeping only the first line of stderr with the
// environment's names cut out, for messages that list the environment.
func ctlLine(args ...string) step {
	return func(e *env) {
		e.run("", false, args, func(r testkit.CtlRun) testkit.CtlRun {
			r.Stderr = regexp.MustCompile(`Available names: .*`).ReplaceAllString(r.Stderr, "Available names: <ENV_*>")
			return r
		})
	}
}

// ctlTraceback is ctlNoConf for a run that ends in a Python traceback:
// only its last lines, the exception, are compared.
func ctlTraceback(args ...string) step {
	return func(e *env) {
		e.run("", false, args, func(r testkit.CtlRun) testkit.CtlRun {
			if i := strings.Index(r.Stderr, "Traceback (most recent call last):\n"); i >= 0 {
				lines := strings.SplitAfter(r.Stderr[i:], "\n")
				j := 1
				for j < len(lines) && strings.HasPrefix(lines[j], " ") {
					j++
				}
				r.Stderr = r.Stderr[:i] + "[traceback]\n" + strings.Join(lines[j:], "")
			}
			return r
		})
	}
}

// waitLastLog waits for the main log's last line to hold text.
func waitLastLog(text string) step {
	return func(e *env) {
		if testkit.Poll(10*time.Second, func() bool {
			log := strings.TrimSuffix(e.d.Log(), "\n")
			return strings.Contains(log[strings.LastIndex(log, "\n")+1:], text)
		}) {
			e.printf("$ wait for %q at the end of the main log: ok\n", text)
		} else {
			e.printf("$ wait for %q at the end of the main log: TIMEOUT\n", text)
		}
	}
}

// writeFile writes a file in the scenario's directory.
func writeFile(name, text string) step {
	return func(e *env) {
		if err := os.WriteFile(filepath.Join(e.dir, name), []byte(e.expand(text)), 0o644); err != nil {
			e.t.Fatal(err)
		}
		e.printf("$ write %s\n", name)
	}
}

// editConf rewrites the daemon's config file.
func editConf(what string, edit func(conf string) (string, error)) step {
	return func(e *env) {
		path := filepath.Join(e.dir, "supervisord.conf")
		b, err := os.ReadFile(path)
		if err != nil {
			e.t.Fatal(err)
		}
		conf, err := edit(string(b))
		if err != nil {
			e.t.Fatalf("editing the config (%s): %v", what, err)
		}
		if err := os.WriteFile(path, []byte(e.expand(conf)), 0o644); err != nil {
			e.t.Fatal(err)
		}
		e.printf("$ edit config: %s\n", what)
	}
}

func replaceAll(s string, oldNew ...string) (string, error) {
	for i := 0; i < len(oldNew); i += 2 {
		if !strings.Contains(s, oldNew[i]) {
			return s, fmt.Errorf("no %q in the config", oldNew[i])
		}
		s = strings.Replace(s, oldNew[i], oldNew[i+1], 1)
	}
	return s, nil
}

// waitStates waits for the main log to show these states.
func waitStates(want map[string]string) step {
	return func(e *env) {
		got, ok := e.d.WaitStates(want, 15*time.Second)
		if ok {
			e.printf("$ wait for states: ok\n")
			return
		}
		var b strings.Builder
		for _, n := range slices.Sorted(maps.Keys(want)) {
			fmt.Fprintf(&b, " %s=%s", n, got[n])
		}
		e.printf("$ wait for states: TIMEOUT, have%s\n", b.String())
	}
}

// waitLogCount waits for pattern to match n times in the main log.
func waitLogCount(pattern string, n int) step {
	re := regexp.MustCompile(pattern)
	return func(e *env) {
		if testkit.Poll(15*time.Second, func() bool { return len(re.FindAllString(e.d.Log(), -1)) >= n }) {
			e.printf("$ wait for %d of %q in the main log: ok\n", n, pattern)
		} else {
			e.printf("$ wait for %d of %q in the main log: TIMEOUT\n", n, pattern)
		}
	}
}

// waitFile waits for a file in the scenario's directory to hold text.
func waitFile(name, text string) step {
	return func(e *env) {
		var b []byte
		if testkit.Poll(10*time.Second, func() bool {
			b, _ = os.ReadFile(filepath.Join(e.dir, name))
			return strings.Contains(string(b), text)
		}) {
			e.printf("$ wait for %q in %s: ok\n", text, name)
		} else {
			e.printf("$ wait for %q in %s: TIMEOUT, it holds %q\n", text, name, b)
		}
	}
}

// waitExit waits for the daemon to exit after a shutdown.
func waitExit() step {
	return func(e *env) {
		if st := e.d.Wait(15 * time.Second); st == nil {
			e.printf("$ wait for the daemon to exit: still running (killed)\n")
		} else {
			e.printf("$ wait for the daemon to exit: %s\n", st)
		}
	}
}

// sess describes a streaming command run as a session: it is fed stdin,
// and once its output holds waitFor, action runs and then is fed more;
// once its output holds waitAfter it is interrupted as Ctrl-C would
// (unless it ends by itself).
type sess struct {
	args       []string
	stdin      string
	waitFor    string
	action     func(e *env)
	more       string
	waitAfter  string
	endsItself bool
	// noStatus leaves out how it ended and stops waiting once it says
	// "Exiting foreground": the reference's fg never ends after that (its
	// output thread keeps the process alive), so only what it printed is
	// compared.
	noStatus bool
	// keep, if set, picks the lines of stdout that are compared.
	keep func(line string) bool
}

func session(title string, s sess) step {
	return func(e *env) {
		cs := testkit.StartCtl(e.t, e.ctl, e.dir, append([]string{"-c", filepath.Join(e.dir, "supervisord.conf")}, e.expandAll(s.args)...)...)
		var notes []string
		wait := func(text string) {
			if text != "" && !cs.WaitOutput(text, 10*time.Second) {
				notes = append(notes, fmt.Sprintf("(timed out waiting for %q; have %q %q)", text, cs.Stdout(), cs.Stderr()))
			}
		}
		if s.stdin != "" {
			cs.Write(s.stdin)
		}
		wait(s.waitFor)
		if s.action != nil {
			s.action(e)
		}
		if s.more != "" {
			cs.Write(s.more)
		}
		wait(s.waitAfter)
		// The reference's tailer takes Ctrl-C for a connection error when
		// it lands while it is handling data: it is interrupted once it is
		// back to waiting.
		interrupt := func() {
			if !cs.WaitAsleep(5 * time.Second) {
				notes = append(notes, "(timed out waiting for it to wait)")
			}
			cs.Interrupt()
		}
		var r testkit.CtlRun
		switch {
		case s.endsItself && s.noStatus:
			cs.WaitOutput("Exiting foreground", 5*time.Second)
			r = cs.Wait(300 * time.Millisecond)
		case s.endsItself:
			r = cs.Wait(5 * time.Second)
		case s.noStatus:
			interrupt()
			cs.WaitOutput("Exiting foreground", 5*time.Second)
			r = cs.Wait(300 * time.Millisecond)
		default:
			interrupt()
			r = cs.Wait(5 * time.Second)
		}
		if s.keep != nil {
			var kept []string
			for _, l := range strings.SplitAfter(r.Stdout, "\n") {
				if l != "" && s.keep(strings.TrimSuffix(l, "\n")) {
					kept = append(kept, l)
				}
			}
			r.Stdout = strings.Join(kept, "") + "(some lines left out)\n"
		}
		if s.noStatus {
			r.Killed, r.Code = false, 0
			r.Stdout += "[exit status not compared]\n"
			// The reference's fg ends by raising SystemExit in its reader
			// thread; when the main thread is still in the middle of a call
			// it also reports that as a lost connection, a race of its own.
			r.Stderr = fgExitRace.ReplaceAllString(r.Stderr, "")
		}
		for _, n := range notes {
			e.printf("$ %s\n", n)
		}
		e.printf("$ supervisorctl %s (%s)\n%s", strings.Join(s.args, " "), title, r)
	}
}

// rpc calls the daemon directly, with our client, for what a session
// needs to happen meanwhile.
func rpc(method string, params ...any) func(e *env) {
	return func(e *env) {
		c, err := newClient("unix://"+filepath.Join(e.dir, "supervisor.sock"), optional{}, optional{}, nil)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := c.Call(method, params...); err != nil {
			e.printf("$ %s: %v\n", method, err)
		}
	}
}

// freePort finds a TCP port on the loopback interface nobody listens on.
func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// runScenario runs sc with the supervisorctl ctl and returns its
// normalised transcript.
func runScenario(t *testing.T, ctl string, sc ctlScenario) string {
	e := &env{t: t, ctl: ctl, port: freePort(t)}
	// Our daemon applies config changes by itself unless told not to;
	// the reference ignores the option.
	conf := strings.Replace(testkit.Config("{dir}"), "loglevel=debug\n", "loglevel=info\nautoreload=false\n", 1) + sc.conf
	conf = strings.ReplaceAll(conf, "{port}", e.port)
	switch sc.daemon {
	case "":
		e.dir = t.TempDir()
		e.d = &testkit.Daemon{Dir: e.dir}
		if err := os.WriteFile(filepath.Join(e.dir, "supervisord.conf"), []byte(strings.ReplaceAll(conf, "{dir}", e.dir)), 0o644); err != nil {
			t.Fatal(err)
		}
	default:
		daemon := filepath.Join(bin, "supervisord")
		if sc.daemon == "reference" {
			daemon = referenceDaemon
		}
		e.d = testkit.StartDaemon(t, daemon, conf)
		e.dir = e.d.Dir
		e.d.WaitLog(t, `supervisord started with pid \d+`, 20*time.Second)
	}
	for _, s := range sc.steps {
		s(e)
	}
	out := strings.ReplaceAll(e.out.String(), ctl, "supervisorctl")
	out = strings.ReplaceAll(out, ":"+e.port, ":<PORT>")
	return testkit.Normalize(out, e.d)
}

// reportDiff is testkit.ReportDiff keeping transcripts under supervisorctl-compat.
func reportDiff(t *testing.T, what, wantName, want, gotName, got string) {
	t.Helper()
	testkit.ReportDiff(t, "supervisorctl-compat", what, wantName, want, gotName, got)
}

func TestCtlCompat(t *testing.T) {
	t.Parallel()
	haveCtl, _ := testkit.HaveClients()
	if !haveCtl {
		t.Log("REFERENCE MISSING: " + testkit.Supervisorctl + " is not installed (apt-get install supervisor); " +
			"ours is compared with testdata/ctl/*.golden only")
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			golden := filepath.Join("testdata", "ctl", sc.name+".golden")
			wantBytes, goldenErr := os.ReadFile(golden)
			want := string(wantBytes)
			var refOut, oursOut string
			var refRan, oursRan bool
			t.Cleanup(func() {
				if refRan && oursRan && (*updateGolden || goldenErr != nil || refOut != want) {
					reportDiff(t, "ours differs from the reference run alongside it", "reference", refOut, "ours", oursOut)
				}
			})
			t.Run("reference", func(t *testing.T) {
				if !haveCtl {
					t.Skip("SKIPPED the comparison with the reference: " + testkit.Supervisorctl + " is not installed")
				}
				if sc.daemon == "reference" {
					if _, err := os.Stat(referenceDaemon); err != nil {
						t.Skip("SKIPPED: " + referenceDaemon + " is not installed")
					}
				}
				t.Parallel()
				refOut = runScenario(t, testkit.Supervisorctl, sc)
				refRan = true
				if *updateGolden {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, []byte(refOut), 0o644); err != nil {
						t.Fatal(err)
					}
					t.Logf("wrote %s", golden)
					return
				}
				if goldenErr != nil {
					t.Fatalf("no golden file; record it with go test -run TestCtlCompat -update: %v", goldenErr)
				}
				reportDiff(t, "the reference no longer gives "+golden+"; rerun with -update if that is expected", "golden", want, "reference", refOut)
			})
			t.Run("ours", func(t *testing.T) {
				if sc.daemon == "reference" {
					if _, err := os.Stat(referenceDaemon); err != nil {
						t.Skip("SKIPPED: " + referenceDaemon + " is not installed")
					}
				}
				t.Parallel()
				oursOut = runScenario(t, oursCtl(), sc)
				oursRan = true
				if *updateGolden {
					return
				}
				if goldenErr != nil {
					t.Fatalf("no golden file to compare with; record it from the reference with -update: %v", goldenErr)
				}
				reportDiff(t, "ours differs from the reference's recorded "+golden, "golden", want, "ours", oursOut)
			})
		})
	}
}
