package main

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// Differential tests of the XML-RPC interface: every scenario drives the
// reference daemon and ours the same way, through the reference's own
// supervisorctl and through Python's xmlrpc.client, and their transcripts,
// normalised by testkit.Normalize, must be equal. The reference's
// transcripts are recorded in testdata/rpc/*.golden, so a machine without
// the reference still tests ours against them:
//
//	go test ./cmd/supervisord -run TestRPCCompat -update   # re-record
var updateGolden = flag.Bool("update", false, "rewrite testdata/rpc/*.golden from the reference daemon")

// rpcPrograms is the config most scenarios run: long runners, one that
// goes FATAL (after a moment, so that whether a start has seen it exit is
// never a race), one not autostarted, one talking on stdout and stderr, one
// echoing its stdin, a [group:x] of two, and numprocs=2.
//
// ticker only keeps the reference busy: its main loop waits up to a second
// for something to happen before it looks at deferred replies (a stop, a
// group start) again, and ticker's output wakes it every 50 ms. Without it
// these scenarios take half as long again.
const rpcPrograms = `
[program:sleeper]
command=/bin/sleep 1000
startsecs=1

[program:quick]
command=/bin/sh -c 'sleep 0.2; exit 1'
startsecs=1
startretries=0

[program:manual]
command=/bin/sleep 1000
startsecs=1
autostart=false
` + hupSection + `
[program:chatty]
command=/bin/sh -c 'seq 1 30; echo err1 >&2; echo err2 >&2; exec sleep 1000'
startsecs=0
stdout_logfile={dir}/chatty.out
stderr_logfile={dir}/chatty.err

[program:echo]
command=/bin/cat
startsecs=0
stdout_logfile={dir}/echo.out

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

[program:ticker]
command=/bin/sh -c 'while :; do echo t; sleep 0.05; done'
startsecs=0
stdout_logfile=NONE
`

// hup says "got HUP" on each SIGHUP it gets (signals that arrive together
// merge, so scenarios send one and wait for it).
const hupSection = `
[program:hup]
command=/bin/sh -c 'trap "echo got HUP" HUP; echo ready; while :; do sleep 0.1; done'
startsecs=0
stdout_logfile={dir}/hup.out
`

// settledPrograms is where rpcPrograms ends up after start.
var settledPrograms = map[string]string{
	"sleeper": "RUNNING", "quick": "FATAL", "hup": "RUNNING", "chatty": "RUNNING", "echo": "RUNNING",
	"ga": "RUNNING", "gb": "RUNNING", "multi_0": "RUNNING", "multi_1": "RUNNING", "ticker": "RUNNING",
}

// settle waits for rpcPrograms to settle and for what the chatty programs
// print at start to be in their logs.
func settle() rpcStep {
	return steps(
		waitStates(settledPrograms),
		waitFile("chatty.out", "30\n"), waitFile("chatty.err", "err2\n"), waitFile("hup.out", "ready\n"),
	)
}

// reconfigure changes rpcPrograms: sleeper's command changes, hup goes,
// newprog comes, grp gains gc.
func reconfigure(conf, dir string) (string, error) {
	return replaceAll(conf,
		"[program:sleeper]\ncommand=/bin/sleep 1000\n", "[program:sleeper]\ncommand=/bin/sleep 999\n",
		strings.ReplaceAll(hupSection, "{dir}", dir), "",
		"programs=ga,gb\n", "programs=ga,gb,gc\n",
	)
}

const reconfiguredExtra = `
[program:gc]
command=/bin/sleep 1000
startsecs=0

[program:newprog]
command=/bin/sleep 1000
startsecs=0
`

