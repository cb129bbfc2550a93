package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"supervisord/testkit"
)

// At exit the daemon removes its pidfile and its unix socket, but a
// directory found in their place stays: the reference's os.unlink refuses
// one (and says nothing).
func TestExitLeavesDirectories(t *testing.T) {
	for name, binary := range daemonsToCompare(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := testkit.StartDaemon(t, binary, testkit.Config("{dir}")+testkit.RPCConfig("{dir}"))
			d.WaitLog(t, "supervisord started with pid", 20*time.Second)
			paths := []string{filepath.Join(d.Dir, "supervisord.pid"), d.Socket()}
			for _, p := range paths {
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(p, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if st := d.Stop(30 * time.Second); st == nil || !st.Success() {
				t.Fatalf("daemon exit: %v\n%s", st, d.Output())
			}
			for _, p := range paths {
				if st, err := os.Stat(p); err != nil || !st.IsDir() {
					t.Errorf("the directory at %s is gone: %v", p, err)
				}
			}
		})
	}
}
