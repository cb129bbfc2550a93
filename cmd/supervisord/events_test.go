package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// listenerConf runs testdata/listeners/record.py as a listener on
// PROCESS_STATE and REMOTE_COMMUNICATION, and one program to watch; their
// startsecs differ so the order of their RUNNING events is not a race.
func listenerConf(mode string) string {
	script, _ := filepath.Abs("testdata/listeners/record.py")
	return testkit.Config("{dir}") + testkit.RPCConfig("{dir}") + fmt.Sprintf(`
[eventlistener:rec]
command=/usr/bin/python3 -u %s {dir}/events.txt %s
events=PROCESS_STATE,REMOTE_COMMUNICATION
startsecs=1
autorestart=true
stdout_logfile={dir}/rec.out

[program:prog]
command=/bin/sleep 1000
startsecs=2
`, script, mode)
}

// recorded waits until the listener's transcript holds want events, then
// returns it with pids normalised.
func recorded(t *testing.T, d *testkit.Daemon, want int) string {
	t.Helper()
	path := filepath.Join(d.Dir, "events.txt")
	var b []byte
	if !testkit.Poll(20*time.Second, func() bool {
		b, _ = os.ReadFile(path)
		return strings.Count(string(b), "ver:3.0 ") >= want
	}) {
		t.Fatalf("%d events recorded, want %d:\n%s", strings.Count(string(b), "ver:3.0 "), want, b)
	}
	// Lengths vary with the pids' digits; a wrong one would garble the
	// transcript, as the listener reads exactly len bytes.
	s := regexp.MustCompile(`pid:\d+`).ReplaceAllString(string(b), "pid:N")
	return regexp.MustCompile(`len:\d+`).ReplaceAllString(s, "len:N")
}

func TestEventListenerTranscript(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("SKIPPED: the listener is a Python script and /usr/bin/python3 is missing")
	}
	const want = `ver:3.0 server:supervisor serial:0 pool:rec poolserial:0 eventname:PROCESS_STATE_STARTING len:N
processname:rec groupname:rec from_state:STOPPED tries:0
ver:3.0 server:supervisor serial:1 pool:rec poolserial:1 eventname:PROCESS_STATE_STARTING len:N
processname:prog groupname:prog from_state:STOPPED tries:0
ver:3.0 server:supervisor serial:2 pool:rec poolserial:2 eventname:PROCESS_STATE_RUNNING len:N
processname:rec groupname:rec from_state:STARTING pid:N
ver:3.0 server:supervisor serial:3 pool:rec poolserial:3 eventname:PROCESS_STATE_RUNNING len:N
processname:prog groupname:prog from_state:STARTING pid:N
ver:3.0 server:supervisor serial:4 pool:rec poolserial:4 eventname:REMOTE_COMMUNICATION len:N
type:greeting
hello
world
`
	// The reference is held to the transcript ours is held to.
	eachDaemon(t, func(t *testing.T, binary string) {
		d := testkit.StartDaemon(t, binary, listenerConf("ok"))
		d.WaitLog(t, "success: prog entered RUNNING", 20*time.Second)
		recorded(t, d, 4)
		if out := testkit.PyRPC(t, d, "call('supervisor.sendRemoteCommEvent', 'greeting', 'hello\\nworld')"); !strings.HasSuffix(out, "\ntrue\n") {
			t.Fatalf("sendRemoteCommEvent: %s", out)
		}
		if got := recorded(t, d, 5); got != want {
			t.Errorf("the listener's transcript:\n%s", testkit.LineDiff(want, got))
		}
		// What the listener wrote is its stdout log, as with the reference.
		wantOut := "READY\n" + strings.Repeat("RESULT 2\nOKREADY\n", 5)
		var b []byte
		if !testkit.Poll(10*time.Second, func() bool {
			b, _ = os.ReadFile(filepath.Join(d.Dir, "rec.out"))
			return string(b) == wantOut
		}) {
			t.Errorf("the listener's stdout log holds %q, want %q", b, wantOut)
		}
	})
}

// eachDaemon runs check on our daemon and, side by side, on the reference's
// (skipped, saying so, when it is not installed).
func eachDaemon(t *testing.T, check func(t *testing.T, binary string)) {
	t.Run("ours", func(t *testing.T) {
		t.Parallel()
		check(t, bin)
	})
	t.Run("reference", func(t *testing.T) {
		if _, err := os.Stat(reference); err != nil {
			t.Skip("SKIPPED the reference half: " + reference + " is not installed")
		}
		t.Parallel()
		check(t, reference)
	})
}

// firstDeliveries cuts a transcript (with one-line payloads) to n deliveries.
func firstDeliveries(transcript string, n int) string {
	lines := strings.SplitAfter(transcript, "\n")
	return strings.Join(lines[:min(len(lines), 2*n)], "")
}

