package events

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzListenerOutput feeds arbitrary output, cut into chunks, with events
// dispatched in between, and checks that every signal is a legal step of
// the state machine.
func FuzzListenerOutput(f *testing.F) {
	for _, s := range []string{
		"READY\n|>RESULT 2\nOK", "READY\n|>RESULT 4\nFAIL|READY\n", "REA|DY\n", "READY\nX",
		"READY\n|>RESULT 0\n|READY\n", "READY\n|>RESULT -1\n|OK", "READY\n|>RESULT x\n",
		"READY\n|>XXXXXXX2\nOK\n|READY\n", "junk!!", "READY\n|>RESULT 1_0\n0123456789READY\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		// '|' cuts a chunk, '>' dispatches an event.
		p := NewListenerOutput()
		for _, chunk := range bytes.Split(script, []byte("|")) {
			for len(chunk) > 0 && chunk[0] == '>' {
				before := p.State()
				ok := p.Dispatched()
				if ok != (before == ListenerReady && !p.Closed()) || (ok && p.State() != ListenerBusy) ||
					(!ok && p.State() != before) {
					t.Fatalf("Dispatched from %s = %v, now %s", before, ok, p.State())
				}
				chunk = chunk[1:]
			}
			state := p.State()
			closed := p.Closed()
			for _, sig := range p.Feed(chunk) {
				if closed {
					t.Fatalf("signal %#v after Stalled", sig)
				}
				state = fuzzStep(t, state, sig)
				switch sig := sig.(type) {
				case ProtocolError:
					if sig.Error() == "" || len(sig.Logs("x")) < 2 {
						t.Fatal("ProtocolError without text")
					}
				case Stalled:
					if state != ListenerBusy || sig.Len >= 0 {
						t.Fatalf("Stalled(%d) from %s", sig.Len, state)
					}
					closed = true
				}
				for _, l := range sig.Logs("proc") {
					if !strings.Contains(l.Message, "proc") {
						t.Fatalf("log line %q does not name the process", l.Message)
					}
				}
			}
			// A handed-over listener goes on as this one does.
			q, err := RestoreListenerOutput(p.Snapshot())
			if err != nil {
				t.Fatalf("a reachable state is refused: %v (%+v)", err, p.Snapshot())
			}
			if !reflect.DeepEqual(q.Snapshot(), p.Snapshot()) {
				t.Fatalf("restored %+v, want %+v", q.Snapshot(), p.Snapshot())
			}
			p = q
			if state != p.State() || closed != p.Closed() {
				t.Fatalf("signals lead to %s (closed %v), state is %s (closed %v)", state, closed, p.State(), p.Closed())
			}
			switch p.State() {
			case ListenerAcknowledged:
				if p.Buffered() >= len(ReadyToken) {
					t.Fatalf("ACKNOWLEDGED with %d bytes buffered", p.Buffered())
				}
			case ListenerReady, ListenerUnknown:
				if p.Buffered() != 0 {
					t.Fatalf("%s with %d bytes buffered", p.State(), p.Buffered())
				}
			}
		}
	})
}

// FuzzRestoreListenerOutput restores arbitrary states: one it takes
// snapshots back to itself, and goes on like a listener fed to that state
// (no signal from a state a signal cannot come from).
func FuzzRestoreListenerOutput(f *testing.F) {
	f.Add(int(ListenerBusy), []byte("RESULT 4"), false, int64(0), []byte(""), false, []byte("\nOK"))
	f.Add(int(ListenerBusy), []byte(""), true, int64(4), []byte("OK"), false, []byte("OKREADY\n"))
	f.Add(int(ListenerBusy), []byte("x"), true, int64(-1), []byte(""), true, []byte("READY\n"))
	f.Add(int(ListenerAcknowledged), []byte("REA"), false, int64(0), []byte(""), false, []byte("DY\n"))
	f.Fuzz(func(t *testing.T, code int, buf []byte, haveLen bool, n int64, result []byte, closed bool, more []byte) {
		s := ListenerSnapshot{State: ListenerState(code), Buf: clone(buf), HaveLen: haveLen, ResultLen: n,
			Result: clone(result), Closed: closed}
		p, err := RestoreListenerOutput(s)
		if err != nil {
			return
		}
		if !reflect.DeepEqual(p.Snapshot(), s) {
			t.Fatalf("restored %+v from %+v", p.Snapshot(), s)
		}
		state := p.State()
		for _, sig := range p.Feed(more) {
			state = fuzzStep(t, state, sig)
		}
		if state != p.State() {
			t.Fatalf("signals lead to %s, state is %s", state, p.State())
		}
	})
}

