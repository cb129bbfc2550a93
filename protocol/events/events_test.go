package events

import (
	"errors"
	"math"
	"reflect"
	"testing"
	"time"
)

func TestTypes(t *testing.T) {
	if len(Types()) != 27 {
		t.Fatalf("%d types", len(Types()))
	}
	for _, typ := range Types() {
		back, ok := TypeByName(typ.String())
		if !ok || back != typ {
			t.Errorf("TypeByName(%s) = %v, %v", typ, back, ok)
		}
		if !typ.Is(TypeEvent) || !typ.Is(typ) {
			t.Errorf("%s is not an EVENT or not itself", typ)
		}
	}
	cases := []struct {
		t, parent Type
		is        bool
	}{
		{TypeProcessStateRunning, TypeProcessState, true},
		{TypeProcessState, TypeProcessStateRunning, false},
		{TypeTick60, TypeTick, true},
		{TypeTick60, TypeTick5, false},
		{TypeProcessLogStdout, TypeProcessCommunication, false},
		{TypeProcessCommunicationStderr, TypeProcessCommunication, true},
		{TypeRemoteCommunication, TypeEvent, true},
		{TypeEvent, TypeProcessState, false},
		{Type(200), TypeEvent, false},
	}
	for _, c := range cases {
		if got := c.t.Is(c.parent); got != c.is {
			t.Errorf("%s.Is(%s) = %v", c.t, c.parent, got)
		}
	}
	if _, ok := TypeEvent.Parent(); ok {
		t.Error("EVENT has a parent")
	}
	if p, _ := TypeTick3600.Parent(); p != TypeTick {
		t.Errorf("TICK_3600's parent is %s", p)
	}
	for _, typ := range []Type{TypeEvent, TypeProcessState, TypeTick, TypeProcessLog, TypeProcessGroup} {
		if !typ.Abstract() {
			t.Errorf("%s is not abstract", typ)
		}
	}
	if TypeRemoteCommunication.Abstract() || TypeTick5.Abstract() {
		t.Error("concrete types are abstract")
	}
	if Type(99).String() != "Type(99)" || Type(99).Valid() {
		t.Error("invalid type")
	}
	if !Subscribed([]Type{TypeTick60, TypeProcessState}, TypeProcessStateExited) ||
		Subscribed([]Type{TypeTick60}, TypeTick5) || Subscribed(nil, TypeTick5) {
		t.Error("Subscribed")
	}
}

