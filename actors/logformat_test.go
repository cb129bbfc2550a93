package actors

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/internal/logfmt"
	"supervisord/protocol/events"
	"supervisord/testkit"
	"supervisord/testkit/actortest"
)

// stampRE is logfmt.TimeLayout's shape: RFC 3339 with milliseconds.
var stampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d) `)

// unstamp checks each line of a timestamped log starts with a time no
// earlier than since, and returns the lines without it.
func unstamp(t *testing.T, log []byte, since time.Time) []string {
	t.Helper()
	var out []string
	for _, line := range strings.SplitAfter(string(log), "\n") {
		if line == "" {
			continue
		}
		m := stampRE.FindString(line)
		if m == "" {
			t.Fatalf("no time on %q", line)
		}
		at, err := time.Parse(logfmt.TimeLayout, strings.TrimSpace(m))
		if err != nil || at.Before(since.Truncate(time.Millisecond)) || at.After(time.Now()) {
			t.Errorf("time %q of %q is not of this run (%v)", m, line, err)
		}
		out = append(out, line[len(m):])
	}
	return out
}

// jsonLine is an object of a json log.
type jsonLine struct {
	Time    string
	Program string
	Group   string
	Process string
	PID     int
	Stream  string
	Message string
	Partial bool
}

func jsonLines(t *testing.T, log []byte) []jsonLine {
	t.Helper()
	var out []jsonLine
	for _, line := range bytes.SplitAfter(log, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		var l jsonLine
		if !json.Valid(line) || line[len(line)-1] != '\n' {
			t.Fatalf("not a JSON line: %.200q", line)
		}
		if err := json.Unmarshal(line, &l); err != nil {
			t.Fatal(err)
		}
		if _, err := time.Parse(logfmt.TimeLayout, l.Time); err != nil {
			t.Errorf("time %q: %v", l.Time, err)
		}
		out = append(out, l)
	}
	return out
}

// messages joins the pieces of json lines back into lines.
func messages(ls []jsonLine) []string {
	var out []string
	var cur strings.Builder
	for _, l := range ls {
		cur.WriteString(l.Message)
		if !l.Partial {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	return out
}

// Each format and prefix on what real programs write: whole lines,
// partial ones, invalid UTF-8, 20 MB lines and stderr sent into stdout.
// The programs exit; what they wrote last without a newline is ended by
// one in the text formats.
func TestLogFormatsOnRealOutput(t *testing.T) {
	t.Parallel()
	const big = 20_000_000
	bigLine := fmt.Sprintf("head -c %d /dev/zero | tr '\\0' x; echo; echo next", big)
	cases := []struct {
		name    string
		command string
		change  func(p *conf.Process)
		check   func(t *testing.T, out, errs []byte, since time.Time)
	}{
		{"timestamped", `printf 'one\ntwo\n'; printf 'to-err\n' >&2`, func(p *conf.Process) {
			p.Stdout.Format = logfmt.Timestamped
		}, func(t *testing.T, out, errs []byte, since time.Time) {
			if got := unstamp(t, out, since); !slices.Equal(got, []string{"one\n", "two\n"}) {
				t.Errorf("stdout lines %q", got)
			}
			if string(errs) != "to-err\n" {
				t.Errorf("stderr (raw) %q", errs)
			}
		}},
		{"prefix", `printf 'one\n\ntwo\n'`, func(p *conf.Process) {
			p.Stdout.Prefix = true
		}, func(t *testing.T, out, _ []byte, _ time.Time) {
			if want := "talk | one\ntalk | \ntalk | two\n"; string(out) != want {
				t.Errorf("stdout %q, want %q", out, want)
			}
		}},
		{"timestamped prefix, partial lines", `printf 'par'; sleep 0.2; printf 'tial\nno newline'`, func(p *conf.Process) {
			p.Stdout.Format, p.Stdout.Prefix = logfmt.Timestamped, true
		}, func(t *testing.T, out, _ []byte, since time.Time) {
			if got := unstamp(t, out, since); !slices.Equal(got, []string{"talk | partial\n", "talk | no newline\n"}) {
				t.Errorf("stdout lines %q", got)
			}
		}},
		{"json", `echo $$; printf 'to-err\n' >&2`, func(p *conf.Process) {
			p.Stdout.Format, p.Stderr.Format = logfmt.JSON, logfmt.JSON
		}, func(t *testing.T, out, errs []byte, _ time.Time) {
			o, e := jsonLines(t, out), jsonLines(t, errs)
			if len(o) != 1 || len(e) != 1 {
				t.Fatalf("stdout %q, stderr %q", out, errs)
			}
			pid, _ := strconv.Atoi(o[0].Message)
			for _, want := range []jsonLine{{Program: "talk", Group: "talk", Process: "talk", PID: pid, Stream: "stdout", Message: o[0].Message},
				{Program: "talk", Group: "talk", Process: "talk", PID: pid, Stream: "stderr", Message: "to-err"}} {
				got := o[0]
				if want.Stream == "stderr" {
					got = e[0]
				}
				got.Time = ""
				if got != want || pid == 0 {
					t.Errorf("got %+v, want %+v", got, want)
				}
			}
		}},
		{"json, invalid UTF-8 and control characters", `printf '\377\376 bad \033[1mbold\033[0m\tend\r\n'`, func(p *conf.Process) {
			p.Stdout.Format = logfmt.JSON
		}, func(t *testing.T, out, _ []byte, _ time.Time) {
			if !bytes.Contains(out, []byte(`"message":"\ufffd\ufffd bad \u001b[1mbold\u001b[0m\tend\r"}`)) {
				t.Errorf("stdout %q", out)
			}
			if got := messages(jsonLines(t, out)); !slices.Equal(got, []string{"\ufffd\ufffd bad \x1b[1mbold\x1b[0m\tend\r"}) {
				t.Errorf("messages %q", got)
			}
		}},
		{"json, redirect_stderr", `echo o1; echo e1 >&2; echo o2; echo e2 >&2`, func(p *conf.Process) {
			p.RedirectStderr = true
			p.Stdout.Format = logfmt.JSON
		}, func(t *testing.T, out, errs []byte, _ time.Time) {
			// One pipe carries both: the order is the program's, and every
			// line is stdout's, as nothing tells them apart any more.
			ls := jsonLines(t, out)
			for _, l := range ls {
				if l.Stream != "stdout" {
					t.Errorf("stream %q", l.Stream)
				}
			}
			if got := messages(ls); !slices.Equal(got, []string{"o1", "e1", "o2", "e2"}) {
				t.Errorf("messages %q", got)
			}
			if len(errs) != 0 {
				t.Errorf("stderr log %q", errs)
			}
		}},
		{"timestamped prefix, a 20 MB line", bigLine, func(p *conf.Process) {
			p.Stdout.Format, p.Stdout.Prefix = logfmt.Timestamped, true
		}, func(t *testing.T, out, _ []byte, since time.Time) {
			got := unstamp(t, out, since)
			if len(got) != 2 || got[0] != "talk | "+strings.Repeat("x", big)+"\n" || got[1] != "talk | next\n" {
				t.Errorf("%d lines of %v bytes", len(got), lens(got))
			}
		}},
		{"json, a 20 MB line", bigLine, func(p *conf.Process) {
			p.Stdout.Format = logfmt.JSON
		}, func(t *testing.T, out, _ []byte, _ time.Time) {
			ls := jsonLines(t, out)
			got := messages(ls)
			if len(got) != 2 || got[0] != strings.Repeat("x", big) || got[1] != "next" {
				t.Errorf("%d lines of %v bytes", len(got), lens(got))
			}
			// In pieces of at least MaxPartial, all but the last partial.
			for _, l := range ls[:len(ls)-2] {
				if !l.Partial || len(l.Message) < logfmt.MaxPartial {
					t.Errorf("piece of %d bytes, partial %t", len(l.Message), l.Partial)
					break
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out, errs := filepath.Join(dir, "out.log"), filepath.Join(dir, "err.log")
			since := time.Now()
			tr := startTree(t, []*conf.Group{program("talk", tc.command, func(p *conf.Process) {
				p.StartSecs, p.AutoRestart = 0, conf.RestartNever
				p.Stdout.Logfile, p.Stderr.Logfile = out, errs
				tc.change(p)
			})})
			tr.waitState(t, "talk", Exited, 30*time.Second)
			// Every stream has ended once the process answers a drain.
			if _, err := tr.askProcess(context.Background(), "talk", "talk", &awaitDrained{}, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			o, _ := os.ReadFile(out)
			e, _ := os.ReadFile(errs)
			tc.check(t, o, e, since)
			// The API reads what is in the file.
			if got, err := tr.ReadLog(context.Background(), "talk", "talk", Stdout, 0, 0); err != nil || !bytes.Equal(got, o) && len(o) < 1<<20 {
				t.Errorf("readProcessStdoutLog: %d bytes, %v; the file has %d", len(got), err, len(o))
			}
		})
	}
}

func lens(ss []string) []int {
	var n []int
	for _, s := range ss {
		n = append(n, len(s))
	}
	return n
}

// PROCESS_LOG events and capture mode see what the program wrote; the log
// file gets it formatted.
func TestLogFormatLeavesEventsRaw(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out.log")
	tr := startTree(t, []*conf.Group{program("talk", "exec sleep 100", func(p *conf.Process) {
		p.StartSecs, p.AutoStart = 0, false
		p.Command = `printf 'before\n<!--XSUPERVISOR:BEGIN-->captured\n<!--XSUPERVISOR:END-->after the capture block ends\n'; printf 'x\377y\n' >&2; exec sleep 100`
		p.Argv = []string{"/bin/sh", "-c", p.Command}
		p.Stdout.Logfile, p.Stderr.Logfile = out, ""
		p.Stdout.Format, p.Stdout.Prefix, p.Stdout.CaptureMaxBytes = logfmt.Timestamped, true, 1024
		p.Stderr.Format, p.Stderr.EventsEnabled = logfmt.JSON, true
	})})
	got := make(chan events.Event, 16)
	cancel, err := tr.Subscribe(context.Background(), []events.Type{events.TypeProcessCommunication, events.TypeProcessLog},
		func(_ int64, ev events.Event) { got <- ev })
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	since := time.Now()
	if err := tr.Start(context.Background(), "talk", "talk", true); err != nil {
		t.Fatal(err)
	}
	seen := map[events.Type]string{}
	for len(seen) < 2 {
		select {
		case ev := <-got:
			switch e := ev.(type) {
			case events.ProcessCommunication:
				seen[ev.EventType()] = string(e.Data)
			case events.ProcessLog:
				seen[ev.EventType()] = string(e.Data)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("events %q", seen)
		}
	}
	if want := map[events.Type]string{events.TypeProcessCommunicationStdout: "captured\n", events.TypeProcessLogStderr: "x\377y\n"}; !maps.Equal(seen, want) {
		t.Errorf("events %q, want %q", seen, want)
	}
	var lines []string
	testkit.Eventually(t, 5*time.Second, func() bool {
		b, _ := os.ReadFile(out)
		lines = unstamp(t, b, since)
		return len(lines) == 2
	}, "two lines in the stdout log")
	if !slices.Equal(lines, []string{"talk | before\n", "talk | after the capture block ends\n"}) {
		t.Errorf("stdout log %q", lines)
	}
}

// The container case: programs logging to one pipe (/dev/stdout there)
// with a prefix each; every line comes out whole, with its program's name.
func TestPrefixedProgramsShareAPipe(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	dev := fmt.Sprintf("/dev/fd/%d", w.Fd())
	const n = 200
	var groups []*conf.Group
	for _, name := range []string{"a", "b"} {
		groups = append(groups, program(name, fmt.Sprintf(`i=0; while [ $i -lt %d ]; do echo %s-$i; i=$((i+1)); done; exec sleep 100`, n, name),
			func(p *conf.Process) {
				p.StartSecs = 0
				p.Stdout.Logfile, p.Stdout.Prefix = dev, true
			}))
	}
	startTree(t, groups)
	next := map[string]int{}
	sc := bufio.NewScanner(r)
	deadline := time.AfterFunc(20*time.Second, func() { w.Close(); r.Close() })
	defer deadline.Stop()
	for next["a"]+next["b"] < 2*n && sc.Scan() {
		name, text, ok := strings.Cut(sc.Text(), " | ")
		if !ok || text != fmt.Sprintf("%s-%d", name, next[name]) {
			t.Fatalf("line %q after %v", sc.Text(), next)
		}
		next[name]++
	}
	if next["a"] != n || next["b"] != n {
		t.Errorf("read %v lines", next)
	}
}

// loggerRig is a logger actor alone, under a parent that takes its
// messages, on a runtime of the test's.
type loggerRig struct {
	sys *actor.ActorSystem
	pid *actor.PID
}

func newLoggerRig(t *testing.T, pc *conf.Process, path string, rt *runtime) *loggerRig {
	t.Helper()
	sys := actortest.QuietSystem()
	if rt.log == nil {
		rt.log = slog.New(slog.DiscardHandler)
	}
	if rt.now == nil {
		rt.now = time.Now
	}
	spawned := make(chan *actor.PID, 1)
	sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Started); ok {
			spawned <- c.Spawn(actor.PropsFromProducer(func() actor.Actor { return newLogger(pc, "stdout", path, pc.Stdout, rt, new(atomic.Uint64)) }))
		}
	}))
	return &loggerRig{sys: sys, pid: <-spawned}
}

func (g *loggerRig) send(data string) {
	g.sys.Root.Send(g.pid, &logChunk{data: []byte(data), pid: 77, release: func() {}})
}

func (g *loggerRig) stop(t *testing.T) {
	if err := g.sys.Root.StopFuture(g.pid).Wait(); err != nil {
		t.Error(err)
	}
}

// An unfinished line is written after a second of silence (output that
// keeps coming holds it back), and continued without a second header;
// more than 64 KiB of it is written at once. On a fake clock.
func TestUnfinishedLineWaitsForSilence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		path := filepath.Join(t.TempDir(), "out.log")
		pc := program("web", "true").Processes[0]
		pc.Stdout.Format = logfmt.Timestamped
		g := newLoggerRig(t, pc, path, &runtime{})
		stamp := func(at time.Duration) string { return t0.Add(at).Format(logfmt.TimeLayout) + " " }
		at := func(d time.Duration) {
			time.Sleep(d - time.Since(t0))
			synctest.Wait()
		}
		file := func() string {
			b, _ := os.ReadFile(path)
			return string(b)
		}
		big := strings.Repeat("y", logfmt.MaxPartial+1)
		steps := []struct {
			at   time.Duration
			send string
			want string // the file after
		}{
			{0, "abc", ""},
			{500 * time.Millisecond, "def", ""},
			{1499 * time.Millisecond, "", ""},
			{1500 * time.Millisecond, "", stamp(0) + "abcdef"},
			{2 * time.Second, "ghi\nxyz", stamp(0) + "abcdefghi\n"},
			{2999 * time.Millisecond, "", stamp(0) + "abcdefghi\n"},
			{3 * time.Second, "", stamp(0) + "abcdefghi\n" + stamp(2*time.Second) + "xyz"},
			{4 * time.Second, big, stamp(0) + "abcdefghi\n" + stamp(2*time.Second) + "xyz" + big},
			{5 * time.Second, "\n", stamp(0) + "abcdefghi\n" + stamp(2*time.Second) + "xyz" + big + "\n"},
			{6 * time.Second, "end", stamp(0) + "abcdefghi\n" + stamp(2*time.Second) + "xyz" + big + "\n"},
		}
		for _, st := range steps {
			at(st.at)
			if st.send != "" {
				g.send(st.send)
				synctest.Wait()
			}
			if got := file(); got != st.want {
				t.Fatalf("at %v the file holds %.80q…, want %.80q…", st.at, got, st.want)
			}
		}
		// The end of the stream ends the line.
		g.sys.Root.Send(g.pid, &logChunk{pid: 77, eof: true, release: func() {}})
		synctest.Wait()
		if got, want := file(), steps[len(steps)-1].want+stamp(6*time.Second)+"end\n"; got != want {
			t.Errorf("at the end the file holds %.80q…, want %.80q…", got, want)
		}
		g.stop(t)
	})
}

// *_syslog gets the formatted lines, under the tag and facility asked for,
// over a real datagram socket.
func TestSyslogGetsFormattedLines(t *testing.T) {
	t.Parallel()
	sock := testkit.ListenDatagrams(t)
	pc := program("web", "true").Processes[0]
	pc.Stdout.Syslog, pc.Stdout.Format, pc.Stdout.SyslogTag = true, logfmt.JSON, "web-app"
	pc.SyslogFacility = conf.FacilityLocal3
	g := newLoggerRig(t, pc, "", &runtime{syslogNet: "unixgram", syslogAddr: sock.Addr})
	defer g.stop(t)
	g.send("hello\n")
	msg := sock.Next()
	// <local3.info>TIME HOST web-app[PID]: {"time":…}
	pri, rest, _ := strings.Cut(msg, ">")
	_, body, _ := strings.Cut(rest, " web-app["+strconv.Itoa(os.Getpid())+"]: ")
	if pri != "<158" || !strings.HasSuffix(body, `"pid":77,"stream":"stdout","message":"hello"}`+"\n") {
		t.Errorf("syslog got %q", msg)
	}
	if ls := jsonLines(t, []byte(body)); len(ls) != 1 || ls[0].Process != "web" {
		t.Errorf("syslog got %q", body)
	}
}
