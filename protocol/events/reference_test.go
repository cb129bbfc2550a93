package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// The goldens in testdata/reference.json come from the reference itself:
// /usr/bin/python3 testdata/reference.py goldens

// latin1 turns a JSON string whose code points are byte values into bytes.
func latin1(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = append(b, byte(r))
	}
	return b
}

func toLatin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

type spec struct {
	Kind     string  `json:"kind"`
	Process  string  `json:"process,omitempty"`
	Group    *string `json:"group"`
	From     string  `json:"from,omitempty"`
	PID      int     `json:"pid,omitempty"`
	Tries    int     `json:"tries,omitempty"`
	Expected *bool   `json:"expected,omitempty"`
	Data     string  `json:"data,omitempty"`
	Type     string  `json:"type,omitempty"`
	When     int64   `json:"when,omitempty"`
}

func (s spec) event(t *testing.T) Event {
	group := ""
	if s.Group != nil {
		group = *s.Group
	}
	switch {
	case strings.HasPrefix(s.Kind, "PROCESS_STATE_"):
		e := ProcessState{State: strings.TrimPrefix(s.Kind, "PROCESS_STATE_"), Process: s.Process,
			Group: group, From: s.From, PID: s.PID, Tries: s.Tries, Expected: s.Expected == nil || *s.Expected}
		return e
	case strings.HasPrefix(s.Kind, "PROCESS_LOG_"):
		return ProcessLog{Channel: strings.ToLower(strings.TrimPrefix(s.Kind, "PROCESS_LOG_")),
			Process: s.Process, Group: group, PID: s.PID, Data: latin1(s.Data)}
	case strings.HasPrefix(s.Kind, "PROCESS_COMMUNICATION_"):
		return ProcessCommunication{Channel: strings.ToLower(strings.TrimPrefix(s.Kind, "PROCESS_COMMUNICATION_")),
			Process: s.Process, Group: group, PID: s.PID, Data: latin1(s.Data)}
	case s.Kind == "REMOTE_COMMUNICATION":
		return RemoteCommunication{Type: s.Type, Data: s.Data}
	case s.Kind == "SUPERVISOR_STATE_CHANGE_RUNNING":
		return SupervisorRunning{}
	case s.Kind == "SUPERVISOR_STATE_CHANGE_STOPPING":
		return SupervisorStopping{}
	case strings.HasPrefix(s.Kind, "TICK_"):
		var p int64
		fmt.Sscan(strings.TrimPrefix(s.Kind, "TICK_"), &p)
		return Tick{Period: p, When: s.When}
	case s.Kind == "PROCESS_GROUP_ADDED":
		return ProcessGroupAdded{Group: group}
	case s.Kind == "PROCESS_GROUP_REMOVED":
		return ProcessGroupRemoved{Group: group}
	case strings.HasPrefix(s.Kind, "PROCESS_HEALTH_"):
		typ, _ := TypeByName(s.Kind)
		return ProcessHealth{Type: typ, Process: s.Process, Group: group, PID: s.PID, Detail: s.Data}
	}
	t.Fatalf("unknown kind %q", s.Kind)
	return nil
}

type step struct {
	Feed *string `json:"feed,omitempty"`
	Send bool    `json:"send,omitempty"`
}

type stepResult struct {
	State    string      `json:"state"`
	Logs     [][2]string `json:"logs"`
	Rejected int         `json:"rejected"`
	Error    *string     `json:"error"`
	Event    bool        `json:"event"`
}

type payloadGolden struct {
	Spec       spec   `json:"spec"`
	Serial     int64  `json:"serial"`
	PoolSerial int64  `json:"poolserial"`
	Payload    string `json:"payload"`
	Envelope   string `json:"envelope"`
}

type reference struct {
	Payloads  []payloadGolden     `json:"payloads"`
	Hierarchy map[string][]string `json:"hierarchy"`
	Listener  map[string]struct {
		Steps   []step       `json:"steps"`
		Results []stepResult `json:"results"`
	} `json:"listener"`
}

func loadReference(t *testing.T) reference { return loadGoldens(t, "testdata/reference.json") }