func TestTypeByOptionName(t *testing.T) {
	for in, want := range map[string]Type{
		"tick_5": TypeTick5, "Process_State": TypeProcessState, "event": TypeEvent, "TICK": TypeTick,
		"proceß_state": TypeProcessState, "tıck_60": TypeTick60, "proceſſ_log": TypeProcessLog,
		"proce\ufb06s_log": Type(255), "process_\ufb06ate": TypeProcessState,
	} {
		got, ok := TypeByOptionName(in)
		if want == Type(255) {
			if ok {
				t.Errorf("TypeByOptionName(%q) = %s", in, got)
			}
			continue
		}
		if !ok || got != want {
			t.Errorf("TypeByOptionName(%q) = %v, %v; want %s", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", " TICK_5", "TICK_10", "__doc__", "TICK_5\x00", "tick_５", "ＴICK_5"} {
		if got, ok := TypeByOptionName(bad); ok {
			t.Errorf("TypeByOptionName(%q) = %s", bad, got)
		}
	}
	if _, ok := TypeByName("tick_5"); ok {
		t.Error("TypeByName is not exact")
	}
}

func TestPyBytesRepr(t *testing.T) {
	for in, want := range map[string]string{
		"":          `b''`,
		"abc":       `b'abc'`,
		"it's":      `b"it's"`,
		`it's "x"`:  `b'it\'s "x"'`,
		"\t\n\r\\":  `b'\t\n\r\\'`,
		"\x00\x1f ": `b'\x00\x1f '`,
		"\x7f\x80é": `b'\x7f\x80\xc3\xa9'`,
	} {
		if got := PyBytesRepr([]byte(in)); got != want {
			t.Errorf("PyBytesRepr(%q) = %s, want %s", in, got, want)
		}
	}
	if DataText([]byte("é")) != "é" || DataText([]byte{0xff}) != `Undecodable: b'\xff'` {
		t.Error("DataText")
	}
}

func TestPyIntBytes(t *testing.T) {
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = '1'
		}
		return string(b)
	}
	for in, want := range map[string]int64{
		"2": 2, " 2 ": 2, "\t\v\f\r2": 2, "+2": 2, "-2": -2, "-0": 0, "0_2": 2, "1_000": 1000, "002": 2,
		"99999999999999999999": math.MaxInt64, "-99999999999999999999": -math.MaxInt64,
		digits(4300): math.MaxInt64,
	} {
		if got, ok := pyIntBytes([]byte(in)); !ok || got != want {
			t.Errorf("pyIntBytes(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", " ", "+", "-", "_1", "1_", "1__0", "+_1", "- 1", "0x10", "1e3", "1.0",
		"\x1c1", "\xa01", "2\x00", "١", digits(4301)} {
		if got, ok := pyIntBytes([]byte(in)); ok {
			t.Errorf("pyIntBytes(%q) = %d", in, got)
		}
	}
}

func TestParseTokens(t *testing.T) {
	got, err := ParseTokens(" a:b\tc:d:e \x1cf: g:1 g:2\u3000")
	want := map[string]string{"a": "b", "c": "d:e", "f": "", "g": "2"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseTokens = %v, %v", got, err)
	}
	if _, err := ParseTokens("a:b c"); !errors.Is(err, ErrBadToken) {
		t.Errorf("ParseTokens without colon: %v", err)
	}
	if m, err := ParseTokens(""); err != nil || len(m) != 0 {
		t.Errorf("ParseTokens(\"\") = %v, %v", m, err)
	}
}

func TestParseHeader(t *testing.T) {
	h, tok, err := ParseHeader("ver:3.0 server:supervisor serial:21 pool:listener poolserial:10 eventname:PROCESS_COMMUNICATION_STDOUT len:54 extra:1\n")
	want := Header{"3.0", "supervisor", 21, "listener", 10, "PROCESS_COMMUNICATION_STDOUT", 54}
	if err != nil || h != want || tok["extra"] != "1" {
		t.Fatalf("ParseHeader = %+v, %v, %v", h, tok, err)
	}
	if h.String() != "ver:3.0 server:supervisor serial:21 pool:listener poolserial:10 eventname:PROCESS_COMMUNICATION_STDOUT len:54" {
		t.Errorf("String = %q", h.String())
	}
	for _, bad := range []string{
		"", "eventname:X", "len:1", "eventname:X len:-1", "eventname:X len:+1", "eventname:X len:x",
		"eventname:X len:1 serial:y", "eventname:X len:1 poolserial:", "eventname:X len:1 junk",
		"eventname:X len:99999999999999999999",
	} {
		if h, _, err := ParseHeader(bad); err == nil {
			t.Errorf("ParseHeader(%q) = %+v", bad, h)
		}
	}
}

func TestNextSerial(t *testing.T) {
	if NextSerial(-1) != 0 || NextSerial(0) != 1 || NextSerial(math.MaxInt64) != 0 {
		t.Error("NextSerial")
	}
}

func TestPayloadLenCountsCharacters(t *testing.T) {
	ev := ProcessLog{Channel: Stdout, Process: "p", Group: "g", PID: 1, Data: []byte("é€😀")}
	env := string(Envelope("s", 1, "l", 2, ev))
	want := "ver:3.0 server:s serial:1 pool:l poolserial:2 eventname:PROCESS_LOG_STDOUT len:50\n" +
		"processname:p groupname:g pid:1 channel:stdout\né€😀"
	if env != want {
		t.Errorf("Envelope = %q, want %q", env, want)
	}
}

func TestParsePayloadErrors(t *testing.T) {
	for _, c := range [][2]string{
		{"NOPE", ""}, {"EVENT", ""}, {"PROCESS_STATE", "processname:a groupname:b from_state:X"},
		{"PROCESS_STATE_RUNNING", "processname:a groupname:b from_state:X"},
		{"PROCESS_STATE_RUNNING", "processname:a groupname:b pid:1"},
		{"PROCESS_STATE_EXITED", "processname:a groupname:b from_state:X expected:2 pid:1"},
		{"PROCESS_STATE_STARTING", "processname:a groupname:b from_state:X tries:+1"},
		{"PROCESS_STATE_FATAL", "processname:a groupname:b from_state:X junk"},
		{"PROCESS_LOG_STDOUT", "processname:a groupname:b pid:1 channel:stdout"},
		{"PROCESS_LOG_STDOUT", "processname:a groupname:b pid:1 channel:stderr\n"},
		{"PROCESS_LOG_STDERR", "processname:a groupname:b pid:x channel:stderr\n"},
		{"PROCESS_COMMUNICATION_STDOUT", "processname:a pid:1\n"},
		{"REMOTE_COMMUNICATION", "type:x"}, {"REMOTE_COMMUNICATION", "kind:x\n"},
		{"SUPERVISOR_STATE_CHANGE_RUNNING", "x"}, {"TICK_5", "when:"}, {"TICK_5", "when:+5"}, {"TICK_60", "5"},
		{"PROCESS_GROUP_ADDED", "groupname:x"}, {"PROCESS_GROUP_REMOVED", "groupname:x\ny\n"},
	} {
		if ev, err := ParsePayload(c[0], c[1]); err == nil {
			t.Errorf("ParsePayload(%s, %q) = %#v", c[0], c[1], ev)
		}
	}
	ev, err := ParsePayload("PROCESS_STATE_EXITED", "processname:a groupname: from_state:RUNNING expected:0 pid:7 more:1")
	if err != nil || ev != (ProcessState{State: StateExited, Process: "a", From: StateRunning, PID: 7}) {
		t.Errorf("ParsePayload = %#v, %v", ev, err)
	}
}

func TestTimeSlice(t *testing.T) {
	at := time.Unix(1201063883, 900e6)
	if TimeSlice(5, at) != 1201063880 || TimeSlice(60, at) != 1201063860 || TimeSlice(3600, at) != 1201060800 {
		t.Error("TimeSlice")
	}
	if TimeSlice(5, time.Unix(-3, 0)) != -5 || TimeSlice(5, time.Unix(-5, 0)) != -5 || TimeSlice(5, time.Unix(0, -1)) != -5 {
		t.Error("TimeSlice before 1970")
	}
}

func TestTickClock(t *testing.T) {
	var c TickClock
	base := time.Unix(1199998800, 0) // a multiple of 3600
	if due := c.Due(base.Add(1 * time.Second)); len(due) != 0 {
		t.Fatalf("first look: %v", due)
	}
	if due := c.Due(base.Add(4 * time.Second)); len(due) != 0 {
		t.Fatalf("same slice: %v", due)
	}
	if due := c.Due(base.Add(5 * time.Second)); !reflect.DeepEqual(due, []Tick{{5, 1199998805}}) {
		t.Fatalf("next slice: %v", due)
	}
	due := c.Due(base.Add(3600 * time.Second))
	want := []Tick{{5, 1200002400}, {60, 1200002400}, {3600, 1200002400}}
	if !reflect.DeepEqual(due, want) {
		t.Fatalf("an hour on: %v", due)
	}
	// A clock set back ticks again, for the earlier slice.
	if due := c.Due(base.Add(7 * time.Second)); !reflect.DeepEqual(due,
		[]Tick{{5, 1199998805}, {60, 1199998800}, {3600, 1199998800}}) {
		t.Fatalf("clock set back: %v", due)
	}
	if (Tick{Period: 7}).EventType() != TypeTick {
		t.Error("odd period")
	}
}

func TestListenerOutputAPI(t *testing.T) {
	p := NewListenerOutput()
	if p.State() != ListenerAcknowledged || p.Dispatched() {
		t.Fatal("fresh listener")
	}
	if sigs := p.Feed(nil); sigs != nil {
		t.Fatal("EOF did something")
	}
	if sigs := p.Feed([]byte("READY\n")); !reflect.DeepEqual(sigs, []Signal{Ready{}}) {
		t.Fatalf("READY: %#v", sigs)
	}
	if !p.Dispatched() || p.State() != ListenerBusy || p.Dispatched() {
		t.Fatal("Dispatched")
	}
	sigs := p.Feed([]byte("RESULT 4\nFAILREA"))
	if len(sigs) != 1 || !sigs[0].(Result).Rejected() || string(sigs[0].(Result).Body) != "FAIL" || p.Buffered() != 3 {
		t.Fatalf("FAIL: %#v, %d buffered", sigs, p.Buffered())
	}
	if ListenerState(7).String() != "ListenerState(7)" {
		t.Error("String")
	}
	perr := ProtocolError{From: ListenerBusy, Line: []byte("RESULT \xff")}
	if !perr.Rejected() || perr.Logs("l")[0].Message != `l: bad result line: 'Undecodable: b'RESULT \xff''` {
		t.Errorf("ProtocolError logs: %v", perr.Logs("l"))
	}
	for _, e := range []ProtocolError{perr, {From: ListenerReady}, {From: ListenerAcknowledged}} {
		if e.Error() == "" {
			t.Error("empty error")
		}
	}
	if (Stalled{Len: -1}).Logs("l")[0].Level != LevelCritical {
		t.Error("Stalled level")
	}
}