var rpcScenarios = []rpcScenario{
	{
		name: "ctl_control", ctl: true, programs: rpcPrograms,
		steps: []rpcStep{settle(),
			ctl("start", "sleeper"), ctl("start", "nosuch"), ctl("start", "manual"), ctl("status", "manual"),
			ctl("start", "grp:*"), ctl("start", "nosuchgrp:*"),
			ctl("stop", "sleeper"), ctl("stop", "sleeper"), ctl("status", "sleeper"),
			ctl("start", "sleeper"), ctl("restart", "sleeper"), ctl("status", "sleeper"),
			ctlSorted("stop", "grp:*"), ctl("status", "grp:*"), ctl("start", "grp:*"),
			ctl("signal", "HUP", "hup"), waitFile("hup.out", "got HUP\n"),
			ctl("signal", "BOGUS", "hup"), ctl("signal", "HUP", "quick"), ctl("signal", "HUP", "nosuch"),
			ctl("start", "quick"), waitLogCount(`gave up: quick entered FATAL`, 2), ctl("status", "quick"),
			ctlSorted("stop", "all"), ctl("status"),
			ctlSorted("start", "all"), waitLogCount(`gave up: quick entered FATAL`, 3), ctl("status"),
			ctl("shutdown"), waitExit(),
		},
	},
	{
		name: "ctl_status_reread", ctl: true, programs: rpcPrograms,
		steps: []rpcStep{settle(),
			ctl("status"), ctl("status", "sleeper"), ctl("status", "grp:*"), ctl("status", "multi:*"),
			ctl("status", "nosuch"), ctl("status", "sleeper", "nosuch"), ctl("status", "manual"),
			ctl("pid"), ctl("pid", "sleeper"), ctl("pid", "all"), ctl("pid", "manual"), ctl("pid", "nosuch"),
			ctl("avail"), ctl("version"),
			ctl("tail", "chatty"), ctl("tail", "-10", "chatty", "stderr"), ctl("tail", "-5", "chatty"),
			ctl("tail", "nosuch"), ctl("tail", "chatty", "bogus"),
			ctl("clear", "chatty"), ctl("tail", "chatty"), ctl("clear", "nosuch"),
			ctl("reread"), ctl("update"),
			editConf("change sleeper, drop hup, add newprog, add gc to grp", func(conf, dir string) (string, error) {
				conf, err := reconfigure(conf, dir)
				return conf + reconfiguredExtra, err
			}),
			ctl("reread"), ctl("avail"), ctl("update"),
			waitStates(map[string]string{"sleeper": "RUNNING", "hup": "STOPPED", "newprog": "RUNNING",
				"ga": "RUNNING", "gb": "RUNNING", "gc": "RUNNING"}),
			ctl("status"), ctl("reread"),
			editConf("back to the first config", func(string, string) (string, error) { return rpcConf(rpcPrograms), nil }),
			ctl("reread"), ctl("update", "hup"), ctl("update", "nosuch"),
			waitStates(map[string]string{"hup": "RUNNING"}), ctl("status", "hup"),
			editConf("a bad integer", func(conf, dir string) (string, error) {
				return replaceAll(conf, "[program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=1\n",
					"[program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=abc\n")
			}),
			ctl("reread"), ctl("update"),
			editConf("a group naming an unknown program", func(string, string) (string, error) {
				return rpcConf(rpcPrograms) + "\n[group:g2]\nprograms=nosuch\n", nil
			}),
			ctl("reread"),
			ctl("shutdown"), waitExit(),
		},
	},
	{
		name: "mainlog", ctl: true,
		programs: "\n[program:longrunner]\ncommand=/bin/sleep 1000\nstartsecs=0\n" +
			"\n[program:later]\ncommand=/bin/sleep 1000\nstartsecs=0\nautostart=false\n",
		steps: []rpcStep{
			waitStates(map[string]string{"longrunner": "RUNNING"}),
			// The last line is longer than 100 bytes and its length does not
			// depend on pids, paths or times, so the byte offsets are stable.
			ctl("maintail", "-100"), ctl("maintail"), ctl("maintail", "100"), ctl("maintail", "-x"),
			py("readLog", `
call('supervisor.readLog', 0, 50)
call('supervisor.readLog', -60, 0)
call('supervisor.readMainLog', -60, 0)
call('supervisor.readLog', -60, 5)
call('supervisor.readLog', 0, -1)
call('supervisor.readLog', 10**9, 0)
call('supervisor.readLog', 0, 0)
call('supervisor.readLog', 0)
call('supervisor.clearLog')
call('supervisor.readLog', 0, 0)
call('supervisor.startProcess', 'later')
call('supervisor.readLog', 0, 0)
`),
			ctl("maintail"),
		},
	},
	{
		name: "rpc_info", programs: rpcPrograms,
		steps: []rpcStep{settle(), py("introspection and process info", `
call('supervisor.getAPIVersion')
call('supervisor.getVersion')
call('supervisor.getSupervisorVersion')
call('supervisor.getIdentification')
call('supervisor.getState')
call('supervisor.getPID')
for name in ['sleeper', 'grp:ga', 'multi:multi_0', 'manual', 'quick', 'chatty',
             'nosuch', 'ga', 'grp', 'grp:*', 'grp:nosuch', 'nosuch:ga', '']:
    call('supervisor.getProcessInfo', name)
call('supervisor.getAllProcessInfo')
call('supervisor.getAllConfigInfo')
section('introspection')
methods = call('system.listMethods', render=show_lines) or []
for m in methods:
    call('system.methodSignature', m)
for m in methods:
    help_shape(m)
call('system.methodSignature', 'nosuch')
call('system.methodSignature', 'supervisor.nosuch')
help_shape('nosuch')
section('unknown methods')
for m in ['supervisor.nosuch', 'nosuch.getState', 'getState', 'supervisor._update',
          'supervisor.getState.x', 'system._listMethods', 'supervisor.rpcinterface']:
    call(m)
section('wrong arguments')
call('supervisor.getState', 1)
call('supervisor.getProcessInfo')
call('supervisor.getProcessInfo', 'sleeper', 'x')
call('supervisor.readProcessStdoutLog', 'chatty', 0)
call('system.methodHelp')
call('supervisor.getProcessInfo', 123)
call('supervisor.startProcess', 'sleeper', 'notabool')
section('multicall')
call('system.multicall', [
    {'methodName': 'supervisor.getState', 'params': []},
    {'methodName': 'supervisor.getState'},
    {'methodName': 'supervisor.nosuch', 'params': []},
    {'methodName': 'supervisor.getProcessInfo', 'params': ['nosuch']},
    {'params': []},
    {'methodName': 'system.multicall', 'params': [[]]},
    {'methodName': 'supervisor.getPID', 'params': [1]},
    {'methodName': 'supervisor.stopProcess', 'params': ['manual']},
    {'methodName': 'supervisor.startProcess', 'params': ['manual']},
    {'methodName': 'supervisor.getProcessInfo', 'params': ['manual']},
    {'methodName': 'supervisor.getAPIVersion', 'params': []},
])
call('system.multicall', [])
call('system.multicall', 'x')
`)},
	},
	{
		name: "rpc_control", programs: rpcPrograms,
		steps: []rpcStep{settle(), py("start and stop", `
info('sleeper')
call('supervisor.stopProcess', 'sleeper')
call('supervisor.stopProcess', 'sleeper')
info('sleeper')
call('supervisor.startProcess', 'sleeper', False)
info('sleeper', 'statename', 'pid', 'spawnerr')
wait_state('sleeper', 'RUNNING')
call('supervisor.stopProcess', 'sleeper', False)
wait_state('sleeper', 'STOPPED')
call('supervisor.startProcess', 'sleeper')
info('sleeper')
call('supervisor.startProcess', 'sleeper')
call('supervisor.startProcess', 'quick')
wait_state('quick', 'FATAL')
info('quick')
call('supervisor.stopProcess', 'quick')
for name in ['nosuch', 'nosuch:*', 'multi', 'grp:nosuch']:
    call('supervisor.startProcess', name)
    call('supervisor.stopProcess', name)
call('supervisor.startProcess', 'multi:multi_1')
call('supervisor.stopProcess', 'multi:multi_0')
call('supervisor.startProcess', 'multi:multi_0', True)
call('supervisor.startProcess', 'manual', True)
info('manual', 'statename', 'exitstatus', 'spawnerr')
section('groups')
call('supervisor.startProcess', 'grp:*')
call('supervisor.stopProcessGroup', 'grp', render=show_sorted)
call('supervisor.stopProcessGroup', 'grp')
info('grp:ga', 'statename', 'exitstatus', 'description')
call('supervisor.startProcessGroup', 'grp')
call('supervisor.startProcessGroup', 'grp', False)
call('supervisor.stopProcess', 'grp:*', render=show_sorted)
call('supervisor.startProcess', 'grp:*', False)
wait_state('grp:ga', 'RUNNING')
wait_state('grp:gb', 'RUNNING')
call('supervisor.startProcessGroup', 'nosuch')
call('supervisor.stopProcessGroup', 'nosuch')
call('supervisor.startProcessGroup', 'grp:ga')
section('all')
call('supervisor.stopAllProcesses', render=show_sorted)
states()
call('supervisor.stopAllProcesses')
call('supervisor.startAllProcesses', render=show_sorted)
wait_state('quick', 'FATAL')
states()
call('supervisor.startAllProcesses')
call('supervisor.stopAllProcesses', False, render=show_sorted)
for name in ['sleeper', 'manual', 'chatty', 'echo', 'hup', 'grp:ga', 'grp:gb', 'multi:multi_0', 'multi:multi_1', 'ticker']:
    wait_state(name, 'STOPPED')
call('supervisor.startAllProcesses', False, render=show_sorted)
for name in ['sleeper', 'manual']:
    wait_state(name, 'RUNNING')
wait_state('quick', 'FATAL')
states()
`)},
	},
	{
		name: "rpc_signal_stdin_logs", programs: rpcPrograms,
		steps: []rpcStep{settle(), py("signals", `
call('supervisor.signalProcess', 'hup', 'HUP')
wait_log('hup', 'got HUP')
call('supervisor.readProcessStdoutLog', 'hup', 0, 0)
for sig in ['CONT', 'SIGCONT', 'cont', '18', 18, '0', 0]:
    call('supervisor.signalProcess', 'hup', sig)
for sig in ['BOGUS', 'SIGBOGUS', '', '999', -1, 'KILL9']:
    call('supervisor.signalProcess', 'hup', sig)
call('supervisor.signalProcess', 'quick', 'HUP')
call('supervisor.signalProcess', 'manual', 'HUP')
call('supervisor.signalProcess', 'nosuch', 'HUP')
call('supervisor.signalProcess', 'grp:*', 'CONT')
call('supervisor.signalProcess', 'grp:ga', 'CONT')
call('supervisor.signalProcessGroup', 'grp', 'CONT')
call('supervisor.signalProcessGroup', 'grp', 'BOGUS')
call('supervisor.signalProcessGroup', 'nosuch', 'CONT')
call('supervisor.signalAllProcesses', 'CONT')
call('supervisor.signalAllProcesses', 'BOGUS')
states()
`), py("stdin", `
call('supervisor.sendProcessStdin', 'echo', 'hello\n')
wait_log('echo', 'hello')
call('supervisor.sendProcessStdin', 'echo', '')
call('supervisor.sendProcessStdin', 'echo', 'h\u00e9\n')
wait_log('echo', 'h\u00e9')
call('supervisor.sendProcessStdin', 'echo', xmlrpc.client.Binary(b'bin\n'))
wait_log('echo', 'bin')
call('supervisor.readProcessStdoutLog', 'echo', 0, 0)
call('supervisor.sendProcessStdin', 'echo', 5)
call('supervisor.sendProcessStdin', 'echo')
call('supervisor.sendProcessStdin', 'manual', 'x')
call('supervisor.sendProcessStdin', 'quick', 'x')
call('supervisor.sendProcessStdin', 'nosuch', 'x')
call('supervisor.sendProcessStdin', 'grp:*', 'x')
`), py("reading logs", `
for args in [(0, 0), (0, 10), (5, 10), (-10, 0), (-1000, 0), (1000, 10), (81, 0), (80, 5),
             (-10, 5), (0, -5), ('3', '4'), (1.9, 4)]:
    call('supervisor.readProcessStdoutLog', 'chatty', *args)
call('supervisor.readProcessLog', 'chatty', 0, 5)
call('supervisor.readProcessStderrLog', 'chatty', 0, 0)
call('supervisor.readProcessStderrLog', 'chatty', -3, 0)
call('supervisor.readProcessStdoutLog', 'grp:ga', 0, 0)
call('supervisor.readProcessStdoutLog', 'manual', 0, 0)
call('supervisor.readProcessStdoutLog', 'nosuch', 0, 0)
call('supervisor.readProcessStdoutLog', 'grp:*', 0, 0)
call('supervisor.readProcessStdoutLog', 'chatty', 'x', 4)
section('tail')
for args in [(0, 10), (70, 10), (71, 10), (81, 10), (200, 10), (0, 1000), (0, 81), (-5, 10), (5, -10), (0, 0)]:
    call('supervisor.tailProcessStdoutLog', 'chatty', *args)
call('supervisor.tailProcessLog', 'chatty', 0, 3)
call('supervisor.tailProcessStderrLog', 'chatty', 0, 3)
call('supervisor.tailProcessStdoutLog', 'manual', 0, 3)
call('supervisor.tailProcessStdoutLog', 'nosuch', 0, 3)
section('clear')
call('supervisor.clearProcessLogs', 'chatty')
call('supervisor.readProcessStdoutLog', 'chatty', 0, 0)
call('supervisor.readProcessStderrLog', 'chatty', 0, 0)
call('supervisor.tailProcessStdoutLog', 'chatty', 0, 10)
call('supervisor.clearProcessLog', 'hup')
call('supervisor.readProcessStdoutLog', 'hup', 0, 0)
call('supervisor.clearProcessLogs', 'nosuch')
call('supervisor.clearProcessLogs', 'grp:*')
call('supervisor.clearAllProcessLogs')
call('supervisor.readProcessStdoutLog', 'echo', 0, 0)
`)},
	},
	{
		name: "rpc_groups_reload", programs: rpcPrograms,
		steps: []rpcStep{settle(), py("before any change", `
call('supervisor.removeProcessGroup', 'grp')
call('supervisor.removeProcessGroup', 'nosuch')
call('supervisor.addProcessGroup', 'grp')
call('supervisor.addProcessGroup', 'sleeper')
call('supervisor.addProcessGroup', 'nosuch')
call('supervisor.reloadConfig')
`),
			editConf("change sleeper, drop hup, add newprog, add gc to grp", func(conf, dir string) (string, error) {
				conf, err := reconfigure(conf, dir)
				return conf + reconfiguredExtra, err
			}),
			py("reload and apply", `
call('supervisor.reloadConfig')
for c in call('supervisor.getAllConfigInfo', quiet=True) or []:
    print('config %s:%s inuse=%s command=%s' % (c['group'], c['name'], c['inuse'], c['command']))
call('supervisor.addProcessGroup', 'newprog')
call('supervisor.addProcessGroup', 'newprog')
wait_state('newprog', 'RUNNING')
call('supervisor.removeProcessGroup', 'hup')
call('supervisor.stopProcessGroup', 'hup')
call('supervisor.removeProcessGroup', 'hup')
call('supervisor.removeProcessGroup', 'hup')
call('supervisor.getProcessInfo', 'hup')
call('supervisor.reloadConfig')
call('supervisor.stopProcessGroup', 'grp', render=show_sorted)
call('supervisor.removeProcessGroup', 'grp')
call('supervisor.addProcessGroup', 'grp')
for name in ['grp:ga', 'grp:gb', 'grp:gc']:
    wait_state(name, 'RUNNING')
call('supervisor.reloadConfig')
states()
`),
			editConf("a bad integer", func(conf, dir string) (string, error) {
				return replaceAll(conf, "command=/bin/sleep 999\nstartsecs=1\n", "command=/bin/sleep 999\nstartsecs=abc\n")
			}),
			py("bad config", `
call('supervisor.reloadConfig')
call('supervisor.addProcessGroup', 'sleeper')
`),
			editConf("fixed again", func(conf, dir string) (string, error) {
				return replaceAll(conf, "startsecs=abc\n", "startsecs=1\n")
			}),
			py("restart", `
call('system.multicall', [
    {'methodName': 'supervisor.restart', 'params': []},
    {'methodName': 'supervisor.getState', 'params': []},
])
wait_up()
`),
			waitStates(map[string]string{"sleeper": "RUNNING", "newprog": "RUNNING", "gc": "RUNNING", "quick": "FATAL"}),
			py("after restart, shutdown", `
wait_state('quick', 'FATAL')
states()
call('supervisor.reloadConfig')
call('system.multicall', [
    {'methodName': 'supervisor.shutdown', 'params': []},
    {'methodName': 'supervisor.getState', 'params': []},
    {'methodName': 'supervisor.getPID', 'params': []},
])
`),
			waitExit(),
		},
	},
	{
		// A program that closed its stdin: the first write already fails
		// with NO_FILE (the reference writes at once and sees EPIPE), and
		// so does every later one, empty ones too.
		name: "rpc_stdin_closed", programs: `
[program:deaf]
command=/bin/sh -c 'exec 0<&-; echo closed; exec sleep 1000'
startsecs=0
stdout_logfile={dir}/deaf.out

[program:echo]
command=/bin/cat
startsecs=0
stdout_logfile={dir}/echo.out
`,
		steps: []rpcStep{waitStates(map[string]string{"deaf": "RUNNING", "echo": "RUNNING"}), waitFile("deaf.out", "closed\n"), py("stdin", `
call('supervisor.sendProcessStdin', 'echo', '')
print('200000 bytes and a line:', call('supervisor.sendProcessStdin', 'echo', 'x' * 200000 + '\nend\n', quiet=True))
wait_log('echo', 'x\nend\n')
call('supervisor.sendProcessStdin', 'deaf', 'x')
call('supervisor.sendProcessStdin', 'deaf', 'y')
call('supervisor.sendProcessStdin', 'deaf', '')
call('supervisor.getProcessInfo', 'deaf', render=lambda r: print(r['statename']))
`)},
	},
}

