// Package procstat reads what Linux's /proc tells of one process: its CPU
// time and resident memory (/proc/PID/stat) and how many descriptors it
// holds open (/proc/PID/fd). The parsers (ParseStat, CountDirents) are pure
// and fuzzed; a Reader does the reads, reusing its buffers, so that reading
// a thousand processes allocates next to nothing.
package procstat

import (
	"errors"
	"math"
	"os"
	"strconv"
	"syscall"
	"time"
)

// UserHZ is the unit of the times in /proc/PID/stat: clock ticks per
// second. The kernel reports them in USER_HZ, which is 100 on every
// architecture Linux supports, whatever the kernel's own HZ.
const UserHZ = 100

// Stat is the part of /proc/PID/stat that metrics use.
type Stat struct {
	PID        int
	Comm       string // the command name, without its parentheses
	State      byte   // 'R', 'S', 'D', 'Z', …
	PPID, PGRP int
	UTime      uint64 // user CPU time, in clock ticks (UserHZ)
	STime      uint64 // system CPU time, in clock ticks
	NumThreads int64
	StartTime  uint64 // when it started, in clock ticks after boot
	VSize      uint64 // virtual memory size, in bytes
	RSS        int64  // resident set size, in pages
}

// CPU is the CPU time the process used, user and system (at most the
// longest Duration, some 292 years, whatever the line says).
func (s Stat) CPU() time.Duration {
	const most = uint64(math.MaxInt64 / time.Second)
	ticks := s.UTime + s.STime
	if ticks < s.UTime || ticks/UserHZ >= most {
		return math.MaxInt64
	}
	return time.Duration(ticks/UserHZ)*time.Second + time.Duration(ticks%UserHZ)*(time.Second/UserHZ)
}

// ErrFormat is a stat line that does not read as one.
var ErrFormat = errors.New("procstat: malformed /proc/PID/stat")

// ParseStat reads a /proc/PID/stat line: "PID (COMM) STATE PPID …". The
// command name may hold anything, spaces and parentheses included, so
// the fields are counted from the last ')'.
func ParseStat(b []byte) (Stat, error) {
	var s Stat
	open := indexByte(b, '(')
	end := lastIndexByte(b, ')')
	if open < 1 || end < open {
		return s, ErrFormat
	}
	pid, err := strconv.Atoi(string(trimSpace(b[:open])))
	if err != nil {
		return s, ErrFormat
	}
	s.PID = pid
	s.Comm = string(b[open+1 : end])
	// The fields after the name, numbered as in proc(5) from 3 (state).
	const first, last = 3, 24 // state … rss
	var f [last + 1][]byte
	rest := b[end+1:]
	for n := first; n <= last; n++ {
		var field []byte
		field, rest = nextField(rest)
		if field == nil {
			return s, ErrFormat
		}
		f[n] = field
	}
	if len(f[3]) != 1 {
		return s, ErrFormat
	}
	s.State = f[3][0]
	var bad bool
	num := func(n int) int64 {
		v, err := strconv.ParseInt(string(f[n]), 10, 64)
		bad = bad || err != nil
		return v
	}
	unum := func(n int) uint64 {
		v, err := strconv.ParseUint(string(f[n]), 10, 64)
		bad = bad || err != nil
		return v
	}
	s.PPID, s.PGRP = int(num(4)), int(num(5))
	s.UTime, s.STime = unum(14), unum(15)
	s.NumThreads = num(20)
	s.StartTime, s.VSize = unum(22), unum(23)
	s.RSS = num(24)
	if bad {
		return Stat{}, ErrFormat
	}
	return s, nil
}

// nextField splits the first space-separated field off b; nil when none
// is left.
func nextField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	j := i
	for j < len(b) && !isSpace(b[j]) {
		j++
	}
	if i == j {
		return nil, nil
	}
	return b[i:j], b[j:]
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func lastIndexByte(b []byte, c byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// CountDirents counts the entries in a buffer of linux_dirent64 records,
// as getdents64 fills it, leaving out "." and ".."; a record cut short
// ends the count.
func CountDirents(buf []byte) int {
	// struct linux_dirent64 { u64 ino; s64 off; u16 reclen; u8 type; char name[]; }
	const nameAt = 19
	n := 0
	for len(buf) >= nameAt {
		reclen := int(buf[16]) | int(buf[17])<<8
		if reclen < nameAt || reclen > len(buf) {
			break
		}
		name := buf[nameAt:reclen]
		if i := indexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if s := string(name); s != "." && s != ".." {
			n++
		}
		buf = buf[reclen:]
	}
	return n
}

// Sample is one process's use of the machine at one moment.
type Sample struct {
	CPU time.Duration // user and system CPU time so far
	RSS int64         // resident memory, in bytes
	// FDs is how many descriptors it has open; -1 when /proc does not
	// tell (another user's process, for a daemon that is not root).
	FDs       int
	StartTime uint64 // clock ticks after boot: tells a reused pid from the process
}

// Reader reads samples, reusing its buffers. It is not safe for
// concurrent use.
type Reader struct {
	buf  []byte
	path []byte
}

var pageSize = int64(os.Getpagesize())

// Read samples process pid: an error when it is gone (or never was).
func (r *Reader) Read(pid int) (Sample, error) {
	if r.buf == nil {
		r.buf = make([]byte, 8192)
	}
	b, err := r.readFile(pid, "/stat")
	if err != nil {
		return Sample{}, err
	}
	st, err := ParseStat(b)
	if err != nil {
		return Sample{}, err
	}
	fds, err := r.countFDs(pid)
	if err != nil {
		fds = -1
	}
	return Sample{CPU: st.CPU(), RSS: st.RSS * pageSize, FDs: fds, StartTime: st.StartTime}, nil
}

// procPath is "/proc/PID" + leaf, in the reader's own buffer.
func (r *Reader) procPath(pid int, leaf string) string {
	r.path = append(r.path[:0], "/proc/"...)
	r.path = strconv.AppendInt(r.path, int64(pid), 10)
	r.path = append(r.path, leaf...)
	return string(r.path)
}

func (r *Reader) readFile(pid int, leaf string) ([]byte, error) {
	fd, err := open(r.procPath(pid, leaf), syscall.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	n := 0
	for {
		m, err := syscall.Read(fd, r.buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: r.procPath(pid, leaf), Err: err}
		}
		if m == 0 {
			return r.buf[:n], nil
		}
		if n += m; n == len(r.buf) {
			r.buf = append(r.buf, make([]byte, len(r.buf))...)
		}
	}
}

// countFDs counts the entries of /proc/PID/fd. Since Linux 6.2 the
// directory's size is that count, which costs one stat; older kernels
// say 0, and the directory is listed.
func (r *Reader) countFDs(pid int) (int, error) {
	path := r.procPath(pid, "/fd")
	var st syscall.Stat_t
	for {
		err := syscall.Stat(path, &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		break
	}
	if st.Size > 0 {
		return int(st.Size), nil
	}
	return r.countEntries(path)
}

// countEntries lists a directory, counting its entries but "." and "..".
func (r *Reader) countEntries(path string) (int, error) {
	fd, err := open(path, syscall.O_RDONLY|syscall.O_DIRECTORY)
	if err != nil {
		return 0, err
	}
	defer syscall.Close(fd)
	n := 0
	for {
		m, err := syscall.Getdents(fd, r.buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if m <= 0 {
			return n, nil
		}
		n += CountDirents(r.buf[:m])
	}
}

func open(path string, mode int) (int, error) {
	for {
		fd, err := syscall.Open(path, mode|syscall.O_CLOEXEC, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return fd, nil
	}
}
