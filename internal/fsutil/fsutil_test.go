package fsutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestUnlink(t *testing.T) {
	for _, tc := range []struct {
		name    string
		make    func(t *testing.T, path string)
		wantErr error // nil: removed
		left    bool  // the path still exists afterwards
	}{
		{"file", func(t *testing.T, path string) { mustWrite(t, path) }, nil, false},
		{"empty directory", func(t *testing.T, path string) { mustMkdir(t, path) }, syscall.EISDIR, true},
		{"missing", func(t *testing.T, path string) {}, fs.ErrNotExist, false},
		{"symlink to a directory", func(t *testing.T, path string) {
			mustMkdir(t, path+".d")
			if err := os.Symlink(path+".d", path); err != nil {
				t.Fatal(err)
			}
		}, nil, false},
		{"socket", func(t *testing.T, path string) {
			fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer syscall.Close(fd)
			if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
				t.Fatal(err)
			}
		}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x")
			tc.make(t, path)
			err := Unlink(path)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("Unlink: %v, want %v", err, tc.wantErr)
			}
			var pe *fs.PathError
			if err != nil && (!errors.As(err, &pe) || pe.Path != path) {
				t.Errorf("error %#v names no path", err)
			}
			if _, err := os.Lstat(path); (err == nil) != tc.left {
				t.Errorf("after Unlink: %v, want left=%v", err, tc.left)
			}
		})
	}
}

func mustWrite(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustMkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
}
