package fleet

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"supervisord/testkit"
)

// TestFollowLines: a followed log gives its last lines (the first, cut
// one left out), then each whole line appended, a line written in two
// pieces as one, across a rotation, and nothing once cancelled.
func TestFollowLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.log")
	old := strings.Repeat("x", 2000) + "\nlast old line\n"
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	lines := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
	cancel := followLines(path, func(l Line) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, l.Text)
	})
	defer cancel()
	testkit.Eventually(t, 5*time.Second, func() bool { return len(lines()) == 1 }, "the last old line")
	if l := lines(); l[0] != "last old line" {
		t.Fatalf("from the end: %q", l)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("one\ntw")
	f.Sync()
	f.WriteString("o\n")
	f.Close()
	// Rotated: the old file moves away, a new one takes its place.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("three\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() bool { return len(lines()) == 4 }, "four lines")
	if l := lines(); strings.Join(l, "|") != "last old line|one|two|three" {
		t.Errorf("followed: %q", l)
	}
	cancel() // returns once the follower has stopped: nothing comes after
	os.WriteFile(path, []byte("three\nfour\n"), 0o644)
	if l := lines(); len(l) != 4 {
		t.Errorf("after cancel: %q", l)
	}
}

// TestStreamLeavesOut: a merged stream never blocks its nodes; lines its
// reader has no room for are left out, and the reader is told how many
// before the next line it gets.
func TestStreamLeavesOut(t *testing.T) {
	r := &receiver{out: make(chan Line, 2)}
	for i := range 5 {
		r.send(Line{Node: "n", Text: string(rune('a' + i))})
	}
	if a, b := <-r.out, <-r.out; a.Text != "a" || b.Text != "b" {
		t.Fatalf("first two: %q %q", a.Text, b.Text)
	}
	r.send(Line{Node: "n", Text: "f"})
	if note := <-r.out; note.Event != NoteEvent || note.Text != "3 lines left out: the reader fell behind" {
		t.Errorf("note: %+v", note)
	}
	if l := <-r.out; l.Text != "f" {
		t.Errorf("after the note: %+v", l)
	}
	r.close()
	r.send(Line{Text: "late"}) // after the end: dropped, no panic
	if _, open := <-r.out; open {
		t.Error("the stream is still open")
	}
}
