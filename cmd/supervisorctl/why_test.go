package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// TestWhy: why explains a process in words and facts, and exits 0 only
// when every one named is where its config wants it.
func TestWhy(t *testing.T) {
	t.Parallel()
	programs := `
[program:web]
command=/bin/sleep 1000
startsecs=0

[program:crash]
command=/bin/sh -c 'exit 3'
startsecs=1
startretries=100

[program:manual]
command=/bin/sleep 1000
autostart=false
`
	text := testkit.Config("{dir}") + testkit.RPCConfig("{dir}") + programs
	d := testkit.StartDaemon(t, filepath.Join(bin, "supervisord"), text)
	ctl := func(args ...string) (string, int) {
		return runCtl(t, os.Environ(), append([]string{"-c", d.Conf}, args...)...)
	}
	testkit.Eventually(t, 20*time.Second, func() bool {
		out, _ := ctl("why", "crash")
		return strings.Contains(out, "with exit status 3 (not expected)")
	}, "crash has exited once")

	for _, tc := range []struct {
		name string
		code int
		has  []string
	}{
		{"web", 0, []string{"web is RUNNING (pid ", "Its config wants it running (autostart=true), and it is.",
			"The config on disk is what it runs with."}},
		{"crash", 1, []string{"Its last run ended at ", "with exit status 3 (not expected)",
			"Its config wants it running (autostart=true), and it is not."}},
		{"manual", 0, []string{"manual is STOPPED.", "It has not run since the daemon started.",
			"Its config starts it only when asked (autostart=false)."}},
	} {
		out, code := ctl("why", tc.name)
		if code != tc.code {
			t.Errorf("why %s: exit %d, want %d\n%s", tc.name, code, tc.code, out)
		}
		for _, want := range tc.has {
			if !strings.Contains(out, want) {
				t.Errorf("why %s lacks %q:\n%s", tc.name, want, out)
			}
		}
	}
	if out, code := ctl("why", "all"); code != 1 || strings.Count(out, "\n\n") != 2 {
		t.Errorf("why all: %d\n%s", code, out)
	}
	if out, code := ctl("why", "nosuch"); code == 0 || !strings.Contains(out, "BAD_NAME") {
		t.Errorf("why nosuch: %d\n%s", code, out)
	}

	// A stop by hand is where the operator wants it; so is a disable.
	ctl("stop", "web")
	if out, code := ctl("why", "web"); code != 0 || !strings.Contains(out, "has it stopped by hand") {
		t.Errorf("why web after a stop: %d\n%s", code, out)
	}
	ctl("disable", "manual")
	if out, code := ctl("why", "manual"); code != 0 || !strings.Contains(out, "has it disabled: nothing starts it until it is enabled") {
		t.Errorf("why manual after disable: %d\n%s", code, out)
	}
	ctl("start", "web")

	// An edit on disk that update has not applied yet.
	edited := strings.Replace(strings.ReplaceAll(text, "{dir}", d.Dir), "command=/bin/sleep 1000\nstartsecs=0",
		"command=/bin/sleep 2000\nstartsecs=0", 1)
	testkit.WriteOver(t, d.Conf, edited)
	if out, _ := ctl("why", "web"); !strings.Contains(out, "The config on disk differs in command: update would restart it with them.") {
		t.Errorf("why web after an edit:\n%s", out)
	}
}

// TestWhyOneShot: a program that autostarts, is not restarted after an
// expected exit, and ended so, is where its config wants it.
func TestWhyOneShot(t *testing.T) {
	t.Parallel()
	d := testkit.StartDaemon(t, filepath.Join(bin, "supervisord"), testkit.Config("{dir}")+testkit.RPCConfig("{dir}")+`
[program:batch]
command=/bin/true
startsecs=0
autorestart=unexpected
`)
	var out string
	var code int
	testkit.Eventually(t, 20*time.Second, func() bool {
		out, code = runCtl(t, os.Environ(), "-c", d.Conf, "why", "batch")
		return strings.Contains(out, "batch is EXITED")
	}, "batch has run")
	if code != 0 || !strings.Contains(out, "it ran and ended as expected") {
		t.Errorf("why batch: %d\n%s", code, out)
	}
}