// serials lists the serial of every delivery in a transcript, in order.
func serials(transcript string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^ver:3.0 \S+ serial:(\d+) `).FindAllStringSubmatch(transcript, -1) {
		out = append(out, m[1])
	}
	return out
}

// An event refused with FAIL, or held by a listener that dies, is delivered
// again; for refusals the reference makes the same deliveries.
func TestEventRedelivery(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("SKIPPED: the listener is a Python script and /usr/bin/python3 is missing")
	}
	for _, mode := range []string{"fail-first", "die-first"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			run := func(t *testing.T, binary string) string {
				d := testkit.StartDaemon(t, binary, listenerConf(mode))
				d.WaitLog(t, "success: prog entered RUNNING", 20*time.Second)
				// The first eight deliveries: a dying listener's restarts make
				// three events each, so its buffer soon overflows and later
				// deliveries depend on timing.
				return firstDeliveries(recorded(t, d, 8), 8)
			}
			var ours, ref string
			t.Run("ours", func(t *testing.T) {
				t.Parallel()
				ours = run(t, bin)
				got := serials(ours)[:6] // before any overflow
				for i := 0; i+1 < len(got); i += 2 {
					if got[i] != got[i+1] {
						t.Fatalf("serials %v: each should come twice in a row\n%s", got, ours)
					}
				}
			})
			if mode == "die-first" {
				// The reference sometimes loses the event a dying listener
				// held (its third delivery here); we do not, so there is
				// nothing to compare.
				return
			}
			t.Run("reference", func(t *testing.T) {
				if _, err := os.Stat(reference); err != nil {
					t.Skip("SKIPPED the reference half: " + reference + " is not installed")
				}
				t.Parallel()
				ref = run(t, reference)
			})
			// Once both halves ran.
			t.Cleanup(func() {
				if ours != "" && ref != "" && ref != ours {
					t.Errorf("ours differs from the reference:\n%s", testkit.LineDiff(ref, ours))
				}
			})
		})
	}
}

// Output of a program with stdout_events_enabled reaches a PROCESS_LOG
// listener as the reference words it.
func TestProcessLogEvents(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("SKIPPED: the listener is a Python script and /usr/bin/python3 is missing")
	}
	script, _ := filepath.Abs("testdata/listeners/record.py")
	conf := testkit.Config("{dir}") + fmt.Sprintf(`
[eventlistener:rec]
command=/usr/bin/python3 -u %s {dir}/events.txt ok
events=PROCESS_LOG
startsecs=0

[program:talker]
command=/bin/sh -c 'sleep 1; echo hello; sleep 0.3; echo oops >&2; exec sleep 1000'
stdout_events_enabled=true
stderr_events_enabled=true
startsecs=0
`, script)
	const want = `ver:3.0 server:supervisor serial:0 pool:rec poolserial:0 eventname:PROCESS_LOG_STDOUT len:N
processname:talker groupname:talker pid:N channel:stdout
hello

ver:3.0 server:supervisor serial:1 pool:rec poolserial:1 eventname:PROCESS_LOG_STDERR len:N
processname:talker groupname:talker pid:N channel:stderr
oops

`
	eachDaemon(t, func(t *testing.T, binary string) {
		d := testkit.StartDaemon(t, binary, conf)
		if got := recorded(t, d, 2); got != want {
			t.Errorf("the transcript:\n%s", testkit.LineDiff(want, got))
		}
	})
}

// Output between the capture tokens becomes a PROCESS_COMMUNICATION event;
// the rest goes to the log, as with the reference.
func TestProcessCommunicationCapture(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("SKIPPED: the listener is a Python script and /usr/bin/python3 is missing")
	}
	script, _ := filepath.Abs("testdata/listeners/record.py")
	conf := testkit.Config("{dir}") + fmt.Sprintf(`
[eventlistener:rec]
command=/usr/bin/python3 -u %s {dir}/events.txt ok
events=PROCESS_COMMUNICATION
startsecs=0

[program:talker]
command=/bin/sh -c 'sleep 1; printf "before<!--XSUPER"; sleep 0.2; printf "VISOR:BEGIN-->line one\nline two<!--XSUPERVISOR:END-->after\n"; exec sleep 1000'
stdout_capture_maxbytes=1MB
stdout_logfile={dir}/talker.log
startsecs=0
`, script)
	const want = `ver:3.0 server:supervisor serial:0 pool:rec poolserial:0 eventname:PROCESS_COMMUNICATION_STDOUT len:N
processname:talker groupname:talker pid:N
line one
line two
`
	eachDaemon(t, func(t *testing.T, binary string) {
		d := testkit.StartDaemon(t, binary, conf)
		got := recorded(t, d, 1)
		logged, _ := os.ReadFile(filepath.Join(d.Dir, "talker.log"))
		// Like the reference, capture mode holds back output no longer than
		// a token until more comes: "after\n" is still pending.
		if got != want || string(logged) != "before" {
			t.Errorf("the transcript:\n%s\nlog %q", testkit.LineDiff(want, got), logged)
		}
	})
}
