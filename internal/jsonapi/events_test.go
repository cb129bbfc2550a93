package jsonapi

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"supervisord/protocol/events"
)

// eventSeq is the sequence number in an event id.
func eventSeq(t *testing.T, id string) uint64 {
	t.Helper()
	_, seq, err := parseSince(id)
	if err != nil {
		t.Fatalf("event id %q: %v", id, err)
	}
	return seq
}

// received is what a client kept of an event: its sequence number, type
// and, for REMOTE_COMMUNICATION, its data.
type received struct {
	seq  uint64
	typ  string
	data string
}

func receivedOf(t *testing.T, ev sseEvent) received {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(ev.Data), &m); err != nil {
		t.Fatalf("event data %q: %v", ev.Data, err)
	}
	r := received{seq: eventSeq(t, ev.ID), typ: ev.Event}
	if m["seq"] != float64(r.seq) {
		t.Errorf("id %s, data seq %v", ev.ID, m["seq"])
	}
	if d, ok := m["data"].(string); ok && ev.Event == "REMOTE_COMMUNICATION" {
		r.data = d
	}
	return r
}

// publisher publishes REMOTE_COMMUNICATION events 0..n-1, then one with
// data "end", a few at a time, until all are out.
func (f *fixture) publisher(n int) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			f.tree.Publish(events.RemoteCommunication{Type: "test", Data: strconv.Itoa(i)})
			if i%10 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		f.tree.Publish(events.RemoteCommunication{Type: "test", Data: "end"})
	})
	return wg.Wait
}

// readUntilEnd reads a stream's events until the "end" event, failing at
// a gap.
func readUntilEnd(t *testing.T, ch <-chan sseEvent, max int) []received {
	t.Helper()
	var got []received
	for {
		ev := next(t, ch)
		if ev.Event == "gap" {
			t.Fatalf("a gap after %d events: %s", len(got), ev.Data)
		}
		r := receivedOf(t, ev)
		got = append(got, r)
		if r.data == "end" || len(got) == max {
			return got
		}
	}
}

// A client that loses its connection mid-stream and comes back with
// Last-Event-ID, while events keep coming, gets every event once: the run
// it puts together is the one a client that stayed connected saw, with
// sequence numbers 1, 2, 3, ... and nothing missing or repeated.
func TestEventReplayAcrossReconnect(t *testing.T) {
	f := startFixture(t, testConf)
	full, cancelFull := f.stream("/api/v1/events?since=0")
	defer cancelFull()
	first, cancelFirst := f.stream("/api/v1/events?since=0")
	done := f.publisher(300)
	got := readUntilEnd(t, first, 120)
	cancelFirst() // the connection is gone, the events it had not read with it
	last := got[len(got)-1]
	time.Sleep(20 * time.Millisecond) // events go on meanwhile
	epoch, _, _ := strings.Cut(f.lastID(t), "-")
	again, cancelAgain := f.stream("/api/v1/events", "Last-Event-ID", epoch+"-"+strconv.FormatUint(last.seq, 10))
	defer cancelAgain()
	got = append(got, readUntilEnd(t, again, math.MaxInt)...)
	done()
	want := readUntilEnd(t, full, math.MaxInt)
	if len(got) != len(want) {
		t.Fatalf("reconnected: %d events, stayed: %d", len(got), len(want))
	}
	remote := 0
	for i := range got {
		if got[i] != want[i] || got[i].seq != uint64(i+1) {
			t.Fatalf("event %d: reconnected %+v, stayed %+v", i, got[i], want[i])
		}
		if got[i].typ == "REMOTE_COMMUNICATION" && got[i].data != "end" {
			if got[i].data != strconv.Itoa(remote) {
				t.Fatalf("remote event %d has data %q", remote, got[i].data)
			}
			remote++
		}
	}
	if remote != 300 {
		t.Errorf("%d remote events", remote)
	}
}

// lastID is the id of the newest event.
func (f *fixture) lastID(t *testing.T) string {
	b, err := f.tree.Events(context.Background(), math.MaxUint64, 1)
	if err != nil {
		t.Fatal(err)
	}
	return eventID(b.Epoch, b.Last)
}

