package rpcinterface

import (
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestObserve: every request is told to Options.Observe once answered,
// with the method (unknown names as one) and its result.
func TestObserve(t *testing.T) {
	_, base, _ := startAPI(t)
	opts := base.opts
	var (
		mu  sync.Mutex
		got []string
	)
	opts.Observe = func(method, result string, took time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if took <= 0 {
			t.Errorf("%s took %v", method, took)
		}
		got = append(got, method+" "+result)
	}
	srv := httptest.NewServer(New(opts))
	defer srv.Close()
	c := client{t: t, url: srv.URL}
	c.call("supervisor.getState")
	c.call("supervisor.nosuch")
	c.call("made.up.name")
	c.call("supervisor.startProcess", "nosuch")
	c.call("supervisor.getProcessInfo", 123) // an HTTP 500
	c.call("system.multicall", []any{map[string]any{"methodName": "supervisor.getPID", "params": []any{}}})
	want := []string{
		"supervisor.getState ok",
		"unknown UNKNOWN_METHOD",
		"unknown UNKNOWN_METHOD",
		"supervisor.startProcess BAD_NAME",
		"supervisor.getProcessInfo error",
		"system.multicall ok",
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, want) {
		t.Errorf("observed %q, want %q", got, want)
	}
}
