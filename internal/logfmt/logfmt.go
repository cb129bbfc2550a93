// Package logfmt turns child output, in the chunks it is read in, into the
// lines a program's log format asks for (stdout_log_format,
// stdout_log_prefix): each line gets a header (a time, the process name)
// or becomes one JSON object. It is pure: no clock, no timer, no I/O; the
// logger actor passes the time each chunk was read and owns the timer that
// writes a partial line out after a second of silence.
//
// A line is what ends with "\n". What follows the last "\n" of a chunk is
// held until the rest of the line comes, until more than MaxPartial bytes
// of it are held, or until the caller flushes it (Flush, after Silence of
// nothing new). A piece written before its line is complete is continued,
// in text formats, by the next piece without a second header; in json
// every piece is an object of its own, "partial":true on each that does
// not end its line.
//
// JSON output is always valid UTF-8: control characters are escaped
// (\n, \t, \u001b …) and each byte that is not part of valid UTF-8 becomes
// U+FFFD, written \ufffd.
package logfmt

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"time"
	"unicode/utf8"
)

// Format is a log format (stdout_log_format).
type Format uint8

const (
	Raw         Format = iota // the bytes as written, the default
	Timestamped               // each line starts with TimeLayout's time and a space
	JSON                      // one object per line
)

var formatNames = [...]string{Raw: "raw", Timestamped: "timestamped", JSON: "json"}

func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// TimeLayout is the time of timestamped lines and of json's "time": RFC
// 3339 with milliseconds, in the daemon's time zone.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// MaxPartial is how much of an unfinished line is held before it is written
// anyway; Silence is how long the caller lets an unfinished line wait for
// the rest before it calls Flush.
const (
	MaxPartial = 64 << 10
	Silence    = time.Second
)

// Source names the stream in the headers.
type Source struct {
	Program string // the [program:x] (or fcgi-program, eventlistener) name
	Group   string
	Process string // the process name, also the prefix
	Stream  string // "stdout" or "stderr"
}

// Framer formats one stream. The zero value is not usable; use New.
type Framer struct {
	format     Format
	prefix     []byte // "NAME | ", or nil
	jsonMid    []byte // `","program":…,"process":"…","pid":`
	jsonStream []byte // `,"stream":"…","message":"`
	max        int    // MaxPartial; tests lower it

	pending    []byte    // the unfinished line (a copy: chunks go back to their reader)
	pendingAt  time.Time // when its first byte was read
	pendingPID int
	midLine    bool // text formats: a piece of the current line is written, header included

	stampMS int64 // the millisecond stamp holds
	stamp   []byte
	pidOf   int // the pid pidText holds
	pidText []byte
}

// New returns the framer for a format and prefix, nil for raw output
// without a prefix: that is written as read, with no framer and no copy.
func New(format Format, prefix bool, src Source) *Framer {
	if format == Raw && !prefix {
		return nil
	}
	f := &Framer{format: format, max: MaxPartial, pidOf: -1}
	if prefix && format != JSON {
		f.prefix = []byte(src.Process + " | ")
	}
	if format == JSON {
		mid := []byte(`","program":"`)
		mid = appendEscaped(mid, []byte(src.Program))
		mid = append(mid, `","group":"`...)
		mid = appendEscaped(mid, []byte(src.Group))
		mid = append(mid, `","process":"`...)
		mid = appendEscaped(mid, []byte(src.Process))
		f.jsonMid = append(mid, `","pid":`...)
		stream := append([]byte(`,"stream":"`), appendEscaped(nil, []byte(src.Stream))...)
		f.jsonStream = append(stream, `","message":"`...)
	}
	return f
}

// Append formats chunk, read at now from the process pid, appending to dst
// what is ready to be written; the end of an unfinished line is kept (a
// copy). chunk is not retained.
func (f *Framer) Append(dst, chunk []byte, pid int, now time.Time) []byte {
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			return f.hold(dst, chunk, pid, now)
		}
		line := chunk[:i]
		chunk = chunk[i+1:]
		if len(f.pending) == 0 {
			dst = f.piece(dst, line, now, pid, true)
			continue
		}
		f.pending = append(f.pending, line...)
		dst = f.piece(dst, f.pending, f.pendingAt, f.pendingPID, true)
		f.pending = f.pending[:0]
		f.release()
	}
	return dst
}

// hold keeps part, the start of a line, or writes it with what is held
// when that makes more than max bytes.
func (f *Framer) hold(dst, part []byte, pid int, now time.Time) []byte {
	if len(f.pending) == 0 {
		f.pendingAt, f.pendingPID = now, pid
	}
	if len(f.pending)+len(part) <= f.max {
		f.pending = append(f.pending, part...)
		return dst
	}
	piece := part
	if len(f.pending) > 0 {
		f.pending = append(f.pending, part...)
		piece = f.pending
	}
	keep := f.unfinishedRune(piece)
	dst = f.piece(dst, piece[:len(piece)-keep], f.pendingAt, f.pendingPID, false)
	f.pending = append(f.pending[:0], piece[len(piece)-keep:]...) // may move pending's own tail down
	f.pendingAt = now
	f.release()
	return dst
}

