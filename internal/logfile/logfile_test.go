package logfile

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// TestRollover pins the reference's rules: roll after a write that leaves the
// file at or above maxBytes, never split a write, shift the backup chain,
// truncate when there are no backups, never roll with maxBytes 0.
func TestRollover(t *testing.T) {
	tests := []struct {
		name     string
		existing string // content of the file before Open
		maxBytes int64
		backups  int
		writes   []string
		want     []string // path, path.1, path.2, ...; "-" for absent
	}{
		{"below limit", "", 10, 2, []string{"12345", "1234"}, []string{"123451234", "-"}},
		{"exactly at limit rolls", "", 10, 2, []string{"12345", "67890"}, []string{"", "1234567890", "-"}},
		{"write is never split", "", 10, 2, []string{"123456789012345"}, []string{"", "123456789012345", "-"}},
		{"chain shifts", "", 4, 2, []string{"aaaa", "bbbb", "cccc", "dd"}, []string{"dd", "cccc", "bbbb", "-"}},
		{"oldest falls off", "", 4, 2, []string{"aaaa", "bbbb", "cccc", "dddd"}, []string{"", "dddd", "cccc", "-"}},
		{"no backups truncates", "", 4, 0, []string{"aaaa", "bb"}, []string{"bb", "-"}},
		{"never rotates at 0", "", 0, 2, []string{"aaaa", "bbbb"}, []string{"aaaabbbb", "-"}},
		{"existing size counts", "xxxxxxxx", 10, 1, []string{"ab"}, []string{"", "xxxxxxxxab", "-"}},
		{"oversized existing file waits for a write", "xxxxxxxxxxxx", 10, 1, nil, []string{"xxxxxxxxxxxx", "-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.log")
			if tt.existing != "" {
				if err := os.WriteFile(path, []byte(tt.existing), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			lf, err := Open(path, tt.maxBytes, tt.backups)
			if err != nil {
				t.Fatal(err)
			}
			defer lf.Close()
			for _, w := range tt.writes {
				if n, err := lf.Write([]byte(w)); err != nil || n != len(w) {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			for i, want := range tt.want {
				p := path
				if i > 0 {
					p += "." + strconv.Itoa(i)
				}
				if want == "-" {
					if exists(p) {
						t.Errorf("%s exists, want absent", p)
					}
					continue
				}
				if got := readFile(t, p); got != want {
					t.Errorf("%s = %q, want %q", p, got, want)
				}
			}
			if got, want := lf.Size(), int64(len(readFile(t, path))); got != want {
				t.Errorf("Size() = %d, file has %d", got, want)
			}
		})
	}
}

// writeRandom writes total random bytes in chunks of 1..64KiB and returns them.
func writeRandom(t *testing.T, lf *File, total int) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	in := make([]byte, total)
	for i := range in {
		in[i] = byte(r.Uint32())
	}
	for p := in; len(p) > 0; {
		n := min(1+r.IntN(64<<10), len(p))
		if _, err := lf.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	return in
}

// concat joins path.N .. path.1, path: the output in the order it was written.
func concat(t *testing.T, path string) ([]byte, int) {
	t.Helper()
	n := 0
	for exists(path + "." + strconv.Itoa(n+1)) {
		n++
	}
	var all []byte
	for i := n; i > 0; i-- {
		all = append(all, readFile(t, path+"."+strconv.Itoa(i))...)
	}
	return append(all, readFile(t, path)...), n
}

func TestRotationLosesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.log")
	lf, err := Open(path, 1<<20, 100)
	if err != nil {
		t.Fatal(err)
	}
	in := writeRandom(t, lf, 20<<20)
	if err := lf.Close(); err != nil {
		t.Fatal(err)
	}
	got, n := concat(t, path)
	if n < 18 {
		t.Errorf("only %d backups for 20MB at 1MB each", n)
	}
	if !bytes.Equal(got, in) {
		t.Fatalf("rotated files (%d bytes) differ from the %d bytes written", len(got), len(in))
	}
}

func TestRotationKeepsNewest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "small.log")
	lf, err := Open(path, 1<<20, 3)
	if err != nil {
		t.Fatal(err)
	}
	in := writeRandom(t, lf, 10<<20)
	lf.Close()
	got, n := concat(t, path)
	if n != 3 {
		t.Errorf("%d backups, want 3", n)
	}
	if len(got) < 3<<20 || !bytes.HasSuffix(in, got) {
		t.Fatalf("kept %d bytes, not the newest bytes written", len(got))
	}
}

// TestCopyTruncate: when logrotate truncates the file under us the reference
// asks the real offset before rolling, so the shrunken file is not rotated.
func TestCopyTruncate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ct.log")
	lf, err := Open(path, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	lf.Write([]byte("12345678"))
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	lf.Write([]byte("abcd"))
	if exists(path + ".1") {
		t.Fatal("rolled over a file holding 4 bytes")
	}
	if got := readFile(t, path); got != "abcd" {
		t.Fatalf("file = %q", got)
	}
}

