package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// checkGolden compares got with testdata/name (-update rewrites it).
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	keep := strings.ReplaceAll(name, ".", "-")
	testkit.ReportDiff(t, keep, name, "golden", string(want), "got", got)
}

// againstReference adds to out what our supervisorctl prints for args
// against the reference's daemon running one program, idle (nothing
// when the reference is not installed): a command of ours there says
// it cannot.
func againstReference(t *testing.T, out *strings.Builder, args ...string) {
	t.Helper()
	if _, err := os.Stat(referenceDaemon); err != nil {
		return
	}
	ref := testkit.StartDaemon(t, referenceDaemon, testkit.Config("{dir}")+testkit.RPCConfig("{dir}")+
		"\n[program:idle]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
	if got, ok := ref.WaitStates(map[string]string{"idle": "RUNNING"}, 20*time.Second); !ok {
		t.Fatalf("reference states %v", got)
	}
	r := testkit.RunCtl(t, oursCtl(), ref.Dir, "", append([]string{"-c", ref.Conf}, args...)...)
	fmt.Fprintf(out, "$ supervisorctl %s (the reference's daemon)\n%s", strings.Join(args, " "), r)
}
