package rpcinterface

import (
	"os"
	"path/filepath"
	"testing"

	"supervisord/protocol/xmlrpc"
)

// clearLog and clearProcessLogs remove a log file but never a directory
// put in its place: the reference's os.remove refuses one, so the call
// fails with FAILED (30) and the directory stays.
func TestClearLogsLeaveDirectories(t *testing.T) {
	c, _, dir := startAPI(t)
	mainLog, catLog := filepath.Join(dir, "main.log"), filepath.Join(dir, "cat.log")
	mkdir := func(path string) func(t *testing.T) {
		return func(t *testing.T) {
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name   string
		setup  func(t *testing.T)
		method string
		params []any
		code   int    // 0: the call succeeds
		fault  string // the fault text expected when code != 0
		path   string
		left   bool // path still exists afterwards (as a directory)
	}{
		{"main log missing", func(*testing.T) {}, "supervisor.clearLog", nil, xmlrpc.FaultNoFile, "NO_FILE", mainLog, false},
		{"main log is a directory", mkdir(mainLog), "supervisor.clearLog", nil, xmlrpc.FaultFailed, "FAILED", mainLog, true},
		{"main log is a file", func(t *testing.T) {
			if err := os.Remove(mainLog); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if err := os.WriteFile(mainLog, []byte("old\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "supervisor.clearLog", nil, 0, "", mainLog, false},
		{"process log is a directory", mkdir(catLog), "supervisor.clearProcessLogs", []any{"cat"}, xmlrpc.FaultFailed, "FAILED: cat", catLog, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup(t)
			got, err := c.call(tc.method, tc.params...)
			if tc.code == 0 {
				if err != nil || got != true {
					t.Errorf("%s: %v, %v; want true", tc.method, got, err)
				}
			} else if f, ok := err.(*xmlrpc.Fault); !ok || f.Code != tc.code || f.String != tc.fault {
				t.Errorf("%s: %v, %v; want fault %d %q", tc.method, got, err, tc.code, tc.fault)
			}
			st, err := os.Stat(tc.path)
			if tc.left && (err != nil || !st.IsDir()) {
				t.Errorf("the directory at %s is gone: %v", tc.path, err)
			}
			if !tc.left && err == nil {
				t.Errorf("%s is still there", tc.path)
			}
		})
	}
}