// release lets go of a held buffer grown well past what lines need.
func (f *Framer) release() {
	if cap(f.pending) > 2*f.max {
		f.pending = bytes.Clone(f.pending)
	}
}

// Waiting reports whether Flush would write something: the caller's cue
// to arm its Silence timer.
func (f *Framer) Waiting() bool {
	return len(f.pending) > f.unfinishedRune(f.pending)
}

// Flush appends to dst the unfinished line held, as a piece its next one
// continues; in json the last bytes of a UTF-8 character not yet complete
// (at most 3) wait for the rest of it.
func (f *Framer) Flush(dst []byte) []byte {
	keep := f.unfinishedRune(f.pending)
	if len(f.pending) == keep {
		return dst
	}
	dst = f.piece(dst, f.pending[:len(f.pending)-keep], f.pendingAt, f.pendingPID, false)
	f.pending = append(f.pending[:0], f.pending[len(f.pending)-keep:]...)
	f.release()
	return dst
}

// End appends what is held when the stream ends: in text formats an
// unfinished line is finished with a newline, so the next run's first
// line starts a line of its own.
func (f *Framer) End(dst []byte) []byte {
	if len(f.pending) > 0 {
		dst = f.piece(dst, f.pending, f.pendingAt, f.pendingPID, false)
		f.pending = f.pending[:0]
	}
	if f.midLine {
		dst = append(dst, '\n')
		f.midLine = false
	}
	return dst
}

// unfinishedRune is how many bytes at the end of p begin a UTF-8 character
// that p does not complete, in json (0 in text formats, which write bytes
// as they are).
func (f *Framer) unfinishedRune(p []byte) int {
	if f.format != JSON {
		return 0
	}
	for i := len(p) - 1; i >= max(len(p)-3, 0); i-- {
		if utf8.RuneStart(p[i]) {
			if utf8.FullRune(p[i:]) {
				return 0
			}
			return len(p) - i
		}
	}
	return 0
}

// piece appends one piece of a line (without its newline), first read at
// t; ends says the line ends with it.
func (f *Framer) piece(dst, p []byte, t time.Time, pid int, ends bool) []byte {
	if f.format == JSON {
		dst = append(dst, `{"time":"`...)
		dst = append(dst, f.timeStamp(t)...)
		dst = append(dst, f.jsonMid...)
		dst = append(dst, f.pidBytes(pid)...)
		dst = append(dst, f.jsonStream...)
		dst = appendEscaped(dst, p)
		if ends {
			return append(dst, "\"}\n"...)
		}
		return append(dst, "\",\"partial\":true}\n"...)
	}
	if !f.midLine {
		if f.format == Timestamped {
			dst = append(dst, f.timeStamp(t)...)
			dst = append(dst, ' ')
		}
		dst = append(dst, f.prefix...)
	}
	dst = append(dst, p...)
	f.midLine = !ends
	if ends {
		dst = append(dst, '\n')
	}
	return dst
}

// timeStamp is t in TimeLayout, formatted once a millisecond: the lines
// of a busy program share it.
func (f *Framer) timeStamp(t time.Time) []byte {
	if ms := t.UnixMilli(); f.stamp == nil || ms != f.stampMS {
		f.stampMS = ms
		f.stamp = t.AppendFormat(f.stamp[:0], TimeLayout)
	}
	return f.stamp
}

func (f *Framer) pidBytes(pid int) []byte {
	if pid != f.pidOf {
		f.pidOf = pid
		f.pidText = strconv.AppendInt(f.pidText[:0], int64(pid), 10)
	}
	return f.pidText
}

// plain marks the ASCII bytes a JSON string holds as they are: not a
// control character (DEL included), quote or backslash.
var plain = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < 0x7F; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// plainWord reports whether all 8 bytes of w are plain: none below 0x20
// or from 0x7F on, none a quote or a backslash. Each test sets a byte's
// top bit; as a yes-or-no answer it is exact.
func plainWord(w uint64) bool {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	q := w ^ ('"' * lsb) // zero bytes where w has a quote
	b := w ^ ('\\' * lsb)
	d := w ^ (0x7F * lsb)
	t := (w - 0x20*lsb) & ^w // a byte below 0x20
	t |= w                   // a byte from 0x80 on
	t |= (q - lsb) & ^q
	t |= (b - lsb) & ^b
	t |= (d - lsb) & ^d
	return t&msb == 0
}

// appendEscaped appends s as the inside of a JSON string: valid UTF-8 as
// it is, but for U+2028 and U+2029 (line breaks to JavaScript);
// control characters escaped; each byte outside valid UTF-8 as \ufffd.
func appendEscaped(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && plainWord(binary.LittleEndian.Uint64(s[i:])) {
			i += 8
			continue
		}
		b := s[i]
		if b < utf8.RuneSelf {
			if plain[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(dst, s[start:]...)
}
