package logfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// The expectations below were taken from the reference's readFile and
// tailFile run on the same ten-byte file.
func writeDigits(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "digits")
	if err := os.WriteFile(path, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRead(t *testing.T) {
	path := writeDigits(t)
	tests := []struct {
		offset, length int64
		want           string
		err            error
	}{
		{0, 0, "0123456789", nil},
		{0, 3, "012", nil},
		{4, 0, "456789", nil},
		{4, 100, "456789", nil},
		{20, 5, "", nil},
		{10, 0, "", nil},
		{-3, 0, "789", nil},
		{-30, 0, "0123456789", nil},
		{-3, 5, "", ErrBadArguments},
		{0, -1, "", ErrBadArguments},
	}
	for _, tt := range tests {
		got, err := Read(path, tt.offset, tt.length)
		if !errors.Is(err, tt.err) || string(got) != tt.want {
			t.Errorf("Read(%d, %d) = %q, %v; want %q, %v", tt.offset, tt.length, got, err, tt.want, tt.err)
		}
	}
	if _, err := Read(path+".missing", 0, 0); !errors.Is(err, ErrFailed) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Read of a missing file: %v, want ErrFailed wrapping not-exist", err)
	}
}

func TestTail(t *testing.T) {
	path := writeDigits(t)
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path           string
		offset, length int64
		want           string
		newOffset      int64
		overflow       bool
	}{
		{path, 0, 3, "789", 10, true},
		{path, 0, 10, "0123456789", 10, false},
		{path, 0, 20, "0123456789", 10, false},
		{path, 5, 3, "789", 10, true},
		{path, 7, 3, "789", 10, false},
		{path, 8, 3, "789", 10, false},
		{path, 10, 5, "", 10, false},
		{path, 20, 5, "", 10, false},
		{path, -5, 10, "0123456789", 10, true},
		{path, 0, 0, "", 10, true},
		{path, 3, -2, "", 10, true},
		{path, -20, 5, "56789", 10, true},
		{empty, 0, 0, "", 0, false},
		{empty, 0, 5, "", 0, false},
		{empty, 5, 5, "", 0, false},
	}
	for _, tt := range tests {
		got, off, over, err := Tail(tt.path, tt.offset, tt.length)
		if err != nil || string(got) != tt.want || off != tt.newOffset || over != tt.overflow {
			t.Errorf("Tail(%s, %d, %d) = %q, %d, %v, %v; want %q, %d, %v",
				filepath.Base(tt.path), tt.offset, tt.length, got, off, over, err, tt.want, tt.newOffset, tt.overflow)
		}
	}
	got, off, over, err := Tail(path+".missing", 7, 5)
	if !errors.Is(err, ErrFailed) || len(got) != 0 || off != 7 || over {
		t.Errorf("Tail of a missing file = %q, %d, %v, %v; want empty, 7, false, ErrFailed", got, off, over, err)
	}
}
