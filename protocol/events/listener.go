package events

import (
	"bytes"
	"log/slog"
	"math"
	"strconv"
)

// ListenerState is the daemon's view of one event listener process, with
// the reference's codes.
type ListenerState int

// Listener states. A listener starts ACKNOWLEDGED, says READY, is sent an
// event (BUSY) and answers with a result (ACKNOWLEDGED again). UNKNOWN is
// final for the process: it gets no more events until it is restarted.
const (
	ListenerReady        ListenerState = 10
	ListenerBusy         ListenerState = 20
	ListenerAcknowledged ListenerState = 30
	ListenerUnknown      ListenerState = 40
)

// String is the state's name, e.g. "ACKNOWLEDGED".
func (s ListenerState) String() string {
	switch s {
	case ListenerReady:
		return "READY"
	case ListenerBusy:
		return "BUSY"
	case ListenerAcknowledged:
		return "ACKNOWLEDGED"
	case ListenerUnknown:
		return "UNKNOWN"
	}
	return "ListenerState(" + strconv.Itoa(int(s)) + ")"
}

// Tokens a listener writes to its stdout.
const (
	ReadyToken       = "READY\n"
	ResultTokenStart = "RESULT "
)

// LevelCritical is the slog level of the reference's CRIT log lines.
const LevelCritical = slog.Level(12)

// LogLine is one line the reference writes to its main log; Message lacks
// the timestamp and level prefix.
type LogLine struct {
	Level   slog.Level
	Message string
}

// Signal is what a chunk of listener output amounts to: Ready, Result,
// ProtocolError or Stalled.
type Signal interface {
	// Logs are the main-log lines the reference writes for it, for the
	// listener process called procname.
	Logs(procname string) []LogLine
	signal()
}

// Ready: the listener said READY and may be sent an event
// (ACKNOWLEDGED -> READY).
type Ready struct{}

// Result: the listener answered the event it was sent; the state is
// ACKNOWLEDGED again. With the reference's default result handler (the
// only one there is) a Body other than exactly "OK" rejects the event,
// which the pool then puts back at the head of its buffer.
type Result struct{ Body []byte }

// OK reports whether the result accepts the event.
func (r Result) OK() bool { return string(r.Body) == "OK" }

// Rejected reports whether the event must be sent again.
func (r Result) Rejected() bool { return !r.OK() }

// ProtocolError: the listener wrote something its state does not allow and
// is now UNKNOWN. From ACKNOWLEDGED, the first six bytes were not
// "READY\n" (Output holds what was buffered); from READY, it wrote anything
// at all before being sent an event (Output); from BUSY, its result line
// did not end in an integer (Line, without its newline), and the event it
// was handling is rejected. Whatever else was buffered is dropped.
type ProtocolError struct {
	From   ListenerState
	Output []byte
	Line   []byte
}

// Rejected reports whether the event the listener held must be sent again.
func (e ProtocolError) Rejected() bool { return e.From == ListenerBusy }

func (e ProtocolError) Error() string {
	switch e.From {
	case ListenerBusy:
		return "bad result line: " + strconv.Quote(string(e.Line))
	case ListenerReady:
		return "output while READY: " + strconv.Quote(string(e.Output))
	}
	return "expected READY\\n, got " + strconv.Quote(string(e.Output))
}

// Stalled: the result line gave a negative length and more output came.
// The reference's dispatcher then recurses until Python's recursion limit,
// and the main loop closes the channel: the listener's stdout is no
// longer read, the listener stays BUSY with its event, and the event is
// only sent again once the process exits. Len is the length it gave.
type Stalled struct{ Len int64 }

func (Ready) signal()         {}
func (Result) signal()        {}
func (ProtocolError) signal() {}
func (Stalled) signal()       {}

// Logs implements Signal.
func (Ready) Logs(p string) []LogLine {
	return []LogLine{{slog.LevelDebug, p + ": ACKNOWLEDGED -> READY"}}
}

// Logs implements Signal.
func (r Result) Logs(p string) []LogLine {
	if r.OK() {
		return []LogLine{{slog.LevelDebug, p + ": event was processed"},
			{slog.LevelDebug, p + ": BUSY -> ACKNOWLEDGED"}}
	}
	return []LogLine{{slog.LevelWarn, p + ": event was rejected"},
		{slog.LevelDebug, p + ": BUSY -> ACKNOWLEDGED"}}
}

// Logs implements Signal.
func (e ProtocolError) Logs(p string) []LogLine {
	var l []LogLine
	if e.From == ListenerBusy {
		l = append(l, LogLine{slog.LevelWarn, p + ": bad result line: '" + DataText(e.Line) + "'"})
	}
	return append(l,
		LogLine{slog.LevelDebug, p + ": " + e.From.String() + " -> UNKNOWN"},
		LogLine{slog.LevelWarn, p + ": has entered the UNKNOWN state and will no longer receive events, this usually indicates the process violated the eventlistener protocol"})
}

