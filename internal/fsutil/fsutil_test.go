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

// A duplicate is a new descriptor, never a standard one, close-on-exec, and
// the same pipe.
func TestDup(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	fd, err := Dup(w)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if fd < 3 || fd == int(w.Fd()) {
		t.Errorf("duplicate is fd %d", fd)
	}
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	if errno != 0 || flags&syscall.FD_CLOEXEC == 0 {
		t.Errorf("flags %#x (%v): not close-on-exec", flags, errno)
	}
	if _, err := syscall.Write(fd, []byte("x")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if n, err := r.Read(b); n != 1 || b[0] != 'x' || err != nil {
		t.Errorf("read %q, %v through the duplicate", b[:n], err)
	}
}
