package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"supervisord/conf"
)

// The sample must be a config our own parser accepts, whatever arguments
// come along.
func TestSampleParses(t *testing.T) {
	for _, args := range [][]string{nil, {"-h"}, {"anything", "else"}} {
		var out, errOut bytes.Buffer
		if code := NewCLI(&out, &errOut).Run(args); code != 0 {
			t.Fatalf("Run(%q) = %d, stderr %q", args, code, errOut.String())
		}
		if out.String() != conf.Sample() || out.Len() == 0 {
			t.Fatalf("Run(%q) printed %d bytes, want the %d-byte sample", args, out.Len(), len(conf.Sample()))
		}
		path := filepath.Join(t.TempDir(), "supervisord.conf")
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := conf.Load(path); err != nil {
			t.Fatalf("the sample does not load: %v", err)
		}
	}
}
