package statefile

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

func TestMain(m *testing.M) { testkit.VerifyTestMain(m) }

func TestRoundTrip(t *testing.T) {
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	s := New()
	s.Processes["web:web_0"] = Intent{Disabled: true, User: "alice", From: "10.0.0.5:51234", At: at}
	s.Processes["cron:cron"] = Intent{Stopped: true}
	s.Scale["web"] = Scale{Instances: 3, Numprocs: 2}
	path := filepath.Join(t.TempDir(), "supervisord.state")
	if err := Write(path, s); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("read back %+v, want %+v", got, s)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestReadMissing(t *testing.T) {
	s, err := Read(filepath.Join(t.TempDir(), "none"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, New()) {
		t.Errorf("a missing file reads as %+v, want an empty state", s)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{``, "not a state file"},
		{`{`, "not a state file"},
		{`[]`, "not a state file"},
		{`{"version": 1} {}`, "more than one JSON value"},
		{`{}`, "unsupported version 0"},
		{`{"version": 2}`, "unsupported version 2"},
		{`{"version": 1, "processes": {"web": {}}}`, `process "web": not a group:name`},
		{`{"version": 1, "processes": {":web": {}}}`, `process ":web": not a group:name`},
		{`{"version": 1, "processes": {"a:b:c": {}}}`, `process "a:b:c": not a group:name`},
		{`{"version": 1, "processes": {"a:b": {"disabled": "yes"}}}`, "not a state file"},
		{`{"version": 1, "scale": {"web": {"instances": -1, "numprocs": 2}}}`, `scale "web": a negative number`},
		{`{"version": 1, "scale": {"a:b": {"instances": 1, "numprocs": 2}}}`, `scale "a:b": not a group name`},
	} {
		_, err := Parse([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error with %q", tc.in, err, tc.want)
		}
	}
}

func TestReadCorruptNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "supervisord.state")
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Read(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Read = %v, want an error naming %s", err, path)
	}
}

func TestParseKeepsUnknownFieldsOut(t *testing.T) {
	// A field a later version adds is not an error in this version's
	// format; it is dropped on the next write.
	s, err := Parse([]byte(`{"version": 1, "processes": {"a:b": {"stopped": true, "why": "x"}}, "later": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Processes["a:b"]; !got.Stopped || got.Disabled {
		t.Errorf("intent %+v", got)
	}
}

// TestWriteAtomic shows a write leaves only the file (no temporary file
// beside it), replaces an older one whole, and leaves the old one in
// place when it fails.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "supervisord.state")
	if err := os.WriteFile(path, []byte(strings.Repeat("x", 4096)), 0o600); err != nil {
		t.Fatal(err)
	}
	s := New()
	s.Processes["a:a"] = Intent{Stopped: true}
	if err := Write(path, s); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "supervisord.state" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %q, want only supervisord.state", names)
	}
	if got, err := Read(path); err != nil || !got.Processes["a:a"].Stopped {
		t.Errorf("Read = %+v, %v", got, err)
	}

	// A directory that cannot take a new file: the write fails and the
	// old file stays.
	if os.Geteuid() == 0 {
		t.Skip("root writes into a read-only directory")
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	s.Processes["b:b"] = Intent{Disabled: true}
	if err := Write(path, s); err == nil {
		t.Fatal("a write into a read-only directory succeeded")
	}
	if got, err := Read(path); err != nil || len(got.Processes) != 1 {
		t.Errorf("after a failed write Read = %+v, %v; want the old state", got, err)
	}
}

func TestHeld(t *testing.T) {
	for _, tc := range []struct {
		in   Intent
		held bool
	}{
		{Intent{}, false},
		{Intent{User: "a"}, false},
		{Intent{Stopped: true}, true},
		{Intent{Disabled: true}, true},
	} {
		if tc.in.Held() != tc.held || tc.in.IsZero() == tc.held {
			t.Errorf("%+v: Held %t IsZero %t", tc.in, tc.in.Held(), tc.in.IsZero())
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"version": 1, "processes": {"web:web_0": {"disabled": true, "user": "alice", "at": "2024-05-01T10:00:00Z"}}, "scale": {"web": {"instances": 3, "numprocs": 2}}}`))
	f.Add([]byte(`{"version": 1}`))
	f.Add([]byte(`{"version": 2}`))
	f.Add([]byte(`garbage`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		// What parses writes back to something that parses the same.
		out, err := Marshal(s)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		out2, _ := Marshal(again)
		if string(out) != string(out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}
