package logfile

import "bytes"

// StripANSI removes terminal escape sequences from a byte stream the way the
// reference's strip_ansi does: everything from ESC '[' up to and including
// the first of the bytes H f A B C D R s u J K h l p m is dropped (so a
// sequence ending in any other final byte swallows text up to the next of
// those letters, as in the reference).
//
// The reference filters each read chunk on its own, so a sequence split
// across two reads leaks into the log. StripANSI carries its state from one
// chunk to the next instead, so the output does not depend on how the pipe
// happened to split the data; for a stream given in one chunk (followed by
// Flush) the result is byte-for-byte the reference's. The zero value is ready.
type StripANSI struct {
	state uint8
}

const (
	stText uint8 = iota // copying bytes through
	stEsc               // saw ESC at the end of the previous chunk, held back
	stSeq               // inside ESC [ ... waiting for a final byte
)

// finals are the bytes that end a stripped sequence.
var finals = func() (t [256]bool) {
	for _, c := range []byte("HfABCDRsuJKhlpm") {
		t[c] = true
	}
	return t
}()

// Append appends the filtered form of p to dst and returns it. An ESC at the
// very end of p is held back until the next byte shows whether it starts a
// sequence.
func (s *StripANSI) Append(dst, p []byte) []byte {
	for len(p) > 0 {
		switch s.state {
		case stText:
			i := bytes.IndexByte(p, 0x1b)
			if i < 0 {
				return append(dst, p...)
			}
			dst = append(dst, p[:i]...)
			p = p[i+1:]
			s.state = stEsc
		case stEsc:
			if p[0] == '[' {
				p = p[1:]
				s.state = stSeq
				continue
			}
			// A lone ESC is kept; the byte after it is looked at afresh since
			// it may be another ESC.
			dst = append(dst, 0x1b)
			s.state = stText
		case stSeq:
			i := 0
			for i < len(p) && !finals[p[i]] {
				i++
			}
			if i == len(p) {
				return dst
			}
			p = p[i+1:]
			s.state = stText
		}
	}
	return dst
}

// Flush ends the stream: a held-back trailing ESC is appended to dst (the
// reference keeps a lone ESC), and the state is reset.
func (s *StripANSI) Flush(dst []byte) []byte {
	if s.state == stEsc {
		dst = append(dst, 0x1b)
	}
	s.state = stText
	return dst
}