// rpcScenario is one run against a daemon: programs is the config's
// program part, steps produce the transcript that is compared.
type rpcScenario struct {
	name     string
	ctl      bool // uses supervisorctl
	programs string
	steps    []rpcStep
}

// rpcEnv is what a step works on: the daemon and the transcript so far.
type rpcEnv struct {
	t   *testing.T
	d   *testkit.Daemon
	out strings.Builder
	// unreachable is set once a client could not connect at all. The
	// transcript differs from then on anyway, and waits for what the
	// clients should have caused are skipped rather than timed out.
	unreachable bool
}

// skipWait records a wait skipped because the daemon is unreachable.
func (e *rpcEnv) skipWait(what string) bool {
	if e.unreachable {
		e.printf("$ %s: SKIPPED, the daemon did not take connections\n", what)
	}
	return e.unreachable
}

// reNoConnection is how the clients say they found no daemon to talk to.
var reNoConnection = regexp.MustCompile(`(?m)^unix://\S+ (?:no such file|refused connection)$|^ERROR connection: `)

type rpcStep func(e *rpcEnv)

func (e *rpcEnv) printf(format string, args ...any) { fmt.Fprintf(&e.out, format, args...) }

func steps(ss ...rpcStep) rpcStep {
	return func(e *rpcEnv) {
		for _, s := range ss {
			s(e)
		}
	}
}

