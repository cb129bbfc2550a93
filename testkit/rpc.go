package testkit

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The clients that drive a daemon over XML-RPC: the reference's own
// supervisorctl, and a Python interpreter for scripted calls.
const (
	Supervisorctl = "/usr/bin/supervisorctl"
	Python        = "/usr/bin/python3"
)

// pyrpcHelper is prepended to every PyRPC script.
//
//go:embed pyrpc.py
var pyrpcHelper string

// clientTimeout bounds one supervisorctl or Python run, so a daemon that
// accepts a connection and never answers fails the test instead of hanging it.
const clientTimeout = 60 * time.Second

// RPCConfig returns the sections that make a daemon serve XML-RPC on
// dir/supervisor.sock and point supervisorctl at it. Pass "{dir}" to have
// StartDaemon fill in its temporary directory.
func RPCConfig(dir string) string {
	sock := filepath.Join(dir, "supervisor.sock")
	return "\n[unix_http_server]\n" +
		"file=" + sock + "\n" +
		"\n[supervisorctl]\n" +
		"serverurl=unix://" + sock + "\n" +
		"\n[rpcinterface:supervisor]\n" +
		"supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
}

// Socket is the path RPCConfig has the daemon listen on.
func (d *Daemon) Socket() string { return filepath.Join(d.Dir, "supervisor.sock") }

// Ctl runs supervisorctl -c d.Conf with args and returns what it printed
// (stdout and stderr interleaved, as a terminal would show them) and its
// exit status.
func Ctl(t testing.TB, d *Daemon, args ...string) (out string, code int) {
	t.Helper()
	r, err := runReferenceCtl(Supervisorctl, ctlRun{dir: d.Dir, args: append([]string{"-c", d.Conf}, args...), combined: true})
	if err == nil {
		if r.Killed {
			r.Stdout += fmt.Sprintf("[supervisorctl killed after %v]\n", clientTimeout)
		}
		return r.Stdout, r.Code
	}
	t.Logf("%v; running %s itself", err, Supervisorctl)
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, Supervisorctl, append([]string{"-c", d.Conf}, args...)...)
	cmd.Dir = d.Dir
	cmd.Env = clientEnv()
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err = cmd.Run()
	if ctx.Err() != nil {
		return b.String() + fmt.Sprintf("[supervisorctl killed after %v]\n", clientTimeout), -1
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return b.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("supervisorctl: %v", err)
	}
	return b.String(), 0
}

// PyRPC runs script with /usr/bin/python3 after the helpers of pyrpc.py,
// which connect to d's socket the way supervisorctl does, and returns what
// it printed. Anything on stderr (a traceback) and a non-zero exit status
// are appended, so they show up in comparisons too.
func PyRPC(t testing.TB, d *Daemon, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, Python, "-c", pyrpcHelper+script, d.Socket())
	cmd.Dir = d.Dir
	cmd.Env = clientEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := stdout.String()
	if stderr.Len() > 0 {
		out += "[python stderr]\n" + stderr.String()
	}
	if ctx.Err() != nil {
		return out + fmt.Sprintf("[python killed after %v]\n", clientTimeout)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		out += fmt.Sprintf("[python exit %d]\n", ee.ExitCode())
	} else if err != nil {
		t.Fatalf("python: %v", err)
	}
	return out
}

// clientEnv is the environment for the clients: the test's own, minus
// whatever would make Python write bytecode or change its output.
func clientEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PYTHON") {
			env = append(env, kv)
		}
	}
	return append(env, "PYTHONDONTWRITEBYTECODE=1", "PYTHONIOENCODING=utf-8", "LC_ALL=C.UTF-8")
}

// HaveClients reports whether the clients Ctl and PyRPC need are installed:
// supervisorctl, and a python3 that can import supervisor's xmlrpc module.
func HaveClients() (ctl, py bool) {
	if _, err := os.Stat(Supervisorctl); err == nil {
		ctl = true
	}
	if _, err := os.Stat(Python); err == nil {
		py = true
	}
	return ctl, py
}

