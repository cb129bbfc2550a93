package testkit

import (
	"reflect"
	"testing"
)

func TestStatesFromLog(t *testing.T) {
	log := `2026-01-01 10:00:00,000 INFO spawned: 'web' with pid 10
2026-01-01 10:00:00,001 INFO spawned: 'flaky' with pid 11
2026-01-01 10:00:00,002 INFO spawned: 'once' with pid 12
2026-01-01 10:00:00,010 WARN exited: flaky (exit status 1; not expected)
2026-01-01 10:00:00,020 INFO success: once entered RUNNING state, process has stayed up for > than 0 seconds (startsecs)
2026-01-01 10:00:00,030 INFO exited: once (exit status 0; expected)
2026-01-01 10:00:01,000 INFO success: web entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)
2026-01-01 10:00:01,100 INFO spawned: 'flaky' with pid 13
2026-01-01 10:00:01,110 WARN exited: flaky (exit status 1; not expected)
2026-01-01 10:00:01,111 INFO gave up: flaky entered FATAL state, too many start retries too quickly
2026-01-01 10:00:02,000 INFO spawned: 'crash' with pid 14
2026-01-01 10:00:03,000 INFO success: crash entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)
2026-01-01 10:00:04,000 WARN exited: crash (terminated by SIGSEGV (core dumped); not expected)
2026-01-01 10:00:05,000 INFO stopped: web (terminated by SIGTERM)
`
	want := map[string]string{"web": "STOPPED", "flaky": "FATAL", "once": "EXITED", "crash": "EXITED"}
	if got := StatesFromLog(log); !reflect.DeepEqual(got, want) {
		t.Errorf("StatesFromLog = %v, want %v", got, want)
	}
}