const smallHistory = `
[supervisord]
logfile=%(here)s/main.log
childlogdir=%(here)s
event_history=5
[program:sleeper]
command=/bin/sleep 1000
startsecs=0
`

// A client whose next event fell out of the history gets a gap first,
// saying where the history it goes on with starts and how many it missed;
// one with another daemon's id (or an id not yet given) gets a gap with
// the count left out.
func TestEventGap(t *testing.T) {
	f := startFixture(t, smallHistory)
	f.publisher(20)()
	open := func(path string, hdr ...string) (gap map[string]any, gapID string, after []received) {
		t.Helper()
		ch, cancel := f.stream(path, hdr...)
		defer cancel()
		ev := next(t, ch)
		if ev.Event != "gap" {
			t.Fatalf("%s: first event %+v", path, ev)
		}
		json.Unmarshal([]byte(ev.Data), &gap)
		return gap, ev.ID, readUntilEnd(t, ch, math.MaxInt)
	}
	last := f.lastID(t)
	epoch, _, _ := strings.Cut(last, "-")
	lastSeq := eventSeq(t, last)

	gap, id, after := open("/api/v1/events?since=" + epoch + "-2")
	from := eventSeq(t, gap["from"].(string))
	if from != lastSeq-4 || gap["missed"] != float64(from-1-2) || eventSeq(t, id) != from-1 {
		t.Errorf("gap %v id %s; last %d", gap, id, lastSeq)
	}
	if len(after) != 5 || after[0].seq != from || after[4].seq != lastSeq {
		t.Errorf("after the gap: %+v", after)
	}

	for _, since := range []string{"deadbeef-3", "99999", epoch + "-99999"} {
		gap, _, after := open("/api/v1/events", "Last-Event-ID", since)
		if _, ok := gap["missed"]; ok || eventSeq(t, gap["from"].(string)) != lastSeq-4 || len(after) != 5 {
			t.Errorf("since %s: gap %v, then %d events", since, gap, len(after))
		}
	}

	// A bare number is the running daemon's.
	_, _, after = open("/api/v1/events?since=1")
	if after[0].seq != lastSeq-4 {
		t.Errorf("since 1: %+v", after)
	}
}

// A client that reads more slowly than events come falls behind in the
// history and, once lapped, gets a gap with the exact count it missed and
// goes on: every event it sees is the one after the last, or after a gap
// that says how many it skipped. The stream holds nothing for it.
func TestEventSlowClientLapped(t *testing.T) {
	f := startFixture(t, smallHistory)
	ch, cancel := f.stream("/api/v1/events?since=0")
	defer cancel()
	done := f.publisher(2000)
	defer done()
	var prev uint64
	gaps := 0
	for {
		ev := next(t, ch)
		if ev.Event == "gap" {
			var g gap
			json.Unmarshal([]byte(ev.Data), &g)
			from := eventSeq(t, g.From)
			if g.Missed == nil || *g.Missed != from-1-prev || eventSeq(t, ev.ID) != from-1 {
				t.Fatalf("after %d: gap %s id %s", prev, ev.Data, ev.ID)
			}
			prev = from - 1
			gaps++
			continue
		}
		r := receivedOf(t, ev)
		if r.seq != prev+1 {
			t.Fatalf("after %d: event %d", prev, r.seq)
		}
		prev = r.seq
		if r.data == "end" {
			break
		}
		time.Sleep(100 * time.Microsecond) // a slow reader
	}
	if gaps == 0 {
		t.Error("a reader this slow was never lapped")
	}
}

