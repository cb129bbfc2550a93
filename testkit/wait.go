package testkit

import (
	"testing"
	"time"
)

// Eventually polls cond until it holds, failing the test with what once
// within has passed. Call it from the test's goroutine.
func Eventually(t testing.TB, within time.Duration, cond func() bool, what string) {
	t.Helper()
	if !Poll(within, cond) {
		t.Fatalf("not within %v: %s", within, what)
	}
}

// Poll polls cond until it holds or within has passed, and tells which:
// for a caller that reports a timeout its own way. It polls often at
// first and then every 20 ms, so a condition that holds at once costs
// nothing and a slow one little CPU.
func Poll(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	pause := time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
		pause = min(2*pause, 20*time.Millisecond)
	}
	return true
}
