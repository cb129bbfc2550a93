package listeners

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"supervisord/protocol/events"
)

// fakeDaemon is the daemon's side of one listener, built from
// protocol/events: it waits for READY, writes an envelope, and reads the
// result through a ListenerOutput, as the pool actor will.
type fakeDaemon struct {
	t      *testing.T
	toL    *io.PipeWriter // the listener's stdin
	fromL  *io.PipeReader // the listener's stdout
	out    *events.ListenerOutput
	serial int64
}

func newPair(t *testing.T) (*fakeDaemon, *Listener) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	t.Cleanup(func() { inW.Close(); outR.Close() })
	return &fakeDaemon{t: t, toL: inW, fromL: outR, out: events.NewListenerOutput(), serial: -1}, New(inR, outW)
}

// await reads the listener's output until a signal comes.
func (d *fakeDaemon) await() events.Signal {
	buf := make([]byte, 7) // small reads: chunking must not matter
	for {
		n, err := d.fromL.Read(buf)
		if err != nil {
			d.t.Errorf("reading the listener: %v", err)
			return nil
		}
		if sigs := d.out.Feed(buf[:n]); len(sigs) > 0 {
			if len(sigs) != 1 {
				d.t.Errorf("signals %#v", sigs)
			}
			return sigs[0]
		}
	}
}

// send waits for READY then writes ev.
func (d *fakeDaemon) send(ev events.Event) {
	if sig := d.await(); sig != (events.Ready{}) {
		d.t.Errorf("listener said %#v, want Ready", sig)
		return
	}
	if !d.out.Dispatched() {
		d.t.Error("not dispatched")
	}
	d.serial = events.NextSerial(d.serial)
	env := events.Envelope("supervisor", d.serial, "pool", d.serial, ev)
	// Write in two pieces so the listener must wait for the payload.
	half := len(env) / 2
	if _, err := d.toL.Write(env[:half]); err != nil {
		d.t.Error(err)
	}
	if _, err := d.toL.Write(env[half:]); err != nil {
		d.t.Error(err)
	}
}

func TestListenerAgainstFakeDaemon(t *testing.T) {
	d, l := newPair(t)
	sent := []events.Event{
		events.ProcessState{State: events.StateRunning, Process: "cat", Group: "cat", From: events.StateStarting, PID: 42},
		events.ProcessLog{Channel: events.Stdout, Process: "p", Group: "g", PID: 7, Data: []byte("héllo € 😀\n\xff")},
		events.Tick{Period: 60, When: 1201063860},
		events.SupervisorRunning{},
		events.ProcessLog{Channel: events.Stderr, Process: "p", Group: "g", PID: 7, Data: []byte("ünïcödé\n")},
	}
	done := make(chan []events.Signal)
	go func() {
		var results []events.Signal
		for _, ev := range sent {
			d.send(ev)
			results = append(results, d.await())
		}
		done <- results
	}()
	for i, want := range sent {
		ev, err := l.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.Name() != want.EventType().String() || ev.Header.Serial != int64(i) || ev.Tokens["pool"] != "pool" {
			t.Errorf("header %+v", ev.Header)
		}
		if string(ev.Payload) != want.Payload() {
			t.Errorf("payload %q, want %q", ev.Payload, want.Payload())
		}
		if _, err := l.Next(); !errors.Is(err, ErrPending) {
			t.Errorf("Next before answering: %v", err)
		}
		switch i {
		case 0:
			st, ok := ev.ProcessState()
			if !ok || st != want {
				t.Errorf("ProcessState() = %+v, %v", st, ok)
			}
			if !ev.Is(events.TypeProcessState) || ev.Is(events.TypeTick) {
				t.Error("Is")
			}
			err = l.OK()
		case 2:
			tick, ok := ev.Tick()
			if !ok || tick.When != 1201063860 || !ev.Is(events.TypeTick) {
				t.Errorf("Tick() = %+v, %v", tick, ok)
			}
			err = l.Fail()
		case 3:
			err = l.Result("MAYBE")
		default:
			err = l.OK()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	results := <-done
	wantOK := []bool{true, true, false, false, true}
	for i, sig := range results {
		r, ok := sig.(events.Result)
		if !ok || r.OK() != wantOK[i] {
			t.Errorf("result %d = %#v", i, sig)
		}
	}
	if err := l.OK(); !errors.Is(err, ErrNoEvent) {
		t.Errorf("OK without event: %v", err)
	}
}

func TestRun(t *testing.T) {
	d, l := newPair(t)
	go func() {
		d.send(events.Tick{Period: 5, When: 5})
		d.await()
		d.send(events.RemoteCommunication{Type: "x", Data: "fail me"})
		d.await()
		d.await() // READY again
		d.toL.Close()
	}()
	var got []string
	err := l.Run(func(ev *Event) error {
		got = append(got, ev.Name())
		if strings.Contains(string(ev.Payload), "fail me") {
			return errors.New("no")
		}
		return nil
	})
	if err != nil || strings.Join(got, ",") != "TICK_5,REMOTE_COMMUNICATION" {
		t.Fatalf("Run = %v after %v", err, got)
	}
}

func TestProtocolBytes(t *testing.T) {
	var out bytes.Buffer
	in := "ver:3.0 server:s serial:1 pool:p poolserial:1 eventname:REMOTE_COMMUNICATION len:9\ntype:é\nab" +
		"ver:3.0 server:s serial:2 pool:p poolserial:2 eventname:TICK_5 len:6\nwhen:5"
	l := New(strings.NewReader(in), &out)
	ev, err := l.Next()
	if err != nil || string(ev.Payload) != "type:é\nab" {
		t.Fatalf("Next = %+v, %v", ev, err)
	}
	l.Result("ünï")
	ev, err = l.Next()
	if err != nil || string(ev.Payload) != "when:5" {
		t.Fatalf("Next = %+v, %v", ev, err)
	}
	l.OK()
	if _, err := l.Next(); err != io.EOF {
		t.Fatalf("at the end: %v", err)
	}
	// The result length is in bytes: that is what the daemon counts.
	if want := "READY\nRESULT 5\nünïREADY\nRESULT 2\nOKREADY\n"; out.String() != want {
		t.Errorf("wrote %q, want %q", out.String(), want)
	}
	for _, bad := range []string{"ver:3.0 len:1", "eventname:X len:x\n", "eventname:X len:5\nabc"} {
		if _, err := New(strings.NewReader(bad), io.Discard).Next(); err == nil || err == io.EOF {
			t.Errorf("Next on %q: %v", bad, err)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriteErrors(t *testing.T) {
	l := New(strings.NewReader(""), failWriter{})
	if _, err := l.Next(); err == nil {
		t.Error("Next with a broken stdout")
	}
	if err := l.Run(func(*Event) error { return nil }); err == nil {
		t.Error("Run with a broken stdout")
	}
}
