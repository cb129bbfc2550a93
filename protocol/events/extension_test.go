package events

import (
	"slices"
	"strings"
	"testing"
)

// The extensions' goldens in testdata/extensions.json are written by hand:
// the reference has no such events. Their envelopes are the reference's.
func TestExtensionGoldens(t *testing.T) {
	g := loadGoldens(t, "testdata/extensions.json")
	if len(g.Payloads) < 8 {
		t.Fatalf("only %d payload goldens", len(g.Payloads))
	}
	for _, p := range g.Payloads {
		checkPayloadGolden(t, p)
	}
	if len(g.Hierarchy) != len(ExtensionTypes()) {
		t.Fatalf("golden has %d extensions, we have %d", len(g.Hierarchy), len(ExtensionTypes()))
	}
	all := append(Types(), ExtensionTypes()...)
	for name, ancestors := range g.Hierarchy {
		typ, ok := TypeByName(name)
		if !ok {
			t.Fatalf("TypeByName(%q) not found", name)
		}
		var got []string
		for _, a := range all {
			if typ.Is(a) {
				got = append(got, a.String())
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, ancestors) {
			t.Errorf("%s Is %v, golden says %v", name, got, ancestors)
		}
	}
}

func TestExtensionTypes(t *testing.T) {
	ext := ExtensionTypes()
	if want := []Type{TypeProcessHealth, TypeProcessHealthReady, TypeProcessHealthHealthy,
		TypeProcessHealthUnhealthy}; !slices.Equal(ext, want) {
		t.Fatalf("ExtensionTypes = %v", ext)
	}
	for _, typ := range Types() {
		if typ.Extension() || slices.Contains(ext, typ) {
			t.Errorf("%s is an extension", typ)
		}
	}
	for _, typ := range ext {
		if !typ.Extension() || !typ.Valid() || slices.Contains(Types(), typ) {
			t.Errorf("%s: Extension %v, Valid %v", typ, typ.Extension(), typ.Valid())
		}
		if typ.Is(TypeEvent) {
			t.Errorf("%s Is EVENT", typ)
		}
		if !typ.Is(TypeProcessHealth) || !typ.Is(typ) {
			t.Errorf("%s is not a PROCESS_HEALTH or not itself", typ)
		}
		for _, ref := range Types() {
			if typ.Is(ref) || ref.Is(typ) {
				t.Errorf("%s and %s are related", typ, ref)
			}
		}
		back, ok := TypeByName(typ.String())
		if !ok || back != typ {
			t.Errorf("TypeByName(%s) = %v, %v", typ, back, ok)
		}
		back, ok = TypeByOptionName(strings.ToLower(typ.String()))
		if !ok || back != typ {
			t.Errorf("TypeByOptionName(%s) = %v, %v", strings.ToLower(typ.String()), back, ok)
		}
	}
	if !TypeProcessHealth.Abstract() || TypeProcessHealthReady.Abstract() ||
		TypeProcessHealthHealthy.Abstract() || TypeProcessHealthUnhealthy.Abstract() {
		t.Error("only PROCESS_HEALTH is abstract")
	}
	if _, ok := TypeProcessHealth.Parent(); ok {
		t.Error("PROCESS_HEALTH has a parent")
	}
	if p, ok := TypeProcessHealthUnhealthy.Parent(); !ok || p != TypeProcessHealth {
		t.Errorf("PROCESS_HEALTH_UNHEALTHY's parent is %v, %v", p, ok)
	}
	if TypeProcessHealthHealthy.Is(TypeProcessHealthReady) || TypeProcessHealth.Is(TypeProcessHealthReady) {
		t.Error("siblings or a family's root are related")
	}
	if Type(TypeProcessHealthUnhealthy+1).Valid() || Type(TypeProcessHealthUnhealthy+1).Extension() {
		t.Error("a type past the last extension is valid")
	}
}

func TestExtensionSubscriptions(t *testing.T) {
	cases := []struct {
		subs []Type
		got  []Type // of the four, what a pool subscribed to subs gets
	}{
		{[]Type{TypeEvent}, nil},
		{[]Type{TypeEvent, TypeProcessState, TypeProcessLog, TypeTick}, nil},
		{[]Type{TypeProcessHealth}, []Type{TypeProcessHealthReady, TypeProcessHealthHealthy, TypeProcessHealthUnhealthy}},
		{[]Type{TypeProcessHealthUnhealthy}, []Type{TypeProcessHealthUnhealthy}},
		{[]Type{TypeEvent, TypeProcessHealthReady}, []Type{TypeProcessHealthReady}},
		{[]Type{TypeProcessHealthReady, TypeProcessHealthHealthy}, []Type{TypeProcessHealthReady, TypeProcessHealthHealthy}},
		{nil, nil},
	}
	sent := []Type{TypeProcessHealthReady, TypeProcessHealthHealthy, TypeProcessHealthUnhealthy}
	for _, c := range cases {
		var got []Type
		for _, typ := range sent {
			if Subscribed(c.subs, typ) {
				got = append(got, typ)
			}
		}
		if !slices.Equal(got, c.got) {
			t.Errorf("subscribed to %v gets %v, want %v", c.subs, got, c.got)
		}
	}
	// And naming the family takes nothing of the reference's.
	for _, typ := range Types() {
		if Subscribed([]Type{TypeProcessHealth}, typ) {
			t.Errorf("PROCESS_HEALTH subscribers get %s", typ)
		}
	}
}

func TestProcessHealth(t *testing.T) {
	cases := []struct {
		ev   ProcessHealth
		typ  Type
		want string
	}{
		{ProcessHealth{Type: TypeProcessHealthReady, Process: "api", Group: "api", PID: 4242},
			TypeProcessHealthReady, "processname:api groupname:api pid:4242"},
		{ProcessHealth{Type: TypeProcessHealthReady, Process: "api", Group: "g", PID: 1, Detail: "log:^ready$"},
			TypeProcessHealthReady, "processname:api groupname:g pid:1\nlog:^ready$"},
		{ProcessHealth{Type: TypeProcessHealthHealthy, Process: "api", Group: "g", PID: 1, Detail: "ignored"},
			TypeProcessHealthHealthy, "processname:api groupname:g pid:1"},
		{ProcessHealth{Type: TypeProcessHealthUnhealthy, Process: "api", Group: "g", PID: 1},
			TypeProcessHealthUnhealthy, "processname:api groupname:g pid:1\n"},
		{ProcessHealth{Type: TypeProcessState, Process: "api", Group: "g", PID: 1, Detail: "x"},
			TypeProcessHealth, "processname:api groupname:g pid:1"},
	}
	for _, c := range cases {
		if got := c.ev.EventType(); got != c.typ {
			t.Errorf("%+v: EventType %s, want %s", c.ev, got, c.typ)
		}
		if got := c.ev.Payload(); got != c.want {
			t.Errorf("%+v: Payload %q, want %q", c.ev, got, c.want)
		}
	}
	bad := map[string]string{
		"PROCESS_HEALTH_UNHEALTHY": "processname:a groupname:b pid:1",
		"PROCESS_HEALTH_HEALTHY":   "processname:a groupname:b pid:1\nwhy",
		"PROCESS_HEALTH_READY":     "processname:a groupname:b",
		"PROCESS_HEALTH":           "processname:a groupname:b pid:1",
	}
	for name, payload := range bad {
		if ev, err := ParsePayload(name, payload); err == nil {
			t.Errorf("ParsePayload(%s, %q) = %#v", name, payload, ev)
		}
	}
	ev, err := ParsePayload("PROCESS_HEALTH_READY", "processname:a groupname:b pid:1\n")
	if err != nil || ev != (ProcessHealth{Type: TypeProcessHealthReady, Process: "a", Group: "b", PID: 1}) {
		t.Errorf("READY with an empty detail: %#v, %v", ev, err)
	}
}