// Without an id a client gets only what comes after it connects; with
// ?types= only events of those types (and their subtypes), its id moving
// past those it does not want.
func TestEventLiveAndTypes(t *testing.T) {
	f := startFixture(t, testConf)
	live, cancel := f.stream("/api/v1/events")
	defer cancel()
	typed, cancelTyped := f.stream("/api/v1/events?types=REMOTE_COMMUNICATION,PROCESS_GROUP")
	defer cancelTyped()
	time.Sleep(50 * time.Millisecond) // both are past their start
	if r := f.do("POST", "/api/v1/processes/slow/start", ""); r.status != 200 {
		t.Fatal(string(r.body))
	}
	f.publisher(2)()
	ev := next(t, live)
	for strings.HasPrefix(ev.Event, "TICK_") { // the clock may pass a 5 s mark meanwhile
		ev = next(t, live)
	}
	if r := receivedOf(t, ev); r.typ != "PROCESS_STATE_STARTING" {
		t.Errorf("live first: %+v", ev)
	}
	var types []string
	sawID := false
	for {
		select {
		case ev := <-typed:
			if ev.IDOnly {
				sawID = true
				continue
			}
			if ev.Comment {
				continue
			}
			r := receivedOf(t, ev)
			types = append(types, r.typ+":"+r.data)
			if r.data == "end" {
				if want := []string{"REMOTE_COMMUNICATION:0", "REMOTE_COMMUNICATION:1", "REMOTE_COMMUNICATION:end"}; strings.Join(types, " ") != strings.Join(want, " ") {
					t.Errorf("typed: %v", types)
				}
				if !sawID {
					t.Error("the typed stream's id never moved past the events it left out")
				}
				return
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("typed: %v", types)
		}
	}
}

// The streams end when the API is closed (the daemon restarting or going
// down), and their goroutines with them (TestMain checks for leaks).
func TestStreamsEndOnClose(t *testing.T) {
	f := startFixture(t, testConf)
	ch, cancel := f.stream("/api/v1/events?since=0")
	defer cancel()
	logCh, cancelLog := f.stream("/api/v1/processes/cat/log/stdout/follow")
	defer cancelLog()
	next(t, ch)
	f.api.Close()
	for _, c := range []<-chan sseEvent{ch, logCh} {
		timeout := time.After(10 * time.Second)
	drain:
		for {
			select {
			case _, ok := <-c:
				if !ok {
					break drain
				}
			case <-timeout:
				t.Fatal("a stream did not end")
			}
		}
	}
}

// A followed log goes on across rotation, and a client that reconnects
// with the offset it had (its Last-Event-ID) goes on from there.
func TestFollowLog(t *testing.T) {
	f := startFixture(t, testConf)
	ch, cancel := f.stream("/api/v1/processes/cat/log/stdout/follow?offset=0")
	defer cancel()
	write := func(s string) {
		if r := f.do("POST", "/api/v1/processes/cat/stdin", fmt.Sprintf(`{"data":%q}`, s)); r.status != 200 {
			t.Fatal(string(r.body))
		}
	}
	text := func(ev sseEvent) string {
		var m map[string]any
		json.Unmarshal([]byte(ev.Data), &m)
		return fmt.Sprint(m["t"], m["reason"])
	}
	write("one\n")
	if ev := next(t, ch); text(ev) != "one\n<nil>" || ev.ID != "4" {
		t.Errorf("first: %+v", ev)
	}
	if err := f.tree.RotateLogs(context.Background(), "cat", "cat"); err != nil {
		t.Fatal(err)
	}
	write("two\n")
	if ev := next(t, ch); ev.Event != "reset" || text(ev) != "<nil>rotated" {
		t.Errorf("rotation: %+v", ev)
	}
	if ev := next(t, ch); text(ev) != "two\n<nil>" || ev.ID != "4" {
		t.Errorf("after the rotation: %+v", ev)
	}
	write("three\n")
	next(t, ch)
	cancel()
	again, cancelAgain := f.stream("/api/v1/processes/cat/log/stdout/follow", "Last-Event-ID", "4")
	defer cancelAgain()
	if ev := next(t, again); text(ev) != "three\n<nil>" {
		t.Errorf("after reconnecting: %+v", ev)
	}
	// The main log too.
	main, cancelMain := f.stream("/api/v1/daemon/log/follow?offset=0")
	defer cancelMain()
	if ev := next(t, main); !strings.Contains(text(ev), "INFO spawned: 'cat'") {
		t.Errorf("main log: %+v", ev)
	}
}