// WaitStates waits until the main log shows every process of want in its
// state (see StatesFromLog) and returns what the log shows then, or at the
// deadline; ok tells which.
func (d *Daemon) WaitStates(want map[string]string, timeout time.Duration) (got map[string]string, ok bool) {
	exited := false
	Poll(timeout, func() bool {
		exited = d.hasExited() // before the log is read: an exit shows in it whole
		got, ok = StatesFromLog(d.Log()), true
		for name, state := range want {
			if got[name] != state {
				ok = false
			}
		}
		return ok || exited
	})
	return got, ok
}

// StopQuickly ends the daemon once a test is done with it: SIGTERM, then,
// once the main log shows the daemon took it (so nothing is restarted),
// SIGKILL to each of its children, so it need not stop them one group at a
// time (the reference spends a second on each). Children are found by
// their parent pid, so no stale pid is ever signalled. It returns the exit
// status, or nil if the daemon had to be killed after timeout.
func (d *Daemon) StopQuickly(timeout time.Duration) *os.ProcessState {
	select {
	case <-d.exited:
		return d.status
	default:
	}
	d.Signal(syscall.SIGTERM)
	if Poll(2*time.Second, func() bool { return strings.Contains(d.Log(), "received SIGTERM indicating exit request") }) {
		for _, pid := range childrenOf(d.Pid()) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	return d.Wait(timeout)
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var kids []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(b[i+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			kids = append(kids, child)
		}
	}
	return kids
}

var (
	// 2006-01-02 15:04:05,000, how the main log stamps its lines.
	reLogStamp = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}`)
	// "Jan 02 03:04 PM": when a STOPPED or EXITED process stopped.
	reStopDate = regexp.MustCompile(`\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{2} \d{2}:\d{2} [AP]M\b`)
	reUptime   = regexp.MustCompile(`\buptime (?:\d+ days?, )?\d+:\d{2}:\d{2}`)
	// The random part of an AUTO child log's name.
	reAutoLog = regexp.MustCompile(`---supervisor-[A-Za-z0-9_]+\.log`)
	// Epoch seconds: only ten-digit numbers near the present are replaced.
	reEpoch = regexp.MustCompile(`\b\d{10}\b`)
	// Where a pid shows: "pid 123", "with pid 123", `"pid": 123`, or a line
	// holding nothing but a number (supervisorctl pid, getPID).
	rePid = regexp.MustCompile(`(?m)(?:(\bpid |"pid": )(\d+)\b|^(\d+)$)`)
	// Where supervisorctl reports a client-side exception: Python's own
	// file and line, which depend on the Python installed.
	reClientTrace = regexp.MustCompile(`file: /\S+\.py line: \d+`)
	rePidInLog    = regexp.MustCompile(`with pid (\d+)`)
)

// Normalize replaces what differs between two runs of the same behaviour
// with stable placeholders:
//
//   - d.Dir with <DIR>
//   - main log time stamps with <STAMP>, "Jan 02 03:04 PM" stop dates with
//     <DATE>, "uptime 0:00:01" with "uptime <UPTIME>", epoch seconds within
//     two days of now with <TIME>
//   - the random part of AUTO log names with <AUTOn>, n counting distinct
//     names in order of appearance
//   - the daemon's pid with <SUPERVISORD_PID>, and other pids with <PIDn>, n
//     counting distinct pids in order of appearance, so a changed pid still
//     shows as a change. Pids are recognised by their context ("pid N",
//     `"pid": N`) or, on a line of their own, by being the daemon's or one
//     its main log reports spawning. Pid 0 (not running) is kept.
//   - supervisorctl's "file: <python source> line: N" in client errors.
//
// Everything else, including field names, types, order, fault codes and
// exit statuses, is kept.
func Normalize(s string, d *Daemon) string {
	if d != nil && d.Dir != "" {
		s = strings.ReplaceAll(s, d.Dir, "<DIR>")
		if real, err := filepath.EvalSymlinks(d.Dir); err == nil && real != d.Dir {
			s = strings.ReplaceAll(s, real, "<DIR>")
		}
	}
	s = reLogStamp.ReplaceAllString(s, "<STAMP>")
	s = reStopDate.ReplaceAllString(s, "<DATE>")
	s = reUptime.ReplaceAllString(s, "uptime <UPTIME>")
	s = reClientTrace.ReplaceAllString(s, "file: <FILE> line: <LINE>")

	autos := map[string]string{}
	s = reAutoLog.ReplaceAllStringFunc(s, func(m string) string {
		if _, ok := autos[m]; !ok {
			autos[m] = fmt.Sprintf("---supervisor-<AUTO%d>.log", len(autos)+1)
		}
		return autos[m]
	})

	now := time.Now().Unix()
	s = reEpoch.ReplaceAllStringFunc(s, func(m string) string {
		if n, err := strconv.ParseInt(m, 10, 64); err == nil && n > now-2*86400 && n < now+2*86400 {
			return "<TIME>"
		}
		return m
	})

	daemonPid := ""
	known := map[string]bool{}
	if d != nil {
		if d.cmd != nil && d.cmd.Process != nil {
			daemonPid = strconv.Itoa(d.Pid())
			known[daemonPid] = true
		}
		for _, m := range rePidInLog.FindAllStringSubmatch(d.Log(), -1) {
			known[m[1]] = true
		}
	}
	pids := map[string]string{}
	name := func(pid string) string {
		if pid == daemonPid {
			return "<SUPERVISORD_PID>"
		}
		if _, ok := pids[pid]; !ok {
			pids[pid] = fmt.Sprintf("<PID%d>", len(pids)+1)
		}
		return pids[pid]
	}
	return rePid.ReplaceAllStringFunc(s, func(m string) string {
		sub := rePid.FindStringSubmatch(m)
		if sub[3] != "" { // a number alone on its line
			if known[sub[3]] {
				return name(sub[3])
			}
			return m
		}
		if sub[2] == "0" {
			return m
		}
		return sub[1] + name(sub[2])
	})
}

// LineDiff shows how got differs from want line by line, unified-diff
// style with two lines of context: "-" lines are only in want, "+" lines
// only in got. It returns "" when they are equal.
func LineDiff(want, got string) string {
	if want == got {
		return ""
	}
	a, b := splitLines(want), splitLines(got)
	// Trim the common head and tail; the middle gets a full LCS, or, if it
	// is too big for that, is shown as replaced wholesale.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	type op struct {
		kind byte // ' ', '-', '+'
		line string
		ai   int // line number in want (1-based) for ' ' and '-'
		bi   int // line number in got for ' ' and '+'
	}
	var ops []op
	for i := 0; i < pre; i++ {
		ops = append(ops, op{' ', a[i], i + 1, i + 1})
	}
	if len(ma)*len(mb) <= 4_000_000 {
		// lcs[i][j] is the LCS length of ma[i:] and mb[j:].
		lcs := make([][]int32, len(ma)+1)
		for i := range lcs {
			lcs[i] = make([]int32, len(mb)+1)
		}
		for i := len(ma) - 1; i >= 0; i-- {
			for j := len(mb) - 1; j >= 0; j-- {
				if ma[i] == mb[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < len(ma) || j < len(mb) {
			switch {
			case i < len(ma) && j < len(mb) && ma[i] == mb[j]:
				ops = append(ops, op{' ', ma[i], pre + i + 1, pre + j + 1})
				i, j = i+1, j+1
			case j < len(mb) && (i == len(ma) || lcs[i][j+1] > lcs[i+1][j]):
				ops = append(ops, op{'+', mb[j], 0, pre + j + 1})
				j++
			default:
				ops = append(ops, op{'-', ma[i], pre + i + 1, 0})
				i++
			}
		}
	} else {
		for i, l := range ma {
			ops = append(ops, op{'-', l, pre + i + 1, 0})
		}
		for j, l := range mb {
			ops = append(ops, op{'+', l, 0, pre + j + 1})
		}
	}
	for k := 0; k < suf; k++ {
		ops = append(ops, op{' ', a[len(a)-suf+k], len(a) - suf + k + 1, len(b) - suf + k + 1})
	}

	const context = 2
	show := make([]bool, len(ops))
	for k, o := range ops {
		if o.kind != ' ' {
			for c := max(0, k-context); c <= min(len(ops)-1, k+context); c++ {
				show[c] = true
			}
		}
	}
	// A long run of lines only on one side (a transcript that went another
	// way early) is cut, so the other side's lines still show.
	const maxRun = 12
	var out strings.Builder
	out.WriteString("--- want\n+++ got\n")
	for k := 0; k < len(ops); k++ {
		if !show[k] {
			continue
		}
		if k == 0 || !show[k-1] {
			ai, bi := 0, 0
			for _, o := range ops[k:] {
				if ai == 0 && o.ai != 0 {
					ai = o.ai
				}
				if bi == 0 && o.bi != 0 {
					bi = o.bi
				}
				if ai != 0 && bi != 0 {
					break
				}
			}
			fmt.Fprintf(&out, "@@ want line %d, got line %d @@\n", ai, bi)
		}
		if kind := ops[k].kind; kind != ' ' && (k == 0 || ops[k-1].kind != kind) {
			run := 0
			for run < len(ops)-k && ops[k+run].kind == kind {
				run++
			}
			if run > maxRun+2 {
				for _, o := range ops[k : k+maxRun] {
					fmt.Fprintf(&out, "%c %s\n", o.kind, visible(o.line))
				}
				side := "want"
				if kind == '+' {
					side = "got"
				}
				fmt.Fprintf(&out, "%c ... %d more lines only in %s\n", kind, run-maxRun, side)
				k += run - 1
				continue
			}
		}
		fmt.Fprintf(&out, "%c %s\n", ops[k].kind, visible(ops[k].line))
	}
	return out.String()
}

// splitLines splits s into lines; a missing final newline shows as its own
// marker so it is not lost.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	if lines[len(lines)-1] == "" {
		return lines[:len(lines)-1]
	}
	return append(lines, `\ no newline at end`)
}

// visible marks trailing blanks and control characters, which a diff
// would otherwise hide.
func visible(line string) string {
	trimmed := strings.TrimRight(line, " \t")
	var b strings.Builder
	for _, r := range trimmed {
		if r < 0x20 && r != '\t' || r == 0x7f {
			fmt.Fprintf(&b, `\x%02x`, r)
		} else {
			b.WriteRune(r)
		}
	}
	if len(trimmed) < len(line) {
		fmt.Fprintf(&b, "%s⏎", strings.ReplaceAll(strings.ReplaceAll(line[len(trimmed):], " ", "·"), "\t", "→"))
	}
	return b.String()
}

// ReportDiff fails t with a line diff of want and got, cut to a readable
// length, and keeps both whole in os.TempDir()/keep for a closer look.
func ReportDiff(t testing.TB, keep, what, wantName, want, gotName, got string) {
	t.Helper()
	diff := LineDiff(want, got)
	if diff == "" {
		return
	}
	const maxLines = 150
	lines := strings.SplitAfter(diff, "\n")
	if len(lines) > maxLines {
		diff = strings.Join(lines[:maxLines], "") + fmt.Sprintf("... %d more diff lines\n", len(lines)-maxLines)
	}
	dir := filepath.Join(os.TempDir(), keep)
	where := ""
	if err := os.MkdirAll(dir, 0o755); err == nil {
		base := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_"))
		os.WriteFile(base+"."+wantName, []byte(want), 0o644)
		os.WriteFile(base+"."+gotName, []byte(got), 0o644)
		where = fmt.Sprintf("\n(whole transcripts: %s.{%s,%s})", base, wantName, gotName)
	}
	t.Errorf("%s (- %s, + %s):\n%s%s", what, wantName, gotName, diff, where)
}

// PythonJSON runs script with /usr/bin/python3, which finds in, encoded as
// JSON, in sys.argv[1], and decodes into out the JSON it prints: for tests
// that compare a parser of ours with the reference's Python code, or with
// Python's own library it relies on. The test is skipped when there is no
// Python; it fails when the script does.
func PythonJSON(t testing.TB, script string, in, out any) {
	t.Helper()
	if _, err := os.Stat(Python); err != nil {
		t.Skip("SKIPPING PYTHON COMPARISON: ", err)
	}
	arg, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, Python, "-c", script, string(arg))
	cmd.Env = clientEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(stdout, out); err != nil {
		t.Fatalf("python printed %q: %v", stdout, err)
	}
}
