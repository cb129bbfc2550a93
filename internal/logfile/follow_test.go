package logfile

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// drain calls Next until nothing is new, returning what it read with the
// changes found, as "<truncated>" and "<rotated>".
func drain(t *testing.T, fl *Follower, bufSize int) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, bufSize)
	for {
		n, ch, err := fl.Next(buf)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case n > 0:
			b.Write(buf[:n])
		case ch != NoChange:
			b.WriteString("<" + ch.String() + ">")
		default:
			return b.String()
		}
	}
}

// TestFollowSteps follows one file through what happens to logs: it is
// created late, grows, is rotated (renamed, its writer still appending to
// it a moment, and a new file created), truncated in place, moved away
// with no new file for a while, and cleared (removed and recreated).
func TestFollowSteps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.log")
	appendTo := func(p, s string) {
		t.Helper()
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	var w *os.File // the writer's descriptor, across a rotation
	steps := []struct {
		name string
		do   func()
		want string
	}{
		{"no file yet", func() {}, ""},
		{"created: the last 5 bytes", func() { appendTo(path, "hello world") }, "world"},
		{"grows", func() { appendTo(path, "abc") }, "abc"},
		{"nothing new", func() {}, ""},
		{"rotated while the writer appends to the old file", func() {
			var err error
			if w, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(path, path+".1"); err != nil {
				t.Fatal(err)
			}
			w.WriteString("last")
			w.Close()
			appendTo(path, "new")
		}, "last<rotated>new"},
		{"truncated in place and rewritten shorter", func() {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
			appendTo(path, "xy")
		}, "<truncated>xy"},
		{"moved away, none in its place", func() {
			appendTo(path, "1")
			os.Rename(path, path+".2")
			appendTo(path+".2", "2")
		}, "12"},
		{"a new file at last", func() { appendTo(path, "3") }, "<rotated>3"},
		{"cleared: removed and recreated", func() {
			os.Remove(path)
			appendTo(path, "456")
		}, "<rotated>456"},
	}
	fl := Follow(path, -5)
	defer fl.Close()
	for _, s := range steps {
		s.do()
		if got := drain(t, fl, 2); got != s.want {
			t.Errorf("%s: read %q, want %q", s.name, got, s.want)
		}
	}
	if fl.Offset() != 3 {
		t.Errorf("offset %d at the end", fl.Offset())
	}
}

func TestFollowStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	os.WriteFile(path, []byte("0123456789"), 0o644)
	for _, c := range []struct {
		from int64
		want string
	}{
		{-4, "6789"}, {-100, "0123456789"}, {0, "0123456789"}, {7, "789"}, {10, ""},
		{12, "<truncated>0123456789"}, // an offset past the end: the file was truncated since
	} {
		fl := Follow(path, c.from)
		if got := drain(t, fl, 4); got != c.want {
			t.Errorf("Follow(%d) read %q, want %q", c.from, got, c.want)
		}
		fl.Close()
	}
	// Pending and SetOffset, as a reader that skips a backlog uses them.
	fl := Follow(path, 2)
	defer fl.Close()
	if p := fl.Pending(); p != 8 {
		t.Errorf("Pending = %d, want 8", p)
	}
	fl.SetOffset(fl.Offset() + 5)
	if got := drain(t, fl, 4); got != "789" || fl.Pending() != 0 {
		t.Errorf("after skipping 5: %q, pending %d", got, fl.Pending())
	}
	if p := Follow(filepath.Join(t.TempDir(), "none"), -5).Pending(); p != 0 {
		t.Errorf("Pending of a missing file = %d", p)
	}
}

// logWriter is what writes a followed log in TestFollowWhileWritten.
type logWriter struct {
	write func(p []byte) error
	// rotates reports whether writing n more bytes rotates the file.
	rotates func(n int) bool
	// truncate empties the file in place; nil when the writer cannot
	// take that.
	truncate func() error
}

