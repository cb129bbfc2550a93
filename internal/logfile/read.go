package logfile

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// The reference's readProcessLog faults, for callers to map onto
// BAD_ARGUMENTS and FAILED.
var (
	ErrBadArguments = errors.New("bad arguments")
	ErrFailed       = errors.New("failed")
)

// Read returns bytes of the file at path the way readProcessLog does:
//   - offset < 0: the last -offset bytes (length must be 0);
//   - offset >= 0, length 0: everything from offset to the end;
//   - offset >= 0, length > 0: up to length bytes from offset.
//
// A negative length, or a length with a negative offset, is ErrBadArguments;
// a file that cannot be opened or read is ErrFailed (wrapping the cause).
func Read(path string, offset, length int64) ([]byte, error) {
	if (offset < 0 && length != 0) || length < 0 {
		return nil, ErrBadArguments
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFailed, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFailed, err)
	}
	size := st.Size()
	if offset < 0 {
		length = -offset
		offset = max(size+offset, 0)
	} else if length == 0 {
		length = size - offset
	}
	return readRange(f, offset, min(length, size-offset))
}

// readRange reads n bytes at off, fewer if the file is shorter than it was
// when sized.
func readRange(f *os.File, off, n int64) ([]byte, error) {
	if n <= 0 {
		return []byte{}, nil
	}
	buf := make([]byte, n)
	got, err := f.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %w", ErrFailed, err)
	}
	return buf[:got], nil
}

// Tail implements tailProcessLog: it returns up to length bytes starting at
// offset, but when the file has grown beyond offset+length it skips ahead
// (overflow) so that the last length bytes are returned. newOffset is the
// file's size, where the next tail should start. On failure data is empty,
// newOffset is the offset asked for and err says why (the reference then
// answers an empty string, the same offset and false).
func Tail(path string, offset, length int64) (data []byte, newOffset int64, overflow bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return []byte{}, offset, false, fmt.Errorf("%w: %w", ErrFailed, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return []byte{}, offset, false, fmt.Errorf("%w: %w", ErrFailed, err)
	}
	size := st.Size()
	off := offset
	if size > off+length {
		overflow = true
		off = size - 1
	}
	if off+length > size {
		if off > size-1 {
			length = 0
		}
		off = size - length
	}
	off = max(off, 0)
	length = max(length, 0)
	data, err = readRange(f, off, min(length, size-off))
	if err != nil {
		return []byte{}, offset, false, err
	}
	return data, size, overflow, nil
}
