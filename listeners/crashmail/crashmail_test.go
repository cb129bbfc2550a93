package crashmail

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"supervisord/listeners"
	"supervisord/listeners/listenertest"
	"supervisord/listeners/notify"
	"supervisord/protocol/events"
)

func exited(proc, group string, expected bool) events.ProcessState {
	return events.ProcessState{State: events.StateExited, Process: proc, Group: group, From: events.StateRunning,
		PID: 77, Expected: expected}
}

func run(t *testing.T, o Options, evs ...events.Event) ([]notify.Message, string) {
	t.Helper()
	var sent []notify.Message
	var stderr, stdout strings.Builder
	m := &Monitor{Options: o, Stderr: &stderr,
		Now: func() time.Time { return time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.Local) },
		Notify: func(_ context.Context, msg notify.Message) error {
			sent = append(sent, msg)
			return nil
		}}
	if err := listeners.New(strings.NewReader(listenertest.Stream(evs...)), &stdout).Run(m.Handle); err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("READY\nRESULT 2\nOK", len(evs)) + "READY\n"; stdout.String() != want {
		t.Errorf("protocol: %q", stdout.String())
	}
	return sent, stderr.String()
}

func TestReportsUnexpectedExits(t *testing.T) {
	sent, log := run(t, Options{Prefix: "prod"},
		exited("web", "web", false),
		exited("web", "web", true),
		events.ProcessState{State: events.StateFatal, Process: "db", Group: "db", From: events.StateBackoff},
		events.Tick{Period: 5, When: 5},
		exited("w1", "pool", false),
	)
	if len(sent) != 2 {
		t.Fatalf("sent %+v", sent)
	}
	want := notify.Message{
		Subject: "prod: web crashed at 2024-05-06 07:08:09,123",
		Body:    "Process web in group web exited unexpectedly (pid 77) from state RUNNING",
		Fields: map[string]any{"eventname": "PROCESS_STATE_EXITED", "processname": "web", "groupname": "web",
			"from_state": "RUNNING", "pid": 77, "expected": false, "serial": int64(0),
			"time": time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.Local).UTC().Format(time.RFC3339)},
	}
	if !reflect.DeepEqual(sent[0], want) {
		t.Errorf("got  %+v\nwant %+v", sent[0], want)
	}
	if sent[1].Fields["processname"] != "w1" || sent[1].Fields["serial"] != int64(4) {
		t.Errorf("second report %+v", sent[1])
	}
	if !strings.Contains(log, "exited unexpectedly") {
		t.Errorf("stderr %q", log)
	}
}

func TestFilters(t *testing.T) {
	evs := []events.Event{exited("web", "web", false), exited("w1", "pool", false), exited("w2", "pool", false),
		events.ProcessState{State: events.StateFatal, Process: "db", Group: "db", From: events.StateBackoff}}
	sent, _ := run(t, Options{Programs: []string{"web", "pool:w2"}}, evs...)
	if len(sent) != 2 || sent[0].Fields["processname"] != "web" || sent[1].Fields["processname"] != "w2" {
		t.Errorf("-p web -p pool:w2 sent %+v", sent)
	}
	sent, _ = run(t, Options{Programs: []string{"w1"}, Fatal: true}, evs...)
	if len(sent) != 1 || sent[0].Fields["processname"] != "w1" {
		t.Errorf("-p w1 -f sent %+v", sent)
	}
	sent, _ = run(t, Options{Programs: []string{"nope"}, Any: true, Fatal: true}, evs...)
	if len(sent) != 4 || !strings.Contains(sent[3].Body, "FATAL") || !strings.Contains(sent[3].Subject, "db is FATAL") {
		t.Errorf("-a -f sent %+v", sent)
	}
}

func TestBadPayloadAndFailingNotifier(t *testing.T) {
	var stderr strings.Builder
	m := &Monitor{Stderr: &stderr, Notify: func(context.Context, notify.Message) error { return errors.New("down") }}
	stream := "ver:3.0 server:s serial:0 pool:p poolserial:0 eventname:PROCESS_STATE_EXITED len:3\nbad" +
		listenertest.Stream(exited("a", "a", false))
	if err := listeners.New(strings.NewReader(stream), io.Discard).Run(m.Handle); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "cannot read") || !strings.Contains(stderr.String(), "could not send the report: down") {
		t.Errorf("stderr %q", stderr.String())
	}
}

func TestParseArgs(t *testing.T) {
	o, err := ParseArgs([]string{"-p", "a", "-pgrp:b", "-af", "--optionalheader=X", "-c", "cat", "--webhook", "http://h",
		"-m", "me@x", "-s", "/bin/true"})
	want := Options{Programs: []string{"a", "grp:b"}, Any: true, Fatal: true, Prefix: "X",
		Notifier: notify.Notifier{Command: "cat", Webhook: "http://h", Email: "me@x", Sendmail: "/bin/true"}}
	if err != nil || !reflect.DeepEqual(o, want) {
		t.Errorf("ParseArgs = %+v, %v", o, err)
	}
	for _, bad := range [][]string{{"-x"}, {"-p"}, {"extra"}, {"--any=1"}, {"--nope"}} {
		if _, err := ParseArgs(bad); err == nil {
			t.Errorf("ParseArgs(%q) accepted", bad)
		}
	}
	if _, err := ParseArgs([]string{"-a", "-h"}); !errors.Is(err, ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

func TestMain_(t *testing.T) {
	var out, errOut strings.Builder
	if Main([]string{"-h"}, strings.NewReader(""), &out, &errOut) != 0 || !strings.Contains(out.String(), "--webhook") {
		t.Error("-h")
	}
	if Main([]string{"-z"}, strings.NewReader(""), &out, &errOut) != 2 || !strings.Contains(errOut.String(), "-z") {
		t.Error("bad option")
	}
	// Real destinations: a command that saves its stdin, and a webhook.
	dir := t.TempDir()
	var hook []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		hook = append(hook, m)
	}))
	defer srv.Close()
	saved := filepath.Join(dir, "msg")
	out.Reset()
	code := Main([]string{"-o", "P", "-c", "cat > " + saved + "; echo \"$NOTIFY_SUBJECT\" > " + saved + ".subject", "-w", srv.URL},
		strings.NewReader(listenertest.Stream(exited("web", "web", false))), &out, &errOut)
	if code != 0 || out.String() != "READY\nRESULT 2\nOKREADY\n" {
		t.Fatalf("Main = %d, wrote %q, stderr %q", code, out.String(), errOut.String())
	}
	b, _ := os.ReadFile(saved)
	subj, _ := os.ReadFile(saved + ".subject")
	if string(b) != "Process web in group web exited unexpectedly (pid 77) from state RUNNING" ||
		!strings.HasPrefix(string(subj), "P: web crashed at ") {
		t.Errorf("command got %q, subject %q", b, subj)
	}
	if len(hook) != 1 || hook[0]["processname"] != "web" || hook[0]["pid"] != float64(77) || hook[0]["expected"] != false ||
		!strings.HasPrefix(hook[0]["subject"].(string), "P: web crashed") {
		t.Errorf("webhook got %v", hook)
	}
	// A broken protocol stream is an error exit.
	if Main(nil, strings.NewReader("garbage\n"), io.Discard, &errOut) != 1 {
		t.Error("garbage stdin")
	}
}
