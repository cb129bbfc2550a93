// Package listeners helps write Supervisor event listeners in Go: programs
// that run under supervisord in an [eventlistener:x] section and receive
// events on their stdin.
//
// A listener says READY, reads one event (a header line and a payload),
// acts on it and answers OK or FAIL; FAIL makes supervisord send the event
// again later. Listener does the protocol:
//
//	l := listeners.New(os.Stdin, os.Stdout)
//	for {
//		ev, err := l.Next() // writes READY, waits for an event
//		if err != nil {
//			return err // io.EOF: supervisord closed our stdin
//		}
//		if st, ok := ev.ProcessState(); ok && st.State == events.StateExited {
//			fmt.Fprintf(os.Stderr, "%s exited\n", st.Process)
//		}
//		l.OK()
//	}
//
// Only protocol messages may go to stdout; write anything else to stderr.
// The payload's "len" counts characters, as the reference daemon counts it,
// and Next reads that many UTF-8 characters.
//
// Package listeners/rpc calls supervisord back over XML-RPC (to restart a
// process, say); listeners/memmon, listeners/httpok and
// listeners/crashmail are complete listeners built on both, run by
// cmd/memmon, cmd/httpok and cmd/crashmail.
package listeners

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"supervisord/protocol/events"
)

// Listener speaks the event listener protocol over a reader (the process's
// stdin) and a writer (its stdout). It is not safe for concurrent use.
type Listener struct {
	r       *bufio.Reader
	w       io.Writer
	pending bool
}

// Errors of the protocol's order of calls.
var (
	ErrPending = errors.New("listeners: the previous event has not been answered with OK, Fail or Result")
	ErrNoEvent = errors.New("listeners: no event to answer")
)

// New returns a Listener reading events from r and answering on w. Each
// message is one Write to w, so w should not buffer (os.Stdout does not).
func New(r io.Reader, w io.Writer) *Listener {
	return &Listener{r: bufio.NewReader(r), w: w}
}

// Event is one event notification.
type Event struct {
	Header  events.Header
	Tokens  map[string]string // every header token, known or not
	Payload []byte
}

// Name is the event type's name, e.g. "PROCESS_STATE_RUNNING".
func (e *Event) Name() string { return e.Header.EventName }

// Type is the event's type; ok is false for a name this package does not
// know.
func (e *Event) Type() (t events.Type, ok bool) { return events.TypeByName(e.Header.EventName) }

// Is reports whether the event's type is t or derives from it
// (ev.Is(events.TypeTick) holds for TICK_5, TICK_60 and TICK_3600).
func (e *Event) Is(t events.Type) bool {
	typ, ok := e.Type()
	return ok && typ.Is(t)
}

// Parse reads the payload into its events struct (see events.ParsePayload).
func (e *Event) Parse() (events.Event, error) {
	return events.ParsePayload(e.Header.EventName, string(e.Payload))
}

// ProcessState is the payload of a PROCESS_STATE_* event.
func (e *Event) ProcessState() (events.ProcessState, bool) {
	ev, err := e.Parse()
	st, ok := ev.(events.ProcessState)
	return st, err == nil && ok
}

// Tick is the payload of a TICK_* event.
func (e *Event) Tick() (events.Tick, bool) {
	ev, err := e.Parse()
	t, ok := ev.(events.Tick)
	return t, err == nil && ok
}

// Next says READY and returns the next event, which must then be answered
// with OK, Fail or Result before Next is called again. It returns io.EOF
// when stdin ends between events (supervisord is stopping the listener).
func (l *Listener) Next() (*Event, error) {
	if l.pending {
		return nil, ErrPending
	}
	if _, err := io.WriteString(l.w, events.ReadyToken); err != nil {
		return nil, err
	}
	line, err := l.r.ReadString('\n')
	if err != nil {
		if err == io.EOF && line != "" {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	h, tokens, err := events.ParseHeader(line)
	if err != nil {
		return nil, fmt.Errorf("listeners: bad header line %q: %w", line, err)
	}
	payload, err := readChars(l.r, h.Len)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	l.pending = true
	return &Event{Header: h, Tokens: tokens, Payload: payload}, nil
}

// readChars reads n UTF-8 characters (a byte that is not valid UTF-8
// counts as one) and returns their bytes.
func readChars(r *bufio.Reader, n int) ([]byte, error) {
	buf := make([]byte, 0, n)
	for range n {
		c, size, err := r.ReadRune()
		if err != nil {
			return buf, err
		}
		if c == utf8.RuneError && size == 1 {
			_ = r.UnreadRune()
			b, _ := r.ReadByte()
			buf = append(buf, b)
			continue
		}
		buf = utf8.AppendRune(buf, c)
	}
	return buf, nil
}

// OK accepts the event.
func (l *Listener) OK() error { return l.Result("OK") }

// Fail rejects the event; supervisord will send it again.
func (l *Listener) Fail() error { return l.Result("FAIL") }

// Result answers the event with an arbitrary body; supervisord's default
// result handler takes anything but "OK" as a rejection.
func (l *Listener) Result(body string) error {
	if !l.pending {
		return ErrNoEvent
	}
	l.pending = false
	_, err := io.WriteString(l.w, events.ResultTokenStart+strconv.Itoa(len(body))+"\n"+body)
	return err
}

// Run serves events until reading one fails: each event goes to handle,
// and is answered OK when handle returns nil, FAIL otherwise. It returns
// nil when stdin ends between events.
func (l *Listener) Run(handle func(*Event) error) error {
	for {
		ev, err := l.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if handle(ev) == nil {
			err = l.OK()
		} else {
			err = l.Fail()
		}
		if err != nil {
			return err
		}
	}
}
