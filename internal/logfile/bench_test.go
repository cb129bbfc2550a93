package logfile

import (
	"bytes"
	"path/filepath"
	"strconv"
	"testing"
)

// The log writer as the output hub drives it: 256 KiB writes from a child
// that writes fast, and rotation (BenchmarkWrite in logfile_test.go covers
// 80-byte and 64 KiB writes into a 50 MB file).

func BenchmarkWriteHotChunks(b *testing.B) {
	benchWrite(b, 256<<10, 64<<20, 0)
}

// BenchmarkWriteRotating rolls the file over every 16 writes of 64 KiB,
// keeping 3 backups: the renames and reopen are what it measures.
func BenchmarkWriteRotating(b *testing.B) {
	for _, size := range []int{80, 64 << 10} {
		b.Run(strconv.Itoa(size), func(b *testing.B) { benchWrite(b, size, 1<<20, 3) })
	}
}

func benchWrite(b *testing.B, size int, maxBytes int64, backups int) {
	lf, err := Open(filepath.Join(b.TempDir(), "bench.log"), maxBytes, backups)
	if err != nil {
		b.Fatal(err)
	}
	defer lf.Close()
	p := append(bytes.Repeat([]byte("x"), size-1), '\n')
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := lf.Write(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTail(b *testing.B) {
	path := filepath.Join(b.TempDir(), "tail.log")
	lf, err := Open(path, 0, 0)
	if err != nil {
		b.Fatal(err)
	}
	line := append(bytes.Repeat([]byte("y"), 79), '\n')
	for range 100000 { // 8 MB
		lf.Write(line)
	}
	lf.Close()
	b.SetBytes(1600)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := Tail(path, -1600, 1600); err != nil {
			b.Fatal(err)
		}
	}
}
