package logfile

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"supervisord/internal/fsutil"
)

// Compressed backups (Options.Gzip). A rotation renames the file to
// path.1 as always and hands path.1 to one background goroutine per File,
// which writes path.1's bytes gzipped to a temporary file in the same
// directory, syncs it, renames it to path.N.gz (N being wherever that
// backup has moved meanwhile), syncs the directory, and only then removes
// the plain path.N. Writes never wait for it: a rotation during a
// compression only renames, moving a backup's plain and .gz forms
// together, and the compressor follows its backup's number. At every
// instant each byte is in a complete file: a crash leaves the plain
// backup (compressed again at the next open), possibly next to a complete
// .gz (the plain one is then removed), and a temporary file (removed).

const (
	gzExt = ".gz"
	// tmpMark sits between the log's name and the random part of a
	// temporary file's name; tmpExt ends it.
	tmpMark = ".gz-"
	tmpExt  = ".tmp"
	// gzChunk is how much is compressed between two looks at whether the
	// work is still wanted.
	gzChunk = 256 << 10
)

// compressor is a File's queue of backups to compress. Its fields are
// guarded by the File's mu, except what the worker reads while it copies.
type compressor struct {
	jobs    []*gzJob      // oldest first; the worker takes jobs[0]
	done    chan struct{} // closed when the running worker ends; nil when none runs
	closing atomic.Bool   // Close was called: the worker gives up
}

// gzJob is one backup to compress.
type gzJob struct {
	idx  int         // the backup's number now (guarded by mu)
	gone atomic.Bool // a rotation removed the backup: its compression is moot
}

// compress queues backup idx and starts the worker if none runs. Callers
// hold mu.
func (lf *File) compress(idx int) {
	gz := lf.gz
	gz.jobs = append(gz.jobs, &gzJob{idx: idx})
	if gz.done == nil {
		gz.done = make(chan struct{})
		go lf.compressAll(gz.done)
	}
}

// shifted follows backup i to i+1 after a rotation moved it, and drops
// the job of the backup at i+1, which the move replaced. Callers hold mu;
// nil without compression.
func (gz *compressor) shifted(i int) {
	if gz == nil {
		return
	}
	for _, j := range gz.jobs {
		switch j.idx {
		case i + 1:
			j.gone.Store(true)
			j.idx = -1
		case i:
			j.idx = i + 1
		}
	}
}

// close tells the worker to give up and returns what to wait on (nil when
// nothing runs). Callers hold mu; nil without compression.
func (gz *compressor) close() <-chan struct{} {
	if gz == nil {
		return nil
	}
	gz.closing.Store(true)
	return gz.done
}

// recoverBackups finishes what a crash or a Close interrupted: a plain
// backup next to its .gz (renamed complete) is removed, a plain one alone
// is queued, a temporary file is removed. Callers hold mu.
func (lf *File) recoverBackups() {
	dir, base := filepath.Split(lf.path)
	if entries, err := os.ReadDir(filepath.Clean(dir)); err == nil {
		for _, e := range entries {
			if n := e.Name(); strings.HasPrefix(n, base+tmpMark) && strings.HasSuffix(n, tmpExt) && e.Type().IsRegular() {
				fsutil.Unlink(filepath.Join(dir, n)) //nolint:errcheck // a leftover; at worst it stays
			}
		}
	}
	for i := 1; i <= lf.backups; i++ {
		plain := lf.name(i)
		if st, err := os.Lstat(plain); err != nil || !st.Mode().IsRegular() {
			continue
		}
		if _, err := os.Lstat(plain + gzExt); err == nil {
			fsutil.Unlink(plain) //nolint:errcheck // kept both: no byte lost either way
			continue
		}
		lf.compress(i)
	}
}

// compressAll is the worker: it compresses queued backups until there are
// none left or the File is closed.
func (lf *File) compressAll(done chan struct{}) {
	defer close(done)
	for {
		lf.mu.Lock()
		gz := lf.gz
		if gz.closing.Load() || len(gz.jobs) == 0 {
			gz.done = nil
			lf.mu.Unlock()
			return
		}
		j := gz.jobs[0]
		var in *os.File
		var err error
		if !j.gone.Load() {
			// Opened under mu, so the name is the backup's own.
			in, err = os.Open(lf.name(j.idx))
		}
		lf.mu.Unlock()
		if in != nil {
			err = lf.compressOne(j, in)
			in.Close()
		}
		lf.mu.Lock()
		gz.jobs = gz.jobs[1:]
		lf.mu.Unlock()
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			lf.report(fmt.Errorf("compress log file: %w", err))
		}
	}
}

// errAbandoned ends a compression that is no longer wanted.
var errAbandoned = errors.New("abandoned")

// compressOne writes in gzipped beside it, then puts the result in place
// of backup j as described above.
func (lf *File) compressOne(j *gzJob, in *os.File) error {
	dir, base := filepath.Split(lf.path)
	dir = filepath.Clean(dir)
	tmp, err := os.CreateTemp(dir, base+tmpMark+"*"+tmpExt)
	if err != nil {
		return err
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			fsutil.Unlink(tmp.Name()) //nolint:errcheck // a leftover, removed at the next open
		}
	}()
	if st, err := in.Stat(); err == nil {
		if err := tmp.Chmod(st.Mode().Perm()); err != nil { // CreateTemp's 0600 otherwise
			return err
		}
	}
	if err := lf.gzipTo(tmp, in, j); err != nil {
		if errors.Is(err, errAbandoned) {
			return nil
		}
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	lf.mu.Lock()
	if j.gone.Load() || lf.gz.closing.Load() {
		lf.mu.Unlock()
		return nil
	}
	err = os.Rename(tmp.Name(), lf.name(j.idx)+gzExt)
	lf.mu.Unlock()
	if err != nil {
		return err
	}
	keep = true
	// The .gz must be there for good before its plain twin goes.
	if err := syncDir(dir); err != nil {
		return err
	}
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if j.gone.Load() {
		return nil // the rotation that dropped the .gz dropped the plain one too
	}
	if err := fsutil.Unlink(lf.name(j.idx)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// gzipTo copies in to out gzipped, a chunk at a time, giving up with
// errAbandoned as soon as j is gone or the File closes.
func (lf *File) gzipTo(out io.Writer, in *os.File, j *gzJob) error {
	zw := gzip.NewWriter(out)
	if st, err := in.Stat(); err == nil {
		zw.ModTime = st.ModTime()
	}
	buf := make([]byte, gzChunk)
	for {
		if j.gone.Load() || lf.gz.closing.Load() {
			return errAbandoned
		}
		n, err := in.Read(buf)
		if n > 0 {
			if _, err := zw.Write(buf[:n]); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return zw.Close()
		}
		if err != nil {
			return err
		}
	}
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