// ctl runs supervisorctl with args and records its output and status.
func ctl(args ...string) rpcStep {
	return func(e *rpcEnv) {
		out, code := testkit.Ctl(e.t, e.d, args...)
		e.unreachable = e.unreachable || reNoConnection.MatchString(out)
		e.printf("$ supervisorctl %s\n%s[exit %d]\n", strings.Join(args, " "), out, code)
	}
}

// ctlSorted is ctl with the output lines sorted, for commands whose line
// order is which process happened to finish first, in the reference too.
func ctlSorted(args ...string) rpcStep {
	return func(e *rpcEnv) {
		out, code := testkit.Ctl(e.t, e.d, args...)
		e.unreachable = e.unreachable || reNoConnection.MatchString(out)
		lines := strings.SplitAfter(out, "\n")
		slices.Sort(lines)
		e.printf("$ supervisorctl %s  (lines sorted)\n%s[exit %d]\n", strings.Join(args, " "), strings.Join(lines, ""), code)
	}
}

// py runs a Python script with the helpers of testkit/pyrpc.py.
func py(title, script string) rpcStep {
	return func(e *rpcEnv) {
		out := testkit.PyRPC(e.t, e.d, script)
		e.unreachable = e.unreachable || reNoConnection.MatchString(out)
		e.printf("$ xmlrpc: %s\n%s", title, out)
	}
}