// fuzzStep is the state a signal leads to from state, failing t for a signal
// that cannot come from it.
func fuzzStep(t *testing.T, state ListenerState, sig Signal) ListenerState {
	t.Helper()
	switch sig := sig.(type) {
	case Ready:
		if state != ListenerAcknowledged {
			t.Fatalf("Ready from %s", state)
		}
		return ListenerReady
	case Result:
		if state != ListenerBusy {
			t.Fatalf("Result from %s", state)
		}
		return ListenerAcknowledged
	case ProtocolError:
		if sig.From != state || state == ListenerUnknown {
			t.Fatalf("ProtocolError from %s in %s", sig.From, state)
		}
		return ListenerUnknown
	}
	return state
}

// FuzzParseHeader reads arbitrary header lines; whatever it accepts must
// print back to a line that parses to the same header.
func FuzzParseHeader(f *testing.F) {
	f.Add("ver:3.0 server:supervisor serial:21 pool:listener poolserial:10 eventname:PROCESS_COMMUNICATION_STDOUT len:54\n")
	f.Add("eventname:TICK_5 len:15")
	f.Add("len:-1 eventname:X")
	f.Add("a:b:c eventname:: len:0 serial:+1")
	f.Add("ver:3.0\x1cserver:s\u00a0serial:1 len:0 eventname:E")
	f.Fuzz(func(t *testing.T, line string) {
		h, tokens, err := ParseHeader(line)
		if err != nil {
			return
		}
		if h.Len < 0 || tokens["eventname"] != h.EventName {
			t.Fatalf("ParseHeader(%q) = %+v", line, h)
		}
		if strings.ContainsFunc(h.Ver+h.Server+h.Pool+h.EventName, IsPySpace) {
			t.Fatalf("a value holds white space: %+v", h)
		}
		h2, _, err := ParseHeader(h.String() + "\n")
		if err != nil || h2 != h {
			t.Fatalf("ParseHeader(%q) = %+v, %v; want %+v", h.String(), h2, err, h)
		}
	})
}

// FuzzParsePayload reads arbitrary payloads for every event name; what it
// accepts must print to a payload that reads back the same.
func FuzzParsePayload(f *testing.F) {
	for _, ev := range []Event{
		ProcessState{State: StateExited, Process: "a", Group: "b", From: StateRunning, PID: 3},
		ProcessState{State: StateStarting, Process: "a", From: StateBackoff, Tries: 2},
		ProcessLog{Channel: Stderr, Process: "a", Group: "b", PID: 1, Data: []byte("x\ny")},
		ProcessCommunication{Process: "a", Group: "b", PID: 1, Data: []byte("\xff")},
		RemoteCommunication{Type: "t y", Data: "d"},
		Tick{Period: 60, When: 120},
		ProcessGroupRemoved{Group: "g"},
		SupervisorRunning{},
		ProcessHealth{Type: TypeProcessHealthUnhealthy, Process: "a", Group: "b", PID: 3, Detail: "exec: exit status 1"},
		ProcessHealth{Type: TypeProcessHealthReady, Process: "a", Group: "b", PID: 3},
		ProcessHealth{Type: TypeProcessHealthHealthy, Process: "a", Group: "b", PID: 3},
	} {
		f.Add(uint8(ev.EventType()), ev.Payload())
	}
	f.Fuzz(func(t *testing.T, typ uint8, payload string) {
		name := Type(typ % uint8(endTypes)).String()
		ev, err := ParsePayload(name, payload)
		if err != nil {
			return
		}
		if ev.EventType().String() != name {
			t.Fatalf("ParsePayload(%s) gave a %s", name, ev.EventType())
		}
		again, err := ParsePayload(name, ev.Payload())
		if err != nil {
			t.Fatalf("ParsePayload(%s, %q) = %v", name, ev.Payload(), err)
		}
		if !reflect.DeepEqual(normal(again), normal(ev)) {
			t.Fatalf("%#v printed as %q reads back as %#v", ev, ev.Payload(), again)
		}
		if !utf8.ValidString(payload) {
			return
		}
		if PayloadLen(ev.Payload()) != utf8.RuneCountInString(ev.Payload()) {
			t.Fatal("PayloadLen")
		}
	})
}

// normal drops what a payload does not carry and turns undecodable data
// into the text that stands for it.
func normal(ev Event) Event {
	switch e := ev.(type) {
	case ProcessLog:
		e.Data = []byte(DataText(e.Data))
		return e
	case ProcessCommunication:
		e.Data = []byte(DataText(e.Data))
		return e
	}
	return ev
}
