// Package fsutil holds file-system helpers the daemon needs where the
// standard library's behaviour differs from the reference's.
package fsutil

import (
	"io/fs"
	"syscall"
)

// Unlink removes the file at path, never a directory: unlike os.Remove,
// which falls back to rmdir, it fails with EISDIR on a directory, as the
// reference's os.remove and os.unlink do. A missing file is an error
// matching fs.ErrNotExist.
func Unlink(path string) error {
	for {
		err := syscall.Unlink(path)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &fs.PathError{Op: "unlink", Path: path, Err: err}
		}
		return nil
	}
}

// DupCloexec duplicates fd onto the lowest free descriptor from 3 up (never
// a standard one), close-on-exec.
func DupCloexec(fd int) (int, error) {
	for {
		r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 3)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return -1, errno
		}
		return int(r), nil
	}
}

// Dup duplicates the descriptor behind c (an *os.File, a net.Conn or
// listener) with DupCloexec, without touching its blocking mode as
// os.File.Fd would.
func Dup(c syscall.Conn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd, derr := -1, error(nil)
	if err := rc.Control(func(raw uintptr) { fd, derr = DupCloexec(int(raw)) }); err != nil {
		return -1, err
	}
	return fd, derr
}