// editConf rewrites the daemon's config file.
func editConf(what string, edit func(conf, dir string) (string, error)) rpcStep {
	return func(e *rpcEnv) {
		b, err := os.ReadFile(e.d.Conf)
		if err != nil {
			e.t.Fatal(err)
		}
		conf, err := edit(string(b), e.d.Dir)
		if err != nil {
			e.t.Fatalf("editing the config (%s): %v", what, err)
		}
		conf = strings.ReplaceAll(conf, "{dir}", e.d.Dir)
		if err := os.WriteFile(e.d.Conf, []byte(conf), 0o644); err != nil {
			e.t.Fatal(err)
		}
		e.printf("$ edit config: %s\n", what)
	}
}

// replaceAll applies old, new pairs to s, each of which must match.
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
func waitStates(want map[string]string) rpcStep {
	return func(e *rpcEnv) {
		if e.skipWait("wait for states in the main log") {
			return
		}
		names := slices.Sorted(maps.Keys(want))
		got, ok := e.d.WaitStates(want, 15*time.Second)
		if ok {
			e.printf("$ wait for states in the main log: ok\n")
			return
		}
		var b strings.Builder
		for _, n := range names {
			fmt.Fprintf(&b, " %s=%s", n, got[n])
		}
		e.printf("$ wait for states in the main log: TIMEOUT, have%s\n", b.String())
	}
}

