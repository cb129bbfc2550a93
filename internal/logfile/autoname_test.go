package logfile

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func TestAutoName(t *testing.T) {
	dir := t.TempDir()
	seen := map[string]bool{}
	for range 50 {
		name, err := AutoName(dir, "web", "supervisor", "stdout")
		if err != nil {
			t.Fatal(err)
		}
		if seen[name] {
			t.Fatalf("%s handed out twice", name)
		}
		seen[name] = true
		if filepath.Dir(name) != dir {
			t.Fatalf("%s is not in %s", name, dir)
		}
		base := filepath.Base(name)
		if !regexp.MustCompile(`^web-stdout---supervisor-[a-z0-9_]{8}\.log$`).MatchString(base) {
			t.Fatalf("%s does not have the reference's shape", base)
		}
		// The reference's childlogdir cleanup pattern must recognise it.
		if !regexp.MustCompile(`.+?---supervisor-\S+\.log\.{0,1}\d{0,4}`).MatchString(base) {
			t.Fatalf("%s escapes the cleanup pattern", base)
		}
		st, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 || st.Size() != 0 {
			t.Fatalf("%s: mode %v size %d", name, st.Mode(), st.Size())
		}
	}
	if _, err := AutoName(filepath.Join(dir, "missing"), "web", "supervisor", "stderr"); err == nil {
		t.Fatal("AutoName in a missing directory succeeded")
	}
}

func TestAutoNameRelativeDir(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.Mkdir("logs", 0o755); err != nil {
		t.Fatal(err)
	}
	name, err := AutoName("logs", "p", "id", "stderr")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(name) {
		t.Fatalf("%s is not absolute", name)
	}
}