func TestReopenAfterExternalMove(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.log")
	lf, err := Open(path, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	lf.Write([]byte("old\n"))
	if err := os.Rename(path, path+".moved"); err != nil {
		t.Fatal(err)
	}
	lf.Write([]byte("still old\n"))
	if err := lf.Reopen(); err != nil {
		t.Fatal(err)
	}
	lf.Write([]byte("new\n"))
	if got := readFile(t, path+".moved"); got != "old\nstill old\n" {
		t.Errorf("moved file = %q", got)
	}
	if got := readFile(t, path); got != "new\n" {
		t.Errorf("reopened file = %q", got)
	}
	if lf.Size() != 4 {
		t.Errorf("Size() = %d, want 4", lf.Size())
	}
}

func TestClear(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	lf, err := Open(path, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	lf.Write([]byte("aaaa"))
	lf.Write([]byte("bb"))
	if err := lf.Clear(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "" {
		t.Errorf("cleared file = %q", got)
	}
	if got := readFile(t, path+".1"); got != "aaaa" {
		t.Errorf("backup = %q, clearing must keep it", got)
	}
	lf.Write([]byte("c"))
	if got := readFile(t, path); got != "c" || lf.Size() != 1 {
		t.Errorf("after clear file = %q size %d", got, lf.Size())
	}
}

// A directory found where a file is to be removed (the log itself when
// clearing, a backup when rotating) is left alone, as the reference's
// os.remove leaves it: the operation fails and no output is lost.
func TestDirectoriesAreNotRemoved(t *testing.T) {
	t.Run("clear", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "c.log")
		lf, err := Open(path, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer lf.Close()
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(path, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := lf.Clear(); !errors.Is(err, syscall.EISDIR) {
			t.Errorf("Clear: %v, want EISDIR", err)
		}
		if st, err := os.Stat(path); err != nil || !st.IsDir() {
			t.Errorf("the directory is gone: %v", err)
		}
	})
	t.Run("rotate", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "r.log")
		lf, err := Open(path, 4, 2)
		if err != nil {
			t.Fatal(err)
		}
		defer lf.Close()
		// The oldest backup is the one removed to make room.
		if err := os.WriteFile(path+".1", []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(path+".2", 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := lf.Write([]byte("aaaa")); !errors.Is(err, syscall.EISDIR) {
			t.Errorf("rotating onto a directory: %v, want EISDIR", err)
		}
		if st, err := os.Stat(path + ".2"); err != nil || !st.IsDir() {
			t.Errorf("the directory is gone: %v", err)
		}
		if got := readFile(t, path+".1"); got != "old" {
			t.Errorf("backup = %q, want it untouched", got)
		}
		if _, err := lf.Write([]byte("b")); err != nil && !errors.Is(err, syscall.EISDIR) {
			t.Fatal(err)
		}
		if got := readFile(t, path); !strings.HasPrefix(got, "aaaab") {
			t.Errorf("log = %q, want every byte kept", got)
		}
	})
}

// TestSpecialFileNeverRotates uses a fifo: a non-regular file is written
// through untouched whatever maxBytes says.
func TestSpecialFileNeverRotates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	got := make(chan []byte)
	go func() {
		r, err := os.Open(path)
		if err != nil {
			got <- nil
			return
		}
		defer r.Close()
		b, _ := io.ReadAll(r)
		got <- b
	}()
	lf, err := Open(path, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"abc", "def"} {
		if _, err := lf.Write([]byte(w)); err != nil {
			t.Fatal(err)
		}
	}
	if err := lf.Clear(); err != nil {
		t.Fatal(err)
	}
	lf.Write([]byte("g"))
	lf.Close()
	if b := <-got; string(b) != "abcdefg" {
		t.Errorf("fifo got %q", b)
	}
	if exists(path + ".1") {
		t.Error("special file was rotated")
	}
	if lf.Size() != 0 {
		t.Errorf("Size() = %d for a fifo", lf.Size())
	}
}

func TestWriteAfterClose(t *testing.T) {
	lf, err := Open(filepath.Join(t.TempDir(), "x.log"), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	lf.Close()
	if _, err := lf.Write([]byte("x")); err == nil {
		t.Fatal("write after Close succeeded")
	}
}

func TestOpenFailure(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "no", "such", "dir.log"), 0, 0); err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
}

func BenchmarkWrite(b *testing.B) {
	for _, size := range []int{80, 64 << 10} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			lf, err := Open(filepath.Join(b.TempDir(), "bench.log"), 50<<20, 2)
			if err != nil {
				b.Fatal(err)
			}
			defer lf.Close()
			p := bytes.Repeat([]byte("x"), size-1)
			p = append(p, '\n')
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := lf.Write(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