// handWriter appends to path and rotates it by hand at maxBytes: renamed
// to path.1 and a new file created, the way logrotate and our own
// logfile.File do it.
func handWriter(t *testing.T, path string, maxBytes int64) logWriter {
	open := func() *os.File {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	f := open()
	t.Cleanup(func() { f.Close() })
	size := func() int64 {
		st, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	return logWriter{
		write: func(p []byte) error {
			if _, err := f.Write(p); err != nil {
				return err
			}
			if size() < maxBytes {
				return nil
			}
			if err := os.Rename(path, path+".1"); err != nil {
				return err
			}
			f.Close()
			f = open()
			return nil
		},
		rotates:  func(n int) bool { return size()+int64(n) >= maxBytes },
		truncate: func() error { return os.Truncate(path, 0) },
	}
}

// fileWriter writes path through logfile.File, which rotates it at
// maxBytes keeping 3 backups. (A file it rotated it reopens without
// O_APPEND, as the reference does, so truncating it behind its back
// leaves a hole: not tried here.)
func fileWriter(t *testing.T, path string, maxBytes int64) logWriter {
	lf, err := Open(path, maxBytes, 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lf.Close() })
	return logWriter{
		write:   func(p []byte) error { _, err := lf.Write(p); return err },
		rotates: func(n int) bool { return lf.Size()+int64(n) >= maxBytes },
	}
}

// TestFollowWhileWritten follows a log while it is written, rotated at
// 8 KiB and, now and then, truncated in place, with reader and writer
// running at once: the reader must get every byte, in order. The writer
// lets the reader catch up only where a path-based reader must be let:
// before a second rotation (a file rotated twice between two reads is
// gone from the path) and around a truncation (bytes written before it
// and not yet read are lost with it, and a file that regrows past the
// offset before the next read hides it).
func TestFollowWhileWritten(t *testing.T) {
	for _, tt := range []struct {
		name   string
		writer func(*testing.T, string, int64) logWriter
	}{{"by hand", handWriter}, {"logfile.File", fileWriter}} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.log")
			followWhileWritten(t, path, tt.writer(t, path, 8<<10))
		})
	}
}

func followWhileWritten(t *testing.T, path string, w logWriter) {
	var (
		mu          sync.Mutex
		got         []byte
		rotations   atomic.Int64
		truncations atomic.Int64
		stop        = make(chan struct{})
		done        = make(chan struct{})
	)
	fl := Follow(path, 0)
	fl.Pending() // opens the file, before the writer can rotate it
	go func() {
		defer close(done)
		defer fl.Close()
		r := rand.New(rand.NewPCG(3, 4))
		buf := make([]byte, 4096)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			n, ch, err := fl.Next(buf[:1+r.IntN(len(buf))])
			switch {
			case err != nil:
				t.Error(err)
				return
			case n > 0:
				mu.Lock()
				got = append(got, buf[:n]...)
				mu.Unlock()
				continue
			case ch == Rotated:
				rotations.Add(1)
				continue
			case ch == Truncated:
				truncations.Add(1)
				continue
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	read := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(got)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !cond(); {
			if time.Now().After(deadline) {
				close(stop)
				<-done
				t.Fatalf("the reader did not %s within 20s (read %d bytes, %d rotations, %d truncations)",
					what, read(), rotations.Load(), truncations.Load())
			}
			time.Sleep(time.Millisecond)
		}
	}

	r := rand.New(rand.NewPCG(1, 2))
	var written []byte
	var rotated, truncated int64
	for len(written) < 1<<20 {
		if w.truncate != nil && r.IntN(100) == 0 {
			n := len(written)
			waitFor("catch up before a truncation", func() bool { return read() == n })
			if err := w.truncate(); err != nil {
				t.Fatal(err)
			}
			truncated++
			waitFor("see the truncation", func() bool { return truncations.Load() == truncated })
		}
		chunk := make([]byte, 1+r.IntN(3000))
		for i := range chunk {
			chunk[i] = byte('a' + r.IntN(26))
		}
		if w.rotates(len(chunk)) {
			waitFor("see the last rotation", func() bool { return rotations.Load() == rotated })
			rotated++
		}
		if err := w.write(chunk); err != nil {
			t.Fatal(err)
		}
		written = append(written, chunk...)
	}
	waitFor("read everything", func() bool { return read() == len(written) })
	close(stop)
	<-done
	if rotated < 100 || w.truncate != nil && truncated == 0 {
		t.Errorf("only %d rotations and %d truncations: the test did not test much", rotated, truncated)
	}
	if rotations.Load() != rotated || truncations.Load() != truncated {
		t.Errorf("the reader saw %d rotations and %d truncations of %d and %d", rotations.Load(), truncations.Load(), rotated, truncated)
	}
	if !bytes.Equal(got, written) {
		t.Errorf("read %d bytes, not the %d written", len(got), len(written))
	}
}
