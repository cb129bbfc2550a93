package listeners

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"supervisord/listeners/listenertest"
	"supervisord/protocol/events"
	"supervisord/testkit"
)

// The test binary doubles as a listener: run with LISTENERS_TEST_ROLE set,
// it serves events instead of running tests.
func TestMain(m *testing.M) {
	switch os.Getenv("LISTENERS_TEST_ROLE") {
	case "record":
		os.Exit(recordListener(os.Getenv("LISTENERS_TEST_OUT")))
	}
	testkit.VerifyTestMain(m)
}

// recordListener appends each event, header line then payload then a
// blank line, to path, and answers OK.
func recordListener(path string) int {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	l := New(os.Stdin, os.Stdout)
	err = l.Run(func(ev *Event) error {
		fmt.Fprintf(f, "%s\n%s\n\n", ev.Header, ev.Payload)
		return f.Sync()
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "listener:", err)
		return 1
	}
	return 0
}

// Our listener library under the real supervisord: it must get the
// PROCESS_STATE_RUNNING of a program with the reference's exact payload,
// and read non-ASCII PROCESS_LOG payloads whose len counts characters.
func TestUnderSupervisord(t *testing.T) {
	for _, d := range listenertest.Daemons(t) {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			underSupervisord(t, d.Path)
		})
	}
}

func underSupervisord(t *testing.T, daemon string) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := testkit.StartDaemon(t, daemon, listenertest.ReferenceConf+fmt.Sprintf(`
[program:sleeper]
command=/bin/sleep 1000
startsecs=1

[program:talker]
command=/bin/sh -c 'printf "h\303\251llo \342\202\254 \360\237\230\200\n"; exec /bin/sleep 1000'
startsecs=1
stdout_events_enabled=true

[eventlistener:rec]
command=%s
environment=LISTENERS_TEST_ROLE="record",LISTENERS_TEST_OUT="{dir}/events.txt"
events=PROCESS_STATE,PROCESS_LOG
`, self)).Dir
	eventsFile := filepath.Join(dir, "events.txt")
	var transcript string
	if !testkit.Poll(30*time.Second, func() bool {
		b, _ := os.ReadFile(eventsFile)
		transcript = string(b)
		return strings.Contains(transcript, "processname:sleeper groupname:sleeper from_state:STARTING pid:") &&
			strings.Contains(transcript, "processname:talker groupname:talker from_state:STARTING pid:") &&
			strings.Contains(transcript, "channel:stdout\n")
	}) {
		t.Fatalf("listener transcript after 30s:\n%s", transcript)
	}
	pid := func(name string) string { return listenertest.Ctl(t, dir, "pid", name) }
	payload := "processname:sleeper groupname:sleeper from_state:STARTING pid:" + pid("sleeper")
	header := regexp.MustCompile(`ver:3\.0 server:reftest serial:\d+ pool:rec poolserial:\d+ eventname:PROCESS_STATE_RUNNING len:` +
		fmt.Sprint(len(payload)) + "\n" + regexp.QuoteMeta(payload) + "\n\n")
	if !header.MatchString(transcript) {
		t.Errorf("no PROCESS_STATE_RUNNING %q in:\n%s", payload, transcript)
	}
	logPayload := "processname:talker groupname:talker pid:" + pid("talker") + " channel:stdout\nhéllo € 😀\n"
	if !strings.Contains(transcript, fmt.Sprintf("eventname:PROCESS_LOG_STDOUT len:%d\n%s\n\n",
		events.PayloadLen(logPayload), logPayload)) {
		t.Errorf("no PROCESS_LOG_STDOUT %q in:\n%s", logPayload, transcript)
	}
	// Every envelope was read whole: the serials run 0, 1, 2... in order.
	serials := regexp.MustCompile(` serial:(\d+) `).FindAllStringSubmatch(transcript, -1)
	for i, s := range serials {
		if s[1] != fmt.Sprint(i) {
			t.Fatalf("event %d has serial %s:\n%s", i, s[1], transcript)
		}
	}
}