// waitLogCount waits for pattern to match n times in the main log.
func waitLogCount(pattern string, n int) rpcStep {
	re := regexp.MustCompile(pattern)
	return func(e *rpcEnv) {
		if e.skipWait(fmt.Sprintf("wait for %d of %q in the main log", n, pattern)) {
			return
		}
		got := 0
		if testkit.Poll(15*time.Second, func() bool { got = len(re.FindAllString(e.d.Log(), -1)); return got >= n }) {
			e.printf("$ wait for %d of %q in the main log: ok\n", n, pattern)
		} else {
			e.printf("$ wait for %d of %q in the main log: TIMEOUT, have %d\n", n, pattern, got)
		}
	}
}

// waitFile waits for the file name in the daemon's directory to hold text.
func waitFile(name, text string) rpcStep {
	return func(e *rpcEnv) {
		if e.skipWait(fmt.Sprintf("wait for %q in %s", text, name)) {
			return
		}
		var b []byte
		if testkit.Poll(10*time.Second, func() bool {
			b, _ = os.ReadFile(filepath.Join(e.d.Dir, name))
			return strings.Contains(string(b), text)
		}) {
			e.printf("$ wait for %q in %s: ok\n", text, name)
		} else {
			e.printf("$ wait for %q in %s: TIMEOUT, it holds %q\n", text, name, b)
		}
	}
}