func loadGoldens(t *testing.T, file string) reference {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPayloadGoldens(t *testing.T) {
	ref := loadReference(t)
	if len(ref.Payloads) < 30 {
		t.Fatalf("only %d payload goldens", len(ref.Payloads))
	}
	for _, g := range ref.Payloads {
		checkPayloadGolden(t, g)
	}
}

// checkPayloadGolden checks an event's payload and envelope against a
// golden, and reads them back.
func checkPayloadGolden(t *testing.T, g payloadGolden) {
	t.Helper()
	ev := g.Spec.event(t)
	if got := ev.Payload(); got != g.Payload {
		t.Errorf("%s payload\n got %q\nwant %q", g.Spec.Kind, got, g.Payload)
	}
	if got := ev.EventType().String(); got != g.Spec.Kind {
		t.Errorf("EventType = %s, want %s", got, g.Spec.Kind)
	}
	env := Envelope("supervisor", g.Serial, "listener", g.PoolSerial, ev)
	if want := latin1(g.Envelope); !bytes.Equal(env, want) {
		t.Errorf("%s envelope\n got %q\nwant %q", g.Spec.Kind, env, want)
	}
	// And back, on the listener's side.
	line, payload, _ := strings.Cut(string(env), "\n")
	h, _, err := ParseHeader(line)
	if err != nil {
		t.Fatalf("ParseHeader(%q): %v", line, err)
	}
	if h.Len != utf8.RuneCountInString(payload) || h.EventName != g.Spec.Kind || h.Serial != g.Serial ||
		h.PoolSerial != g.PoolSerial || h.Server != "supervisor" || h.Pool != "listener" || h.Ver != "3.0" {
		t.Errorf("ParseHeader(%q) = %+v", line, h)
	}
	back, err := ParsePayload(h.EventName, payload)
	if err != nil {
		t.Fatalf("ParsePayload(%s, %q): %v", h.EventName, payload, err)
	}
	if back.Payload() != payload {
		t.Errorf("ParsePayload(%s, %q) = %#v", h.EventName, payload, back)
	}
	// Fields a payload does not carry (a STARTING event's pid) cannot
	// come back; the rest must.
	if _, isState := ev.(ProcessState); !isState && !strings.Contains(g.Payload, "Undecodable") &&
		!reflect.DeepEqual(back, ev) {
		t.Errorf("ParsePayload(%s) = %#v, want %#v", h.EventName, back, ev)
	}
}

func TestHierarchyGolden(t *testing.T) {
	ref := loadReference(t)
	if len(ref.Hierarchy) != len(Types()) {
		t.Fatalf("reference has %d types, we have %d", len(ref.Hierarchy), len(Types()))
	}
	for name, ancestors := range ref.Hierarchy {
		typ, ok := TypeByName(name)
		if !ok {
			t.Fatalf("TypeByName(%q) not found", name)
		}
		var got []string
		for _, a := range Types() {
			if typ.Is(a) {
				got = append(got, a.String())
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, ancestors) {
			t.Errorf("%s Is %v, reference says %v", name, got, ancestors)
		}
	}
}

// replay runs steps through a ListenerOutput and reports what the
// reference harness records after each step.
func replay(steps []step) []stepResult {
	p := NewListenerOutput()
	inFlight := false
	var out []stepResult
	for _, s := range steps {
		r := stepResult{Logs: [][2]string{}}
		if s.Send {
			if p.Dispatched() {
				inFlight = true
			}
		} else {
			for _, sig := range p.Feed(latin1(*s.Feed)) {
				for _, l := range sig.Logs("lst") {
					if l.Level != LevelCritical {
						r.Logs = append(r.Logs, [2]string{levelName(l), l.Message})
					}
				}
				switch sig := sig.(type) {
				case Result:
					inFlight = false
					if sig.Rejected() {
						r.Rejected++
					}
				case ProtocolError:
					inFlight = false
					if sig.Rejected() {
						r.Rejected++
					}
				case Stalled:
					e := "RecursionError"
					r.Error = &e
				}
			}
		}
		r.State = p.State().String()
		r.Event = inFlight
		out = append(out, r)
	}
	return out
}

func levelName(l LogLine) string {
	switch l.Level {
	case LevelCritical:
		return "critical"
	case -4:
		return "debug"
	case 4:
		return "warn"
	}
	return l.Level.String()
}

func TestListenerGoldens(t *testing.T) {
	ref := loadReference(t)
	if len(ref.Listener) < 40 {
		t.Fatalf("only %d listener goldens", len(ref.Listener))
	}
	for name, c := range ref.Listener {
		t.Run(name, func(t *testing.T) {
			got := replay(c.Steps)
			if !reflect.DeepEqual(got, c.Results) {
				for i := range got {
					if !reflect.DeepEqual(got[i], c.Results[i]) {
						t.Errorf("step %d %+v:\n got %+v\nwant %+v", i, c.Steps[i], got[i], c.Results[i])
					}
				}
			}
		})
	}
}

// oracle sends a request to testdata/reference.py and decodes its answer,
// skipping the test when the reference is not installed.
func oracle(t *testing.T, req any, resp any) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("SKIPPED: /usr/bin/python3 is missing, cannot ask the reference")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import supervisor.events").Run(); err != nil {
		t.Skip("SKIPPED: the reference supervisor package is not importable")
	}
	in, _ := json.Marshal(req)
	cmd := exec.Command("/usr/bin/python3", "testdata/reference.py", "oracle")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle: %v\n%s", err, stderr.Bytes())
	}
	if err := json.Unmarshal(out, resp); err != nil {
		t.Fatal(err)
	}
}

