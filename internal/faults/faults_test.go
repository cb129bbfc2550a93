package faults

import (
	"errors"
	"fmt"
	"testing"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/testkit"
)

func TestMain(m *testing.M) { testkit.VerifyTestMain(m) }

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		err        error
		name, want string
	}{
		{actors.ErrBadName, "web:x", "BAD_NAME: web:x"},
		{fmt.Errorf("wrapped: %w", actors.ErrNotRunning), "web", "NOT_RUNNING: web"},
		{actors.ErrAlreadyStarted, "a", "ALREADY_STARTED: a"},
		{&actors.Error{Kind: actors.SpawnError, Detail: "no such user"}, "a", "SPAWN_ERROR: no such user"},
		{&actors.Error{Kind: actors.BadSignal}, "a", "BAD_SIGNAL: "},
		{actors.ErrAbnormal, "a", "ABNORMAL_TERMINATION: a"},
		{actors.ErrShuttingDown, "", "SHUTDOWN_STATE: "},
		{actors.ErrStillRunning, "g", "STILL_RUNNING: g"},
		{actors.ErrAlreadyAdded, "g", "ALREADY_ADDED: g"},
		{actors.ErrBadArguments, "a", "BAD_ARGUMENTS: a"},
		{&actors.Error{Kind: actors.NoFile, Detail: "/x"}, "a", "NO_FILE: /x"},
		{actors.ErrNotExecutable, "a", "NOT_EXECUTABLE: a"},
		{actors.ErrFailed, "a", "FAILED: a"},
		{actors.ErrDisabled, "web", "FAILED: disabled; enable it first"},
		{&actors.Error{Kind: actors.Disabled, Detail: "db:db"}, "web", "FAILED: depends on db:db, which is disabled; enable it first"},
		{New(60, "as it was"), "a", "ALREADY_STARTED: as it was"},
		{errors.New("anything else"), "a", "FAILED: anything else"},
	} {
		if got := Of(tc.err, tc.name).Text; got != tc.want {
			t.Errorf("Of(%v, %q) = %q, want %q", tc.err, tc.name, got, tc.want)
		}
	}
	if n := Of(actors.ErrBadName, "x").Name(); n != "BAD_NAME" {
		t.Errorf("name %q", n)
	}
	// Every kind has a code of its own.
	seen := map[int]bool{}
	for k := actors.Failed; k <= actors.ShuttingDown; k++ {
		code, ok := codes[k]
		if !ok || seen[code] {
			t.Errorf("kind %v: code %d (known %t)", k, code, ok)
		}
		seen[code] = true
	}
}

func TestNoFileAndCantReread(t *testing.T) {
	if NoFile("").Text != "NO_FILE" || NoFile("/p").Text != "NO_FILE: /p" {
		t.Error(NoFile(""), NoFile("/p"))
	}
	if f := CantReread(errors.New("gone")); f.Text != "CANT_REREAD: gone" || f.Name() != "CANT_REREAD" {
		t.Error(f)
	}
	ce := &conf.Error{File: "/f.conf", Line: 3, Section: "program:x", Option: "command", Msg: "bad"}
	if f := CantReread(fmt.Errorf("reading: %w", ce)); f.Text != "CANT_REREAD: "+ce.Reference() {
		t.Error(f)
	}
}