// Logs implements Signal. The reference's line names Python objects and a
// traceback; this one keeps its level and its start.
func (s Stalled) Logs(p string) []LogLine {
	return []LogLine{{LevelCritical, "uncaptured python exception, closing channel <PEventListenerDispatcher for " +
		p + " (stdout)> (RecursionError: maximum recursion depth exceeded after result length " + itoa(s.Len) + ")"}}
}

// ListenerOutput follows one listener process's stdout the way the
// reference's PEventListenerDispatcher does, as a pure state machine: feed
// it the bytes as they are read, tell it when an event was written to the
// process, and act on the Signals. Make a new one each time the process
// is spawned. Chunk boundaries matter as they do in the reference (a lone
// "RESULT 0\n" completes only when more output comes), so feed reads as
// they arrive.
type ListenerOutput struct {
	state     ListenerState
	buf       []byte
	haveLen   bool
	resultLen int64
	result    []byte
	closed    bool
}

// NewListenerOutput starts in ACKNOWLEDGED, waiting for READY.
func NewListenerOutput() *ListenerOutput {
	return &ListenerOutput{state: ListenerAcknowledged}
}

// State is the listener's state.
func (p *ListenerOutput) State() ListenerState { return p.state }

// Closed reports whether output is ignored for good after Stalled.
func (p *ListenerOutput) Closed() bool { return p.closed }

// Buffered is how many bytes wait for more output: a partial READY token,
// a result line with no newline yet, or after a complete result the start
// of the next token.
func (p *ListenerOutput) Buffered() int { return len(p.buf) + len(p.result) }

// Dispatched records that an event was written to the listener, which
// must be READY: it becomes BUSY. It reports false, changing nothing, in
// any other state (the reference only sends to READY listeners).
func (p *ListenerOutput) Dispatched() bool {
	if p.state != ListenerReady || p.closed {
		return false
	}
	p.state = ListenerBusy
	return true
}

// Feed takes the next chunk read from the listener's stdout. An empty
// chunk (end of file) changes nothing, as in the reference.
func (p *ListenerOutput) Feed(chunk []byte) []Signal {
	if p.closed || len(chunk) == 0 {
		return nil
	}
	p.buf = append(p.buf, chunk...)
	var out []Signal
	for len(p.buf) > 0 {
		switch p.state {
		case ListenerUnknown:
			p.buf = nil
		case ListenerAcknowledged:
			if len(p.buf) < len(ReadyToken) {
				return out
			}
			if bytes.HasPrefix(p.buf, []byte(ReadyToken)) {
				p.state = ListenerReady
				p.buf = p.buf[len(ReadyToken):]
				out = append(out, Ready{})
			} else {
				out = append(out, ProtocolError{From: ListenerAcknowledged, Output: p.buf})
				p.state, p.buf = ListenerUnknown, nil
			}
		case ListenerReady:
			out = append(out, ProtocolError{From: ListenerReady, Output: p.buf})
			p.state, p.buf = ListenerUnknown, nil
		case ListenerBusy:
			if !p.haveLen {
				i := bytes.IndexByte(p.buf, '\n')
				if i < 0 {
					return out
				}
				line := p.buf[:i:i]
				p.buf = p.buf[i+1:]
				n, ok := pyIntBytes(line[min(len(line), len(ResultTokenStart)):])
				if !ok {
					out = append(out, ProtocolError{From: ListenerBusy, Line: line})
					p.state, p.buf = ListenerUnknown, nil
					return out
				}
				p.haveLen, p.resultLen = true, n
				continue
			}
			if p.resultLen < 0 {
				p.closed = true
				out = append(out, Stalled{Len: p.resultLen})
				return out
			}
			if need := p.resultLen - int64(len(p.result)); need > 0 {
				take := int(min(need, int64(len(p.buf))))
				p.result = append(p.result, p.buf[:take]...)
				p.buf = p.buf[take:]
			}
			if int64(len(p.result)) == p.resultLen {
				out = append(out, Result{Body: p.result})
				p.state, p.result, p.haveLen = ListenerAcknowledged, nil, false
			}
		}
	}
	if len(p.buf) == 0 {
		p.buf = nil // let a large chunk go
	}
	return out
}

// pyIntBytes is Python's int() of a bytes object in base 10, clamped to
// int64: ASCII white space around, an optional sign, decimal digits with
// single underscores between them, at most 4300 digits.
func pyIntBytes(b []byte) (int64, bool) {
	b = bytes.Trim(b, " \t\n\v\f\r")
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || b[0] == '_' || b[len(b)-1] == '_' {
		return 0, false
	}
	var n int64
	digits := 0
	for i, c := range b {
		switch {
		case c == '_':
			if b[i-1] == '_' {
				return 0, false
			}
		case '0' <= c && c <= '9':
			digits++
			d := int64(c - '0')
			if n > (math.MaxInt64-d)/10 {
				n = math.MaxInt64
			} else if n != math.MaxInt64 {
				n = n*10 + d
			}
		default:
			return 0, false
		}
	}
	if digits > 4300 {
		return 0, false
	}
	if neg {
		return -n, true
	}
	return n, true
}
