package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// An essential program that ends for good stops every program and ends the
// daemon with its exit status, as seen by whoever started the daemon (a
// container runtime, systemd): its code, 128+n for signal n, its last code
// for FATAL, 1 for a FATAL that never ran.
func TestEssentialProgramEndsTheDaemon(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		program string
		code    int
		line    string
	}{
		{"exit code", "command=/bin/sh -c 'sleep 0.3; exit 7'\nstartsecs=0\nautorestart=false\n", 7,
			"essential program key exited; stopping every program, exit status 7"},
		{"killed by a signal", "command=/bin/sh -c 'sleep 0.3; kill -TERM $$'\nstartsecs=0\nautorestart=false\n", 128 + 15,
			"essential program key exited; stopping every program, exit status 143"},
		{"expected exit 0", "command=/bin/sh -c 'sleep 0.3'\nstartsecs=0\nautorestart=unexpected\n", 0,
			"essential program key exited; stopping every program, exit status 0"},
		{"FATAL keeps its exit code", "command=/bin/sh -c 'exit 3'\nstartretries=0\n", 3,
			"essential program key entered FATAL state; stopping every program, exit status 3"},
		{"FATAL without any exit status", "command=/no/such/program\nstartretries=0\n", 1,
			"essential program key entered FATAL state; stopping every program, exit status 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+
				"[program:key]\nessential=true\n"+tc.program+
				"[program:other]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
			st := d.Wait(20 * time.Second)
			if st == nil {
				t.Fatalf("the daemon did not exit by itself; log:\n%s", d.Log())
			}
			if st.ExitCode() != tc.code {
				t.Errorf("exit status %d, want %d", st.ExitCode(), tc.code)
			}
			log := d.Log()
			if !strings.Contains(log, "WARN "+tc.line) {
				t.Errorf("no line %q in the main log", tc.line)
			}
			// other may not have started yet when key ended so quickly.
			if strings.Contains(log, "spawned: 'other'") && !regexp.MustCompile(`stopped: other \(terminated by SIGTERM\)`).MatchString(log) {
				t.Error("the other program was not stopped")
			}
		})
	}
}

// An essential program that is restarted has not ended: the daemon stays.
func TestEssentialProgramRestartedKeepsTheDaemon(t *testing.T) {
	t.Parallel()
	d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+
		"[program:key]\nessential=true\ncommand=/bin/sh -c 'sleep 0.2; exit 1'\nstartsecs=0\nautorestart=true\n")
	d.WaitLog(t, `(?s)exited: key.*exited: key.*exited: key`, 20*time.Second)
	select {
	case <-d.Exited():
		t.Fatalf("the daemon exited while key was being restarted; log:\n%s", d.Log())
	default:
	}
	if st := d.Stop(20 * time.Second); st == nil || st.ExitCode() != 0 {
		t.Errorf("SIGTERM: exit status %v, want 0", st)
	}
}

// exit_when_all_done ends a batch daemon once nothing runs or will be
// restarted: 0 when every program did well, 1 when one failed.
func TestExitWhenAllDone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		last string
		code int
	}{
		{"all well", "exit 0", 0},
		{"one failed", "exit 4", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+"exit_when_all_done=true\n"+
				"[program:first]\ncommand=/bin/sh -c 'sleep 0.2'\nstartsecs=0\n"+
				"[program:second]\ncommand=/bin/sh -c 'sleep 0.5; "+tc.last+"'\nstartsecs=0\nautorestart=false\n"+
				"[program:manual]\ncommand=/bin/sleep 1000\nautostart=false\n")
			st := d.Wait(20 * time.Second)
			if st == nil {
				t.Fatalf("the daemon did not exit by itself; log:\n%s", d.Log())
			}
			if st.ExitCode() != tc.code {
				t.Errorf("exit status %d, want %d", st.ExitCode(), tc.code)
			}
			if !strings.Contains(d.Log(), "(exit_when_all_done)") {
				t.Error("the main log does not say why the daemon ended")
			}
			if n := strings.Count(d.Log(), "spawned: 'second'"); n != 1 {
				t.Errorf("second spawned %d times", n)
			}
		})
	}
}
