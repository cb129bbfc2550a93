package events

import (
	"errors"
	"fmt"
)

// ListenerSnapshot is a ListenerOutput's whole state, for handing a running
// listener over to another daemon image (supervisorctl upgrade): what it
// said last and the output it has not finished yet.
type ListenerSnapshot struct {
	State ListenerState `json:"state"`
	// Buf is output not acted on yet: a partial READY token, or a result
	// line still without its newline.
	Buf []byte `json:"buf,omitempty"`
	// HaveLen says the RESULT line was read: ResultLen bytes of body are
	// due, Result of them have come.
	HaveLen   bool   `json:"have_len,omitempty"`
	ResultLen int64  `json:"result_len,omitempty"`
	Result    []byte `json:"result,omitempty"`
	// Closed says the listener stalled and its output is ignored.
	Closed bool `json:"closed,omitempty"`
}

// Snapshot is p's state; RestoreListenerOutput makes a ListenerOutput that
// goes on exactly as p would.
func (p *ListenerOutput) Snapshot() ListenerSnapshot {
	s := ListenerSnapshot{State: p.state, Buf: clone(p.buf), HaveLen: p.haveLen, Result: clone(p.result), Closed: p.closed}
	if p.haveLen { // else a finished result's length, read anew with the next
		s.ResultLen = p.resultLen
	}
	return s
}

func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// ErrSnapshot is RestoreListenerOutput's error for a state no ListenerOutput
// can be in.
var ErrSnapshot = errors.New("supervisor: not a listener protocol state")

// RestoreListenerOutput makes a ListenerOutput in the state s, which must be
// one a ListenerOutput can reach: Feed never leaves a READY or UNKNOWN
// listener with output buffered, nor a whole READY token or a result body
// in full, and only a BUSY listener has a result under way.
func RestoreListenerOutput(s ListenerSnapshot) (*ListenerOutput, error) {
	bad := func(why string) (*ListenerOutput, error) {
		return nil, fmt.Errorf("%w: %s: %s", ErrSnapshot, s.State, why)
	}
	busy := s.State == ListenerBusy
	switch {
	case s.State != ListenerReady && !busy && s.State != ListenerAcknowledged && s.State != ListenerUnknown:
		return bad("no such state")
	case !busy && (s.HaveLen || s.ResultLen != 0 || len(s.Result) > 0 || s.Closed):
		return bad("a result under way")
	case (s.State == ListenerReady || s.State == ListenerUnknown) && len(s.Buf) > 0:
		return bad("output buffered")
	case s.State == ListenerAcknowledged && len(s.Buf) >= len(ReadyToken):
		return bad("a whole token buffered")
	case busy && !s.HaveLen && (s.ResultLen != 0 || len(s.Result) > 0 || s.Closed):
		return bad("a result body before its length")
	case busy && s.HaveLen && s.ResultLen >= 0 && (int64(len(s.Result)) > s.ResultLen ||
		s.ResultLen > 0 && int64(len(s.Result)) == s.ResultLen):
		// "RESULT 0\n" alone waits for more output; a longer body is
		// acted on once whole.
		return bad("a whole result buffered")
	case busy && s.HaveLen && s.ResultLen < 0 && (len(s.Result) > 0 || !s.Closed && len(s.Buf) > 0):
		// A negative length stalls the listener once more output comes.
		return bad("output past a negative length")
	case busy && s.HaveLen && s.ResultLen >= 0 && (len(s.Buf) > 0 || s.Closed):
		return bad("output past a result under way")
	}
	return &ListenerOutput{state: s.State, buf: clone(s.Buf), haveLen: s.HaveLen, resultLen: s.ResultLen,
		result: clone(s.Result), closed: s.Closed}, nil
}