// waitExit waits for the daemon to exit by itself after a shutdown and
// records its status.
func waitExit() rpcStep {
	return func(e *rpcEnv) {
		timeout := 15 * time.Second
		if e.unreachable {
			timeout = time.Second
		}
		st := e.d.Wait(timeout)
		if st == nil {
			e.printf("$ wait for the daemon to exit: still running after %v (killed)\n", timeout)
			return
		}
		e.printf("$ wait for the daemon to exit: %s\n", st)
	}
}

// rpcConf is the whole config of a scenario's daemon: testkit.Config at
// info level (debug lines name Python objects) with our automatic reload
// off (the scenarios reread and update by hand; the reference ignores the
// option), the RPC sections, programs.
func rpcConf(programs string) string {
	return strings.Replace(testkit.Config("{dir}"), "loglevel=debug\n", "loglevel=info\nautoreload=false\n", 1) +
		testkit.RPCConfig("{dir}") + programs
}

// runRPCScenario runs sc against binary and returns the normalised
// transcript.
func runRPCScenario(t *testing.T, binary string, sc rpcScenario) string {
	d := testkit.StartDaemon(t, binary, rpcConf(sc.programs))
	d.WaitLog(t, `supervisord started with pid \d+`, 20*time.Second)
	e := &rpcEnv{t: t, d: d}
	for _, s := range sc.steps {
		s(e)
	}
	return testkit.Normalize(e.out.String(), d)
}

