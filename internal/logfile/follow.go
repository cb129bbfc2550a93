package logfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
)

// Change is what a Follower found besides new bytes.
type Change int

const (
	NoChange  Change = iota
	Truncated        // the file shrank below the offset: it is read again from its start
	Rotated          // another file is at the path (the old one was renamed away): it is read from its start
)

func (c Change) String() string {
	switch c {
	case NoChange:
		return "none"
	case Truncated:
		return "truncated"
	case Rotated:
		return "rotated"
	}
	return "Change(?)"
}

// Follower reads what is appended to the log file at a path, the way
// `tail -F` does, for the streams behind `tail -f`, `maintail -f` and the
// web page's tail: when the file shrinks below what was read (truncated in
// place) reading starts over at its beginning, and when another file
// appears at the path (rotated: renamed away, a new one created) the old
// one is read to its end first, so no byte written before the rotation is
// missed, and then the new one from its beginning. Only a file that is
// rotated twice between two reads can go unseen. It is not safe for
// concurrent use.
type Follower struct {
	path string
	from int64 // where to start in the first file, until it is opened
	f    *os.File
	fi   os.FileInfo // f's, to know it again at the path
	off  int64
}

// Follow returns a Follower of the log at path that starts at offset from
// of the first file it opens, or, for a negative from, that many bytes
// before its end (at its start when it is shorter): -1024 follows from the
// last KiB. The file need not exist yet.
func Follow(path string, from int64) *Follower {
	return &Follower{path: path, from: from}
}

// open opens the first file, if it is not open yet and exists.
func (fl *Follower) open() error {
	if fl.f != nil {
		return nil
	}
	f, fi, err := openStat(fl.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // not written yet
		}
		return err
	}
	fl.f, fl.fi, fl.off = f, fi, fl.from
	if fl.from < 0 {
		fl.off = max(fi.Size()+fl.from, 0)
	}
	return nil
}

func openStat(path string) (*os.File, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// Next reads into p what follows the offset and moves past it. When there
// is nothing new it looks for a truncation or a rotation: change then says
// which (and the offset is 0 in the file now followed), and n is 0; with
// n 0 and NoChange nothing happened. err is a failure to read, which a
// later call may get past.
func (fl *Follower) Next(p []byte) (n int, change Change, err error) {
	if err := fl.open(); err != nil || fl.f == nil {
		return 0, NoChange, err
	}
	if n, err = fl.read(p); n > 0 || err != nil {
		return n, NoChange, err
	}
	st, err := fl.f.Stat()
	if err != nil {
		return 0, NoChange, err
	}
	if st.Size() < fl.off {
		fl.off = 0
		return 0, Truncated, nil
	}
	if now, err := os.Stat(fl.path); err != nil || os.SameFile(now, fl.fi) {
		return 0, NoChange, nil // still the same file, or none yet in place of the old one
	}
	// The old file was complete when the new one appeared, but bytes may
	// have reached it since the read above.
	if n, err = fl.read(p); n > 0 || err != nil {
		return n, NoChange, err
	}
	f, fi, err := openStat(fl.path)
	if err != nil {
		return 0, NoChange, nil // gone again: tried at the next call
	}
	fl.f.Close()
	fl.f, fl.fi, fl.off = f, fi, 0
	return 0, Rotated, nil
}

func (fl *Follower) read(p []byte) (int, error) {
	n, err := fl.f.ReadAt(p, fl.off)
	fl.off += int64(n)
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// Offset is where the next byte will be read in the file followed.
func (fl *Follower) Offset() int64 {
	if fl.f == nil {
		return max(fl.from, 0)
	}
	return fl.off
}

// SetOffset moves the offset in the file followed, to skip ahead or to read
// again what a caller could not use yet.
func (fl *Follower) SetOffset(off int64) {
	if fl.f == nil {
		fl.from = off
		return
	}
	fl.off = off
}

// Pending is how many bytes of the file followed lie past the offset (0
// when there is no file yet, or it was truncated below the offset).
func (fl *Follower) Pending() int64 {
	if err := fl.open(); err != nil || fl.f == nil {
		return 0
	}
	st, err := fl.f.Stat()
	if err != nil {
		return 0
	}
	return max(st.Size()-fl.off, 0)
}

// Close closes the file followed.
func (fl *Follower) Close() error {
	if fl.f == nil {
		return nil
	}
	err := fl.f.Close()
	fl.f = nil
	return err
}
