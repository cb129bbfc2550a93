package sse

import (
	"strconv"
	"time"
	"unicode/utf8"

	"supervisord/internal/logfile"
)

// Log following limits.
const (
	// pollEvery is how often a followed log is checked for growth.
	pollEvery = 100 * time.Millisecond
	// maxChunk is the most one event carries; maxBacklog the most a
	// stream catches up on before it skips ahead to the end.
	maxChunk   = 64 << 10
	maxBacklog = 1 << 20
)

// FollowLog streams the log file at path from offset off (a negative off
// counts from the end of the first file, see logfile.Follow) as it grows,
// across truncation and rotation, until done is closed or the client is
// gone. Each event's data is {"t": text} and its id the offset after it, so
// a client that reconnects with it as Last-Event-ID goes on where it was; a
// "reset" event {"reason": "truncated"|"rotated"|"skipped", "skipped": n}
// says the stream goes on elsewhere in the log (skipped: n bytes it fell
// behind by more than a MiB were left out). Text is cut only between
// characters. An idle stream sends a comment every KeepAlive.
func FollowLog(out *Writer, path string, off int64, done <-chan struct{}) {
	fl := &follower{log: logfile.Follow(path, off), out: out}
	defer fl.log.Close()
	if out.Flush() != nil { // the headers and retry: the client knows the stream is open
		return
	}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	idle := 0
	for {
		sent, err := fl.poll()
		if err != nil {
			return
		}
		if sent {
			idle = 0
		} else if idle++; idle*int(pollEvery) >= int(KeepAlive) {
			idle = 0
			if out.Comment("ping") != nil {
				return
			}
		}
		select {
		case <-done:
			return
		case <-tick.C:
		}
	}
}

// follower sends what is appended to a log file, across truncation and
// rotation (a new file at the path).
type follower struct {
	log  *logfile.Follower
	out  *Writer
	buf  []byte
	held int // buf's first bytes: a character still being written, sent when whole
}

// poll sends what is new; sent reports whether anything was. It fails only
// when the client is gone.
func (fl *follower) poll() (sent bool, err error) {
	if fl.buf == nil {
		fl.buf = make([]byte, maxChunk)
	}
	for {
		if backlog := fl.log.Pending(); backlog > maxBacklog {
			skip := backlog - maxChunk
			fl.log.SetOffset(fl.log.Offset() + skip)
			skip, fl.held = skip+int64(fl.held), 0
			if err := fl.reset("skipped", skip); err != nil {
				return sent, err
			}
			sent = true
		}
		n, change, err := fl.log.Next(fl.buf[fl.held:])
		switch {
		case err != nil:
			return sent, nil // tried again at the next poll
		case change != logfile.NoChange:
			fl.held = 0
			if err := fl.reset(change.String(), 0); err != nil {
				return sent, err
			}
			sent = true
			continue
		case n == 0:
			return sent, nil
		}
		n += fl.held
		whole := WholeRunes(fl.buf[:n])
		if whole > 0 {
			id := strconv.FormatInt(fl.log.Offset()-int64(n-whole), 10)
			if err := fl.out.Send("", id, map[string]string{"t": string(fl.buf[:whole])}); err != nil {
				return sent, err
			}
			sent = true
		}
		fl.held = copy(fl.buf, fl.buf[whole:n])
	}
}

func (fl *follower) reset(reason string, skipped int64) error {
	return fl.out.Send("reset", strconv.FormatInt(fl.log.Offset(), 10), map[string]any{"reason": reason, "skipped": skipped})
}

// WholeRunes is how much of b ends on a character boundary: it leaves out
// an incomplete UTF-8 sequence at the end (invalid bytes are not held).
func WholeRunes(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return len(b)
			}
			return i
		}
	}
	return len(b)
}
