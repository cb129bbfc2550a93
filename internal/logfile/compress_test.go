package logfile

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"supervisord/testkit"
)

// waitCompressed waits until lf's compressor has nothing left to do.
func waitCompressed(lf *File) {
	for {
		lf.mu.Lock()
		done := lf.gz.done
		lf.mu.Unlock()
		if done == nil {
			return
		}
		<-done
	}
}

func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	b, err := testkit.ReadGzip(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// concatGz joins path.N.gz .. path.1.gz, path, and fails on any backup
// left uncompressed.
func concatGz(t *testing.T, path string) ([]byte, int) {
	t.Helper()
	n := 0
	for exists(path + "." + strconv.Itoa(n+1) + ".gz") {
		n++
	}
	var all []byte
	for i := n; i > 0; i-- {
		p := path + "." + strconv.Itoa(i)
		if exists(p) {
			t.Errorf("%s is still there next to its .gz", p)
		}
		all = append(all, gunzip(t, p+".gz")...)
	}
	return append(all, readFile(t, path)...), n
}

// writeCompressed writes 4 MiB to a File at path opened with o and gzip,
// waits for the compressions and returns what was written, what the
// backups and the file hold, and how many backups there are.
func writeCompressed(t *testing.T, path string, o Options) (in, got []byte, n int) {
	t.Helper()
	o.Gzip, o.OnError = true, func(err error) { t.Error(err) }
	lf, err := OpenWith(path, o)
	if err != nil {
		t.Fatal(err)
	}
	in = writeRandom(t, lf, 4<<20)
	waitCompressed(lf)
	lf.Close()
	got, n = concatGz(t, path)
	return in, got, n
}

// Many rotations in a row, most while the previous backup is still being
// compressed: every backup ends up compressed, at its number, and they
// hold exactly the bytes written.
func TestGzipBackupsHoldEveryByte(t *testing.T) {
	for _, maxBytes := range []int64{64 << 10, 1 << 20} {
		t.Run(strconv.FormatInt(maxBytes, 10), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "z.log")
			in, got, n := writeCompressed(t, path, Options{MaxBytes: maxBytes, Backups: 1000})
			// A file rotates after the write that takes it to maxBytes, and
			// writes are up to 64 KiB.
			if want := int(4 << 20 / (maxBytes + 64<<10)); n < want {
				t.Errorf("%d backups, want at least %d", n, want)
			}
			if !bytes.Equal(got, in) {
				t.Fatalf("backups (%d bytes) differ from the %d bytes written", len(got), len(in))
			}
			if left := tmpFiles(t, path); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

// With few backups, rotations drop backups that are queued or being
// compressed: what is kept is the newest output, all compressed.
func TestGzipDroppedWhileCompressing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.log")
	in, got, n := writeCompressed(t, path, Options{MaxBytes: 64 << 10, Backups: 2})
	if n != 2 || !bytes.HasSuffix(in, got) || len(got) < 2*64<<10 {
		t.Fatalf("%d backups holding %d bytes; want 2 holding the newest output", n, len(got))
	}
	if exists(path+".3") || exists(path+".3.gz") {
		t.Error("a third backup")
	}
	if left := tmpFiles(t, path); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// Close gives up a compression (the backup stays plain) and the next
// OpenWith compresses it; nothing is lost.
func TestGzipResumesAfterClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	lf, err := OpenWith(path, Options{MaxBytes: 1 << 20, Backups: 100, Gzip: true})
	if err != nil {
		t.Fatal(err)
	}
	in := writeRandom(t, lf, 4<<20)
	lf.Close() // very likely in the middle of one
	lf, err = OpenWith(path, Options{MaxBytes: 1 << 20, Backups: 100, Gzip: true, OnError: func(err error) { t.Error(err) }})
	if err != nil {
		t.Fatal(err)
	}
	waitCompressed(lf)
	lf.Close()
	got, _ := concatGz(t, path)
	if !bytes.Equal(got, in) {
		t.Fatalf("backups (%d bytes) differ from the %d bytes written", len(got), len(in))
	}
}

// What a crash can leave: a plain backup next to its complete .gz (the
// crash came between the rename and the removal), a plain backup alone
// (before the rename), a temporary file. Opening sorts it out.
func TestGzipRecoversFromCrash(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.log")
	gz := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.Bytes()
	}
	for name, data := range map[string][]byte{
		"x.log":                 []byte("current"),
		"x.log.1":               []byte("one"),
		"x.log.1.gz":            gz("one"),
		"x.log.2":               []byte("two"),
		"x.log.3.gz":            gz("three"),
		"x.log.gz-123.tmp":      []byte("partial"),
		"other.log.gz-9.tmp":    []byte("not ours"),
		"x.log.gz-notatemp.txt": []byte("not a temp file"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lf, err := OpenWith(path, Options{Backups: 5, Gzip: true, OnError: func(err error) { t.Error(err) }})
	if err != nil {
		t.Fatal(err)
	}
	waitCompressed(lf)
	lf.Close()
	var names []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got, want := strings.Join(names, " "), "other.log.gz-9.tmp x.log x.log.1.gz x.log.2.gz x.log.3.gz x.log.gz-notatemp.txt"; got != want {
		t.Errorf("files: %s\nwant:  %s", got, want)
	}
	got, n := concatGz(t, path)
	if n != 3 || string(got) != "threetwoonecurrent" {
		t.Errorf("%d backups: %q", n, got)
	}
}

// Backups compressed earlier keep shifting once compression is turned
// off, and a shift replaces both forms at its destination.
func TestShiftMovesBothForms(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.log")
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte("old"))
	zw.Close()
	if err := os.WriteFile(path+".1.gz", b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	lf, err := OpenWith(path, Options{MaxBytes: 2, Backups: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	lf.Write([]byte("aa"))
	lf.Write([]byte("bb"))
	if got := string(gunzip(t, path+".3.gz")); got != "old" || readFile(t, path+".2") != "aa" || readFile(t, path+".1") != "bb" {
		t.Errorf("after two rotations: .3.gz %q, .2 %q, .1 %q", got, readFile(t, path+".2"), readFile(t, path+".1"))
	}
	lf.Write([]byte("cc"))
	if exists(path+".3.gz") || readFile(t, path+".3") != "aa" {
		t.Error("the oldest backup's .gz was not replaced")
	}
}

func tmpFiles(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(path + tmpMark + "*" + tmpExt)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func BenchmarkWriteGzip(b *testing.B) {
	lf, err := OpenWith(filepath.Join(b.TempDir(), "bench.log"), Options{MaxBytes: 1 << 20, Backups: 3, Gzip: true})
	if err != nil {
		b.Fatal(err)
	}
	defer lf.Close()
	p := append(bytes.Repeat([]byte("x"), 79), '\n')
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if _, err := lf.Write(p); err != nil {
			b.Fatal(err)
		}
	}
}
