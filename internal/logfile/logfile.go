// Package logfile is what child output and the main log are written through:
// a size-rotating file writer with the reference's rollover rules, the AUTO
// log name, the strip_ansi filter, the *_syslog writer, and the read/tail
// helpers behind readProcessLog and tailProcessLog.
package logfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"

	"supervisord/internal/fsutil"
)

// File is one log file, rotated by size like the reference's
// RotatingFileHandler: after a write leaves the file at or above maxBytes it
// becomes path.1 (older backups shift up to path.N) and a fresh path is
// started. A write is never split, so a file may exceed maxBytes by up to one
// write. It is safe for concurrent use.
type File struct {
	mu       sync.Mutex
	path     string
	maxBytes int64
	backups  int
	f        *os.File
	size     int64
	// special is true for /dev/stdout, fifos and the like: they are written
	// as-is and never rotated, seeked, removed or truncated.
	special bool
}

// Open opens (creating if needed) path for appending. maxBytes 0 never
// rotates; backups 0 means a rollover simply starts the file over, as in the
// reference.
func Open(path string, maxBytes int64, backups int) (*File, error) {
	if maxBytes < 0 {
		maxBytes = 0
	}
	if backups < 0 {
		backups = 0
	}
	lf := &File{path: path, maxBytes: maxBytes, backups: backups}
	if err := lf.open(os.O_APPEND); err != nil {
		return nil, err
	}
	return lf, nil
}

// open (re)opens the path; flag is O_APPEND or O_TRUNC. Callers hold mu or
// own lf exclusively.
func (lf *File) open(flag int) error {
	special := isSpecialPath(lf.path)
	if special {
		// Truncating a terminal or a pipe is meaningless and truncating a
		// regular file behind /dev/stdout would destroy someone else's output.
		flag = os.O_APPEND
	}
	f, err := os.OpenFile(lf.path, os.O_WRONLY|os.O_CREATE|flag, 0o644)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat log file: %w", err)
	}
	lf.f = f
	lf.special = special || !st.Mode().IsRegular()
	lf.size = 0
	if !lf.special {
		lf.size = st.Size()
	}
	return nil
}

// isSpecialPath reports paths that name another file descriptor rather than a
// file of their own (/dev/stdout is a symlink into /proc that stat follows to
// whatever fd 1 is, possibly a regular file we must not rename).
func isSpecialPath(path string) bool {
	return strings.HasPrefix(path, "/dev/") || strings.HasPrefix(path, "/proc/")
}

// Path is the file's name as given to Open.
func (lf *File) Path() string { return lf.path }

// Size is the current file's length as far as this writer knows (0 for
// special files).
func (lf *File) Size() int64 {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	return lf.size
}

// Write appends p in one piece and then rolls the file over if it has
// reached maxBytes.
func (lf *File) Write(p []byte) (int, error) {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if lf.f == nil {
		return 0, fmt.Errorf("write log file %s: %w", lf.path, os.ErrClosed)
	}
	n, err := lf.f.Write(p)
	if err != nil {
		err = fmt.Errorf("write log file: %w", err)
	}
	if lf.special {
		return n, err
	}
	lf.size += int64(n)
	if err != nil || lf.maxBytes == 0 || lf.size < lf.maxBytes {
		return n, err
	}
	// The counter can overestimate when someone truncated the file behind our
	// back (logrotate copytruncate); the reference asks the file offset, so
	// confirm with it before rolling.
	if off, err := lf.f.Seek(0, io.SeekCurrent); err == nil {
		lf.size = off
		if off < lf.maxBytes {
			return n, nil
		}
	}
	if err := lf.rollover(); err != nil {
		return n, err
	}
	return n, nil
}

// rollover shifts path.(N-1)..path.1 up by one, moves path to path.1 and
// starts an empty path. Missing files in the chain are skipped, as are
// races with someone else deleting them. If renaming fails the current file
// is reopened for appending so that no output is lost.
func (lf *File) rollover() error {
	if err := lf.f.Close(); err != nil {
		lf.f = nil
		return errors.Join(fmt.Errorf("close log file for rollover: %w", err), lf.open(os.O_APPEND))
	}
	lf.f = nil
	if lf.backups > 0 {
		for i := lf.backups - 1; i > 0; i-- {
			src := lf.path + "." + strconv.Itoa(i)
			if _, err := os.Lstat(src); err != nil {
				continue
			}
			if err := replace(src, lf.path+"."+strconv.Itoa(i+1)); err != nil {
				return errors.Join(err, lf.open(os.O_APPEND))
			}
		}
		if err := replace(lf.path, lf.path+".1"); err != nil {
			return errors.Join(err, lf.open(os.O_APPEND))
		}
	}
	return lf.open(os.O_TRUNC)
}

// replace renames src over dst, tolerating either having vanished.
func replace(src, dst string) error {
	if err := fsutil.Unlink(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("rotate log file: %w", err)
	}
	if err := os.Rename(src, dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("rotate log file: %w", err)
	}
	return nil
}

// Reopen closes the file and opens the path again, so that after an external
// logrotate moved it away we write to a new file (SIGUSR2 / reopen).
func (lf *File) Reopen() error {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if lf.f != nil {
		lf.f.Close() // the old descriptor's fate does not matter any more
		lf.f = nil
	}
	return lf.open(os.O_APPEND)
}

// Clear empties the log the way clearProcessLogs does: the file is removed
// and recreated (backups are kept). Special files are left alone.
func (lf *File) Clear() error {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if lf.special {
		return nil
	}
	if lf.f != nil {
		lf.f.Close()
		lf.f = nil
	}
	if err := fsutil.Unlink(lf.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return errors.Join(fmt.Errorf("clear log file: %w", err), lf.open(os.O_APPEND))
	}
	return lf.open(os.O_APPEND)
}

// Close closes the file; later writes fail.
func (lf *File) Close() error {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if lf.f == nil {
		return nil
	}
	err := lf.f.Close()
	lf.f = nil
	if err != nil {
		return fmt.Errorf("close log file: %w", err)
	}
	return nil
}
