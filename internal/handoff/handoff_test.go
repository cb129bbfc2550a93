package handoff

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"supervisord/protocol/events"
)

func sample() *State {
	exit := 256
	return &State{
		Version: Version, Binary: "/usr/bin/supervisord", Argv: []string{"supervisord", "-c", "/etc/s.conf"},
		Config: "/etc/s.conf", Upgrades: 2, Attempt: 3, Serial: 41,
		Listeners:   []Listener{{Addr: "/tmp/s.sock", FD: 7}, {Addr: "127.0.0.1:9001", FD: 8}},
		FCGISockets: []FCGISocket{{Group: "php", FD: 15}},
		Processes: []Process{
			{Group: "web", Name: "web", State: 20, PID: 1234, Start: time.Unix(100, 5).UnixNano(),
				Stdin: 9, Stdout: 10, Stderr: 11, StdoutLog: "/tmp/web-stdout---x.log",
				Timers: []Timer{{Kind: 6, Left: time.Second}}},
			{Group: "g", Name: "w_1", State: 40, PID: 99, Killing: true, Stdin: -1, Stdout: 12, Stderr: -1,
				Exit: &exit},
			{Group: "g", Name: "w_2", State: 200, SpawnErr: "can't find command 'x'", Backoff: 4,
				Stdin: -1, Stdout: -1, Stderr: -1},
			{Group: "mail", Name: "mail", State: 20, PID: 77, Stdin: 13, Stdout: 14, Stderr: -1,
				EventListener: &EventListener{
					Protocol: events.ListenerSnapshot{State: events.ListenerBusy, HaveLen: true, ResultLen: 4, Result: []byte("FA")}},
				StdinQueued: []byte("d:1\n\xff\xfe")},
		},
		Pools: []Pool{{Group: "mail", Serial: 12,
			Buffer: []Event{{Serial: 40, PoolSerial: 11, Type: "PROCESS_LOG_STDOUT", Payload: []byte("processname:x groupname:x pid:1 channel:stdout\n\xff")}},
			Sent:   map[string]Event{"mail": {Serial: 39, PoolSerial: 10, Type: "TICK_5", Payload: []byte("when:1")}}}},
		Unpublished: []Event{{Type: "REMOTE_COMMUNICATION", Payload: []byte("type:x\ny")}},
	}
}

func TestRoundTrip(t *testing.T) {
	want := sample()
	data, err := Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	if fds, want := got.FDs(), []int{7, 8, 15, 9, 10, 11, 12, 13, 14}; !reflect.DeepEqual(fds, want) {
		t.Errorf("FDs() = %v, want %v", fds, want)
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(s *State)
		want   string
	}{
		{"other version", func(s *State) { s.Version = 2 }, "version 2"},
		{"standard descriptor", func(s *State) { s.Processes[0].Stdout = 1 }, "descriptor 1"},
		{"listener without descriptor", func(s *State) { s.Listeners[0].FD = -1 }, "descriptor -1"},
		{"descriptor twice", func(s *State) { s.Processes[1].Stdout = 7 }, "descriptor 7 named twice"},
		{"process twice", func(s *State) { s.Processes[2].Name = "w_1" }, "g:w_1 named twice"},
		{"nameless process", func(s *State) { s.Processes[0].Name = "" }, "without a name"},
		{"pipes without a pid", func(s *State) { s.Processes[1].PID = 0 }, "pipes without a process"},
		{"negative pid", func(s *State) { s.Processes[2].PID = -5 }, "pipes without a process"},
		{"negative timer", func(s *State) { s.Processes[0].Timers[0].Left = -1 }, "negative timer"},
		{"listener without a pid", func(s *State) { s.Processes[2].EventListener = s.Processes[3].EventListener }, "a listener without a process"},
		{"listener state", func(s *State) { s.Processes[3].EventListener.Protocol.State = 7 }, "not a listener protocol state"},
		{"fcgi socket twice", func(s *State) { s.FCGISockets = append(s.FCGISockets, s.FCGISockets[0]) }, `socket of group "php" named twice`},
		{"fcgi socket descriptor", func(s *State) { s.FCGISockets[0].FD = 8 }, "descriptor 8 named twice"},
		{"pool twice", func(s *State) { s.Pools = append(s.Pools, s.Pools[0]) }, `pool "mail" named twice`},
		{"unknown event type", func(s *State) { s.Pools[0].Buffer[0].Type = "NOPE" }, `event type "NOPE"`},
		{"sent event type", func(s *State) { s.Pools[0].Sent["mail"] = Event{Type: "EVENT_X"} }, "listener mail"},
		{"negative serial", func(s *State) { s.Unpublished[0].Serial = -1 }, "negative event serial"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sample()
			tc.change(s)
			data, err := Encode(s)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Decode(data)
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Decode: %v, want ErrFormat saying %q", err, tc.want)
			}
		})
	}
	data, _ := Encode(sample())
	for name, bad := range map[string][]byte{
		"no magic":      data[len(magic):],
		"truncated":     data[:len(data)-1],
		"trailing data": append(append([]byte{}, data...), []byte(" {}")...),
		"unknown field": []byte(magic + `{"version":1,"surprise":true}`),
	} {
		if _, err := Decode(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: Decode: %v, want ErrFormat", name, err)
		}
	}
}

// An event goes through as the bytes it was rendered to, invalid UTF-8
// included.
func TestEventKeepsItsBytes(t *testing.T) {
	ev := events.ProcessCommunication{Channel: events.Stdout, Process: "p", Group: "g", PID: 3, Data: []byte("<\xff\x00>")}
	e := NewEvent(5, 2, ev)
	data, err := Encode(&State{Version: Version, Pools: []Pool{{Group: "g", Buffer: []Event{e}}}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	got := s.Pools[0].Buffer[0]
	if got.Serial != 5 || got.PoolSerial != 2 || got.Event().EventType() != ev.EventType() || got.Event().Payload() != ev.Payload() {
		t.Fatalf("got %+v, want %+v", got, e)
	}
}

// FuzzDecode checks that Decode never panics and that whatever it accepts
// encodes to a state it accepts, which encodes the same again.
func FuzzDecode(f *testing.F) {
	data, _ := Encode(sample())
	f.Add(data)
	f.Add([]byte(magic + `{"version":1}`))
	f.Add([]byte(magic + `{"version":1,"processes":[{"group":"a","name":"b","stdin":-1,"stdout":-1,"stderr":-1}]}`))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(data)
		if err != nil {
			return
		}
		again, err := Encode(s)
		if err != nil {
			t.Fatalf("Encode of an accepted state: %v", err)
		}
		s2, err := Decode(again)
		if err != nil {
			t.Fatalf("Decode of a re-encoded state: %v", err)
		}
		// Compared encoded: an empty list and none are the same state.
		if third, _ := Encode(s2); string(third) != string(again) {
			t.Fatalf("re-encoding changed the state:\n%s\n%s", again, third)
		}
	})
}