// reportDiff is testkit.ReportDiff keeping transcripts under supervisord-rpc-compat.
func reportDiff(t *testing.T, what, wantName, want, gotName, got string) {
	t.Helper()
	testkit.ReportDiff(t, "supervisord-rpc-compat", what, wantName, want, gotName, got)
}

func TestRPCCompat(t *testing.T) {
	t.Parallel()
	haveRef := true
	if _, err := os.Stat(reference); err != nil {
		haveRef = false
		t.Log("REFERENCE MISSING: apt-get install supervisor to compare with " + reference + "; comparing with testdata/rpc/*.golden only")
	}
	haveCtl, havePy := testkit.HaveClients()
	for _, sc := range rpcScenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			if !havePy || sc.ctl && !haveCtl {
				t.Log("CLIENT MISSING: this scenario needs " + testkit.Python + " and " + testkit.Supervisorctl)
				t.Skip("SKIPPED both halves: no client to drive the daemons with")
			}
			golden := filepath.Join("testdata", "rpc", sc.name+".golden")
			wantBytes, goldenErr := os.ReadFile(golden)
			want := string(wantBytes)
			var refOut, oursOut string
			var refRan, oursRan bool
			// Once both halves ran: if the reference no longer matches the
			// golden file (or is re-recording it), ours is compared with
			// what the reference did just now, too.
			t.Cleanup(func() {
				if refRan && oursRan && (*updateGolden || goldenErr != nil || refOut != want) {
					reportDiff(t, "ours differs from the reference run alongside it", "reference", refOut, "ours", oursOut)
				}
			})
			t.Run("reference", func(t *testing.T) {
				if !haveRef {
					t.Log("REFERENCE MISSING: " + reference)
					t.Skip("SKIPPED the reference half: " + reference + " is not installed")
				}
				t.Parallel()
				refOut = runRPCScenario(t, reference, sc)
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
					t.Fatalf("no golden file; record it with go test -run TestRPCCompat -update: %v", goldenErr)
				}
				reportDiff(t, "the reference no longer gives "+golden+"; rerun with -update if that is expected", "golden", want, "reference", refOut)
			})
			t.Run("ours", func(t *testing.T) {
				t.Parallel()
				oursOut = runRPCScenario(t, bin, sc)
				oursRan = true
				if *updateGolden {
					return // compared with the reference's new recording above
				}
				if goldenErr != nil {
					t.Fatalf("no golden file to compare with; record it from the reference with -update: %v", goldenErr)
				}
				reportDiff(t, "ours differs from the reference's recorded "+golden, "golden", want, "ours", oursOut)
			})
		})
	}
}
