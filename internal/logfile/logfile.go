// Package logfile is what child output and the main log are written through:
// a rotating file writer with the reference's rollover rules (plus rotation
// at the hour or day and gzip backups, period.go and compress.go), the AUTO
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
	"time"

	"supervisord/internal/fsutil"
)

// File is one log file, rotated by size like the reference's
// RotatingFileHandler: after a write leaves the file at or above maxBytes it
// becomes path.1 (older backups shift up to path.N) and a fresh path is
// started. A write is never split, so a file may exceed maxBytes by up to one
// write. Options add rotation at period boundaries, rotation on request
// (Rotate) and compressed backups. It is safe for concurrent use.
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

	every   Period
	clock   Clock
	onError func(error)
	next    time.Time // the period boundary that rotates the file next; zero with NoPeriod
	timer   Timer     // armed for next; nil once closed
	timerID uint64    // which arming is current: an older timer that fires does nothing
	gz      *compressor
}

// Options are how a File rotates.
type Options struct {
	MaxBytes int64 // rotate once a write leaves the file at this size; 0 never does
	// Backups is how many rotated files are kept (path.1 … path.N); with 0
	// a rotation starts the file over and what it held is lost, as the
	// reference does at maxBytes.
	Backups int
	// Every rotates the file at each boundary of a period of local time as
	// well (the clock's location); NoPeriod (the default) rotates by size
	// alone. A file with nothing in it is not rotated.
	Every Period
	// Gzip compresses each backup in the background (path.1.gz …); see
	// compress.go.
	Gzip bool
	// Clock is what period rotation reads the time from and waits on; nil
	// is the real one.
	Clock Clock
	// OnError hears of what fails with no write to fail: a rotation at a
	// period boundary, a compression. nil drops them.
	OnError func(error)
}

// Open opens (creating if needed) path for appending. maxBytes 0 never
// rotates; backups 0 means a rollover simply starts the file over, as in the
// reference.
func Open(path string, maxBytes int64, backups int) (*File, error) {
	return OpenWith(path, Options{MaxBytes: maxBytes, Backups: backups})
}

// OpenWith opens (creating if needed) path for appending, rotated as o
// says. With Gzip, backups a crash or a Close left uncompressed are
// compressed now, in the background. With a period, a file last written
// in an earlier period is rotated at once.
func OpenWith(path string, o Options) (*File, error) {
	lf := &File{path: path, maxBytes: max(o.MaxBytes, 0), backups: max(o.Backups, 0),
		every: o.Every, clock: o.Clock, onError: o.OnError}
	if lf.clock == nil {
		lf.clock = realClock{}
	}
	if err := lf.open(os.O_APPEND); err != nil {
		return nil, err
	}
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if o.Gzip && !lf.special {
		lf.gz = &compressor{}
		lf.recoverBackups()
	}
	lf.schedule()
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
// reached maxBytes. Once a period boundary has passed, the file is rotated
// before p is written (unless the boundary's timer did it already).
func (lf *File) Write(p []byte) (int, error) {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if lf.f == nil {
		return 0, fmt.Errorf("write log file %s: %w", lf.path, os.ErrClosed)
	}
	var rotateErr error
	if lf.every != NoPeriod && !lf.special && !lf.clock.Now().Before(lf.next) {
		if rotateErr = lf.rotate(); lf.f == nil {
			return 0, rotateErr
		}
	}
	n, err := lf.write(p)
	if rotateErr != nil {
		return n, errors.Join(rotateErr, err)
	}
	return n, err
}

// write is Write once a period rotation is out of the way.
func (lf *File) write(p []byte) (int, error) {
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

// Rotate rotates the file now, as reaching maxBytes would (the rotate
// command): same names, backups and compression. An empty file, and a
// special one, are left as they are.
func (lf *File) Rotate() error {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if lf.f == nil {
		return fmt.Errorf("rotate log file %s: %w", lf.path, os.ErrClosed)
	}
	return lf.rotate()
}

// rotate rolls the file over unless it is special or empty (as far as
// the file itself says: someone may have truncated it). Callers hold mu.
func (lf *File) rotate() error {
	if lf.special {
		return nil
	}
	if st, err := lf.f.Stat(); err == nil {
		lf.size = st.Size()
	}
	if lf.size == 0 {
		lf.next = lf.every.Next(lf.clock.Now())
		return nil
	}
	return lf.rollover()
}

// name is the file of backup i: path.i, or path itself for 0.
func (lf *File) name(i int) string {
	if i == 0 {
		return lf.path
	}
	return lf.path + "." + strconv.Itoa(i)
}

// rollover shifts path.(N-1)..path.1 up by one, moves path to path.1 and
// starts an empty path. Missing files in the chain are skipped, as are
// races with someone else deleting them. If renaming fails the current file
// is reopened for appending so that no output is lost. A backup moves in
// whichever forms it has (plain, compressed, or both while a compression
// finishes); with Gzip the new path.1 is handed to the compressor.
func (lf *File) rollover() error {
	if err := lf.f.Close(); err != nil {
		lf.f = nil
		return errors.Join(fmt.Errorf("close log file for rollover: %w", err), lf.open(os.O_APPEND))
	}
	lf.f = nil
	if lf.backups > 0 {
		for i := lf.backups - 1; i >= 0; i-- {
			if err := lf.shift(i); err != nil {
				return errors.Join(err, lf.open(os.O_APPEND))
			}
		}
		if lf.gz != nil {
			lf.compress(1)
		}
	}
	err := lf.open(os.O_TRUNC)
	lf.next = lf.every.Next(lf.clock.Now())
	return err
}

// shift moves backup i (0: the file itself) to i+1, replacing what was
// there, when it exists in some form.
func (lf *File) shift(i int) error {
	src, dst := lf.name(i), lf.name(i+1)
	forms := []string{""}
	if i > 0 {
		forms = append(forms, gzExt) // the file itself is never compressed
	}
	var found []string
	for _, ext := range forms {
		if _, err := os.Lstat(src + ext); err == nil {
			found = append(found, ext)
		}
	}
	if len(found) == 0 {
		return nil
	}
	for _, ext := range []string{"", gzExt} {
		if err := fsutil.Unlink(dst + ext); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate log file: %w", err)
		}
	}
	lf.gz.shifted(i)
	for _, ext := range found {
		if err := os.Rename(src+ext, dst+ext); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate log file: %w", err)
		}
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
	if err := lf.open(os.O_APPEND); err != nil {
		return err
	}
	lf.schedule()
	return nil
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

// Close closes the file; later writes fail. A compression still running
// is abandoned (its backup stays uncompressed until the next OpenWith) and
// waited for, which takes a few milliseconds at most.
func (lf *File) Close() error {
	lf.mu.Lock()
	if lf.timer != nil {
		lf.timer.Stop()
		lf.timer = nil
	}
	lf.timerID++
	done := lf.gz.close()
	var err error
	if lf.f != nil {
		err = lf.f.Close()
		lf.f = nil
	}
	lf.mu.Unlock()
	if done != nil {
		<-done
	}
	if err != nil {
		return fmt.Errorf("close log file: %w", err)
	}
	return nil
}
