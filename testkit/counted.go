package testkit

import (
	"bufio"
	"os"
	"strconv"
	"testing"
)

// CountedLines checks that the file at path holds the lines 0, 1, 2, …
// (what a shell loop echoing a counter writes), each once and in order, and
// returns how many there are; the first line out of place fails the test.
func CountedLines(t testing.TB, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		if got, want := sc.Text(), strconv.Itoa(n); got != want {
			t.Fatalf("line %d of %s is %q, want %q", n+1, path, got, want)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}
