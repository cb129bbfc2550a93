package sdnotify

import (
	"bytes"
	"errors"
	"strconv"
)

// MaxDatagram is the longest datagram accepted, in bytes: the buffer size
// systemd reads notifications with (PIPE_BUF on Linux).
const MaxDatagram = 4096

// Parse's errors: a datagram that fails either is ignored as a whole.
var (
	ErrNUL     = errors.New("sdnotify: datagram holds a NUL byte")
	ErrTooLong = errors.New("sdnotify: datagram is longer than " + strconv.Itoa(MaxDatagram) + " bytes")
)

// Field is one KEY=VALUE assignment of a datagram.
type Field struct {
	Key, Value string
}

// String is the assignment as sent: "READY=1".
func (f Field) String() string { return f.Key + "=" + f.Value }

// Parse reads a datagram into its assignments, in the order sent (see the
// package documentation for the rules). A datagram that assigns nothing
// gives no fields and no error.
func Parse(b []byte) ([]Field, error) {
	if len(b) > MaxDatagram {
		return nil, ErrTooLong
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return nil, ErrNUL
	}
	var fs []Field
	for len(b) > 0 {
		line := b
		if i := bytes.IndexAny(b, "\n\r"); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		key, value, ok := bytes.Cut(line, []byte{'='})
		if !ok || len(key) == 0 {
			continue
		}
		fs = append(fs, Field{Key: string(key), Value: string(value)})
	}
	return fs, nil
}

// Lookup is the value of the last assignment of key in fs.
func Lookup(fs []Field, key string) (string, bool) {
	for i := len(fs) - 1; i >= 0; i-- {
		if fs[i].Key == key {
			return fs[i].Value, true
		}
	}
	return "", false
}
