package events

import "testing"

// The daemon's side of the listener protocol: what a listener says after
// each event, fed to the parser one read at a time.

func BenchmarkListenerOutputFeed(b *testing.B) {
	p := NewListenerOutput()
	p.Feed([]byte(ReadyToken))
	chunk := []byte("RESULT 2\nOK" + ReadyToken) // a result and the next READY in one read
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for b.Loop() {
		if !p.Dispatched() {
			b.Fatal("not READY")
		}
		if sigs := p.Feed(chunk); len(sigs) != 2 {
			b.Fatalf("signals %v", sigs)
		}
	}
}

func BenchmarkListenerOutputFeedSplit(b *testing.B) {
	p := NewListenerOutput()
	p.Feed([]byte(ReadyToken))
	reads := [][]byte{[]byte("RESU"), []byte("LT 4\nFA"), []byte("IL"), []byte(ReadyToken)}
	b.ReportAllocs()
	for b.Loop() {
		p.Dispatched()
		n := 0
		for _, r := range reads {
			n += len(p.Feed(r))
		}
		if n != 2 {
			b.Fatalf("%d signals", n)
		}
	}
}

func BenchmarkEnvelopeProcessState(b *testing.B) {
	ev := ProcessState{State: StateRunning, Process: "web_03", Group: "web", From: StateStarting, PID: 12345, Tries: 0}
	b.ReportAllocs()
	var serial int64
	for b.Loop() {
		serial++
		b.SetBytes(int64(len(Envelope("supervisor", serial, "listener", serial, ev))))
	}
}

func BenchmarkParseHeader(b *testing.B) {
	line := string(Header{Ver: ProtocolVersion, Server: "supervisor", Serial: 21, Pool: "listener", PoolSerial: 10,
		EventName: "PROCESS_STATE_RUNNING", Len: 84}.String()) + "\n"
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseHeader(line); err != nil {
			b.Fatal(err)
		}
	}
}