var fragments = []string{
	"READY\n", "READY", "\n", "RESULT ", "OK", "FAIL", "0", "1", "2", "-", "+", "_", " ", "\t", "\r",
	"\x0b", "\xff", "\xc3\xa9", "X", "ok",
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// randomSteps writes mostly well-formed READY / event / RESULT cycles,
// mutated now and then, cut into chunks at random places.
func randomSteps(r *rand.Rand) []step {
	var steps []step
	feed := func(s string) {
		for s != "" {
			n := 1 + r.IntN(len(s))
			if r.IntN(3) == 0 {
				n = len(s)
			}
			c := toLatin1([]byte(s[:n]))
			steps = append(steps, step{Feed: &c})
			s = s[n:]
		}
	}
	junk := func() string {
		var b strings.Builder
		for range 1 + r.IntN(3) {
			b.WriteString(pick(r, fragments...))
		}
		return b.String()
	}
	for range 1 + r.IntN(4) {
		if r.IntN(10) == 0 {
			feed(junk())
		} else {
			feed("READY\n")
		}
		if r.IntN(10) != 0 {
			steps = append(steps, step{Send: true})
		}
		body := pick(r, "OK", "OK", "OK", "FAIL", "ok", "", "OK\n", junk())
		n := fmt.Sprint(len(body))
		switch r.IntN(12) {
		case 0:
			n = fmt.Sprint(len(body) + pick(r, -1, 1))
		case 1:
			n = pick(r, "-1", "-0", "+"+n, "0_"+n, " "+n+"\r", "x", "", "99999999999999999999")
		case 2:
			n = junk()
		}
		prefix := pick(r, "RESULT ", "RESULT ", "RESULT ", "XXXXXXX", "RES", "")
		line := prefix + n + "\n"
		if r.IntN(15) == 0 {
			line = junk()
		}
		feed(line + body)
		if r.IntN(8) == 0 {
			feed(junk())
		}
	}
	return steps
}

// Thousands of random transcripts through our ListenerOutput and the
// reference's PEventListenerDispatcher must agree step by step.
func TestListenerAgainstReference(t *testing.T) {
	seed := uint64(os.Getpid())
	r := rand.New(rand.NewPCG(1, seed))
	var cases [][]step
	for range 4000 {
		cases = append(cases, randomSteps(r))
	}
	var resp struct {
		Listener [][]stepResult `json:"listener"`
	}
	oracle(t, map[string]any{"listener": cases}, &resp)
	if len(resp.Listener) != len(cases) {
		t.Fatalf("oracle answered %d cases of %d", len(resp.Listener), len(cases))
	}
	// The random cases must reach every outcome.
	seen := map[string]int{}
	for _, res := range resp.Listener {
		for _, s := range res {
			seen[s.State]++
			if s.Error != nil {
				seen["stalled"]++
			}
			if s.Rejected > 0 {
				seen["rejected"]++
			}
			for _, l := range s.Logs {
				if strings.Contains(l[1], "bad result line") {
					seen["bad line"]++
				}
				if strings.Contains(l[1], "event was processed") {
					seen["processed"]++
				}
			}
		}
	}
	for _, k := range []string{"READY", "BUSY", "ACKNOWLEDGED", "UNKNOWN", "stalled", "rejected", "bad line", "processed"} {
		if seen[k] < 10 {
			t.Errorf("random cases reached %q only %d times: %v", k, seen[k], seen)
		}
	}
	fails := 0
	for i, c := range cases {
		got := replay(c)
		if !reflect.DeepEqual(got, resp.Listener[i]) {
			fails++
			if fails < 5 {
				var feeds []string
				for _, s := range c {
					if s.Send {
						feeds = append(feeds, "<send>")
					} else {
						feeds = append(feeds, fmt.Sprintf("%q", latin1(*s.Feed)))
					}
				}
				t.Errorf("case %v:\n got %+v\nwant %+v", feeds, got, resp.Listener[i])
			}
		}
	}
	if fails > 0 {
		t.Errorf("%d of %d cases differ (seed %d)", fails, len(cases), seed)
	}
}

const dataBytes = "a\n\r\t\\'\"\x00\x7f\x80\xff\xc3\xa9\xe2\x82\xac"

func randomName(r *rand.Rand) string {
	const alphabet = "abcxyz_-.:09é€😀 "
	rs := []rune(alphabet)
	var b strings.Builder
	for range r.IntN(8) {
		b.WriteRune(rs[r.IntN(len(rs))])
	}
	return b.String()
}

// Random payloads built by the reference's event classes and by ours must
// be byte for byte the same, envelope included.
func TestPayloadsAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(2, uint64(os.Getpid())))
	states := []string{"STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FATAL", "UNKNOWN"}
	var specs []map[string]any
	var evs []Event
	for range 2000 {
		group := any(randomName(r))
		if r.IntN(5) == 0 {
			group = nil
		}
		data := make([]byte, r.IntN(12))
		for i := range data {
			data[i] = dataBytes[r.IntN(len(dataBytes))]
		}
		g, _ := group.(string)
		m := map[string]any{"server": randomName(r), "serial": r.Int64N(1 << 40), "pool": randomName(r), "poolserial": r.Int64N(1000)}
		var ev Event
		switch r.IntN(7) {
		case 0:
			st := states[r.IntN(len(states))]
			e := ProcessState{State: st, Process: randomName(r), Group: g, From: states[r.IntN(len(states))],
				PID: r.IntN(1 << 22), Tries: r.IntN(5), Expected: r.IntN(2) == 0}
			m["kind"], m["process"], m["group"], m["from"], m["pid"], m["tries"], m["expected"] =
				"PROCESS_STATE_"+st, e.Process, group, e.From, e.PID, e.Tries, e.Expected
			ev = e
		case 1, 2:
			ch := []string{"stdout", "stderr"}[r.IntN(2)]
			kind := "PROCESS_LOG_"
			if r.IntN(2) == 0 {
				kind = "PROCESS_COMMUNICATION_"
				ev = ProcessCommunication{Channel: ch, Process: randomName(r), Group: g, PID: r.IntN(99999), Data: data}
				m["process"], m["pid"] = ev.(ProcessCommunication).Process, ev.(ProcessCommunication).PID
			} else {
				ev = ProcessLog{Channel: ch, Process: randomName(r), Group: g, PID: r.IntN(99999), Data: data}
				m["process"], m["pid"] = ev.(ProcessLog).Process, ev.(ProcessLog).PID
			}
			m["kind"], m["group"], m["data"] = kind+strings.ToUpper(ch), group, toLatin1(data)
		case 3:
			e := RemoteCommunication{Type: randomName(r), Data: randomName(r) + "\n" + randomName(r)}
			m["kind"], m["type"], m["data"] = "REMOTE_COMMUNICATION", e.Type, e.Data
			ev = e
		case 4:
			e := Tick{Period: TickPeriods[r.IntN(3)], When: r.Int64N(1 << 34)}
			m["kind"], m["when"] = e.EventType().String(), e.When
			ev = e
		case 5:
			if r.IntN(2) == 0 {
				ev, m["kind"] = SupervisorRunning{}, "SUPERVISOR_STATE_CHANGE_RUNNING"
			} else {
				ev, m["kind"] = SupervisorStopping{}, "SUPERVISOR_STATE_CHANGE_STOPPING"
			}
		case 6:
			if r.IntN(2) == 0 {
				ev, m["kind"] = ProcessGroupAdded{Group: g}, "PROCESS_GROUP_ADDED"
			} else {
				ev, m["kind"] = ProcessGroupRemoved{Group: g}, "PROCESS_GROUP_REMOVED"
			}
			m["group"] = g
		}
		specs, evs = append(specs, m), append(evs, ev)
	}
	var resp struct {
		Payloads []struct{ Payload, Envelope string } `json:"payloads"`
	}
	oracle(t, map[string]any{"payloads": specs}, &resp)
	if len(resp.Payloads) != len(specs) {
		t.Fatalf("oracle answered %d of %d", len(resp.Payloads), len(specs))
	}
	for i, ev := range evs {
		m := specs[i]
		if got := ev.Payload(); got != resp.Payloads[i].Payload {
			t.Errorf("%v payload\n got %q\nwant %q", m, got, resp.Payloads[i].Payload)
			continue
		}
		env := Envelope(m["server"].(string), m["serial"].(int64), m["pool"].(string), m["poolserial"].(int64), ev)
		if want := latin1(resp.Payloads[i].Envelope); !bytes.Equal(env, want) {
			t.Errorf("%v envelope\n got %q\nwant %q", m, env, want)
		}
	}
}
