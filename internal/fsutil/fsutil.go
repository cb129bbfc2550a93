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
