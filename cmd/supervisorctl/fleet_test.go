package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"supervisord/internal/auth"
	"supervisord/internal/fleet"
	"supervisord/internal/fleet/fleettest"
	"supervisord/internal/jsonapi"
	"supervisord/internal/rpcinterface"
	"supervisord/protocol/xmlrpc"
	"supervisord/testkit"
)

// fleetNow is the moment the fleet tests' fleets are seen at.
var fleetNow = time.Date(2026, 5, 4, 10, 0, 0, 0, time.Local)

func TestFleetArgs(t *testing.T) {
	for _, tc := range []struct {
		line   string
		follow bool
		sel    string
		words  []string
		err    string
	}{
		{line: "web:web_0 db", words: []string{"web:web_0", "db"}},
		{line: "-l role=web web:*", sel: "role=web", words: []string{"web:*"}},
		{line: "web:* -lrole=web", sel: "role=web", words: []string{"web:*"}},
		// The words of a selector that the command line split are put
		// together again, as far as the selector goes on.
		{line: "-l role in (web, api) web:*", sel: "role in (web, api)", words: []string{"web:*"}},
		{line: "-l role=web, zone!=b x", sel: "role=web, zone!=b", words: []string{"x"}},
		{line: "-l role ,zone = a x", sel: "role ,zone = a", words: []string{"x"}},
		{line: "-l tier notin (db) !canary", sel: "tier notin (db)", words: []string{"!canary"}},
		{line: "-l 'role in (web,api)' \"a b\"", sel: "role in (web,api)", words: []string{"a b"}},
		{line: "-f -l zone=a web stderr", follow: true, sel: "zone=a", words: []string{"web", "stderr"}},
		{line: "-l", err: "-l requires a selector, such as role=web"},
		{line: "-l a -l b", err: "-l is given twice"},
		{line: "-x web", err: "unknown option -x"},
		{line: "-f web", err: "unknown option -f"},
		{line: "-l role in (web", err: `selector: expected ',' or ')' in a set of values at offset 12 of "role in (web"`},
	} {
		a, err := parseFleetArgs(splitQuoted(tc.line), tc.follow)
		switch {
		case tc.err != "":
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: %+v, %v; want error %q", tc.line, a, err, tc.err)
			}
		case err != nil || a.selector != tc.sel || a.follow != tc.follow || !reflect.DeepEqual(a.words, tc.words):
			t.Errorf("%q: %+v, %v; want %q %v %q", tc.line, a, err, tc.sel, tc.follow, tc.words)
		}
	}
}

func TestFleetCompletion(t *testing.T) {
	c := &CLI{}
	for line, want := range map[string][]string{
		"fle":      {"fleet "},
		"fleet ":   {"events ", "nodes ", "restart ", "signal ", "start ", "status ", "stop ", "tail "},
		"fleet st": {"start ", "status ", "stop "},
	} {
		words := fields(line)
		word := ""
		if !strings.HasSuffix(line, " ") {
			word = words[len(words)-1]
		}
		if got := c.complete(line, word); !reflect.DeepEqual(got, want) {
			t.Errorf("%q completes as %q, want %q", line, got, want)
		}
	}
}

// reply calls a fleet method of the real XML-RPC API of a daemon in fl and
// returns the answer as supervisorctl's client reads it.
func reply(t *testing.T, fl fleet.Gateway, method string, params ...any) []procInfo {
	t.Helper()
	h := rpcinterface.New(rpcinterface.Options{Log: slog.New(slog.DiscardHandler), Fleet: fl})
	v, err := h.Call(context.Background(), method, params)
	if err != nil {
		t.Fatal(err)
	}
	v, err = xmlrpc.ParseResponse(xmlrpc.EncodeResponse(v))
	if err != nil {
		t.Fatal(err)
	}
	return infos(v)
}

// The lines of fleet nodes, status and the actions, and of the streams,
// kept in testdata/fleet_format.golden: the sample fleet, and one of long
// names, no labels, a node never seen and one that answered with an
// error.
func TestFleetFormats(t *testing.T) {
	odd := &fleettest.Fake{
		Members: []fleet.Node{
			{Name: "db-primary-in-the-basement", Address: "[fd00::5]:7947", State: "dead"},
			{Name: "n3", Labels: map[string]string{"role": "db"}, State: "left", LastSeen: fleetNow.Add(-50 * time.Hour)},
			{Name: "n4", Labels: map[string]string{"role": "db"}, State: "alive", LastSeen: fleetNow.Add(-3 * time.Hour)},
		},
		Processes: map[string][]fleet.Process{
			"db-primary-in-the-basement": {
				{Group: "postgresql-replication-monitor", Name: "postgresql-replication-monitor_00001", State: 200, StateName: "FATAL",
					Description: "Exited too quickly (process log may have details)"},
				{Group: "pg", Name: "pg", State: 100, StateName: "EXITED", Description: "May 04 09:58 AM"},
			},
			"n4": {{Group: "pg", Name: "pg", State: 20, StateName: "RUNNING", PID: 1, Description: "pid 1, uptime 3:00:00"}},
		},
		Down: map[string]error{"n3": errors.New("fleet: n3 is shutting down")},
		Now:  fleetNow,
	}
	var b strings.Builder
	section := func(title string, lines []string, extra string) {
		fmt.Fprintf(&b, "# %s\n%s", title, strings.Join(lines, "\n"))
		if len(lines) > 0 {
			b.WriteString("\n")
		}
		if extra != "" {
			b.WriteString(extra + "\n")
		}
	}
	for _, fl := range []struct {
		name string
		fake *fleettest.Fake
	}{{"sample", fleettest.Sample(fleetNow)}, {"odd", odd}} {
		section(fl.name+": nodes", formatNodes(reply(t, fl.fake, "fleet.getNodes"), fleetNow), "")
		lines, status := formatFleetStatus(reply(t, fl.fake, "fleet.getAllProcessInfo", "", []any{}))
		section(fl.name+": status", lines, fmt.Sprintf("[status %d]", status))
		lines, status = formatFleetStatus(reply(t, fl.fake, "fleet.getAllProcessInfo", "role=web", []any{}))
		section(fl.name+": status -l role=web", lines, fmt.Sprintf("[status %d]", status))
		for _, act := range []struct {
			verb   string
			params []any
		}{
			{"stop", []any{"", []any{"all"}}},
			{"start", []any{"", []any{"pg", "web:*", "nosuch"}}},
			{"restart", []any{"", []any{"pg"}}},
			{"signal", []any{"", "BOGUS", []any{"pg"}}},
		} {
			lines, codes := formatFleetResults(reply(t, fl.fake, "fleet."+fleetVerbs[act.verb].method, act.params...), fleetVerbs[act.verb].words)
			section(fmt.Sprintf("%s: %s %v", fl.name, act.verb, act.params), lines, fmt.Sprintf("[codes %v]", codes))
		}
	}
	section("tail", append(tailLines("node-a", "one line\n"), tailLines("node-b", "two\nlines\n")...), "")
	var events []string
	for _, e := range [][2]string{
		{"PROCESS_STATE_RUNNING", `{"node":"node-a","payload":{"processname":"web_0","groupname":"web","from_state":"STARTING","pid":4242}}`},
		{"TICK_60", `{"node":"node-b","payload":{"when":1796120400}}`},
		{"", `{"node":"node-b","payload":{}}`},
		{"PROCESS_STATE_RUNNING", `not json`},
	} {
		if line, ok := eventLine(e[0], e[1]); ok {
			events = append(events, line)
		}
	}
	section("events", events, "")
	checkGolden(t, "fleet_format.golden", b.String())
}

// fleetServer serves the XML-RPC and JSON APIs of a daemon in fl (nil: in
// none), as the daemon mounts them, behind accounts reader and operator
// (the role their names say; no account: an anonymous admin). It returns
// a supervisorctl config pointing at it.
type fleetServer struct {
	conf string
	api  *jsonapi.Handler
}

func startFleetServer(t *testing.T, fl fleet.Gateway) *fleetServer {
	log := slog.New(slog.DiscardHandler)
	rpc := rpcinterface.New(rpcinterface.Options{Log: log, Fleet: fl})
	s := &fleetServer{api: jsonapi.New(jsonapi.Options{Control: rpc, Log: log, Fleet: fl})}
	mux := http.NewServeMux()
	mux.Handle("/RPC2", rpc)
	mux.Handle(jsonapi.Prefix+"/", s.api)
	roles := map[string]auth.Role{"reader": auth.Read, "operator": auth.Operate}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, _, ok := r.BasicAuth(); ok {
			r = r.WithContext(auth.With(r.Context(), auth.Principal{User: user, Role: roles[user], Remote: r.RemoteAddr}))
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		s.api.Close()
		srv.Close()
	})
	s.conf = filepath.Join(t.TempDir(), "ctl.conf")
	if err := os.WriteFile(s.conf, []byte("[supervisorctl]\nserverurl="+srv.URL+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// fleetCLI is a supervisorctl run in this process against s, seeing the
// fleet at fleetNow.
func fleetCLI(s *fleetServer, out io.Writer, args ...string) (run func() int) {
	cli := NewCLI(strings.NewReader(""), out, out)
	cli.now = func() time.Time { return fleetNow }
	return func() int { return cli.Run(append([]string{"-c", s.conf}, args...)) }
}

// `supervisorctl fleet` as users see it, kept in testdata/fleet.golden:
// every subcommand against a daemon in the sample fleet, over its real
// XML-RPC API and JSON API streams, and against a daemon in no fleet.
func TestFleetAsUsersSeeIt(t *testing.T) {
	fake := fleettest.Sample(fleetNow)
	s := startFleetServer(t, fake)
	alone := startFleetServer(t, nil)
	var b strings.Builder
	run := func(srv *fleetServer, args ...string) {
		var out safeBuffer
		code := fleetCLI(srv, &out, args...)()
		fmt.Fprintf(&b, "$ supervisorctl %s\n%s[exit %d]\n", strings.Join(quoteArgs(args), " "), out.String(), code)
	}
	run(s, "help", "fleet")
	run(s, "fleet")
	run(s, "fleet", "bogus")
	run(s, "fleet", "nodes")
	run(s, "fleet", "nodes", "-l", "role=web")
	run(s, "fleet", "status")
	run(s, "fleet", "status", "-l", "role=web", "web:web_0")
	run(s, "fleet", "status", "-l", "role in (web, api)", "web:*")
	run(s, "fleet", "status", "-l", "role in (web")
	run(s, "fleet", "status", "-l", "zone=b")
	run(s, "fleet", "stop", "-l", "zone=a", "web:web_0")
	run(s, "fleet", "stop", "-l", "zone=a", "web:web_0")
	run(s, "fleet", "status", "-l", "role=web")
	run(s, "fleet", "start", "-l", "role=web", "web:*")
	run(s, "fleet", "restart", "web:web_0", "nosuch")
	run(s, "fleet", "signal", "HUP", "-l", "zone=b", "web:web_0")
	run(s, "fleet", "signal", "HUP")
	run(s, "fleet", "start")
	run(s, "fleet", "tail", "web:web_0")
	run(s, "fleet", "tail", "-f", "web:web_0", "stdlog")
	run(s, "-u", "reader", "-p", "x", "fleet", "stop", "web:web_0")
	run(s, "-u", "reader", "-p", "x", "fleet", "status", "-l", "zone=b")
	run(alone, "fleet", "nodes")
	run(alone, "fleet", "status")
	run(alone, "fleet", "tail", "-f")

	// The streams, until the daemon ends them.
	stream := func(emit []fleet.Line, wait string, args ...string) {
		t.Helper()
		s := startFleetServer(t, fake)
		var out safeBuffer
		done := make(chan int, 1)
		go func() { done <- fleetCLI(s, &out, args...)() }()
		select {
		case <-fake.Opened():
		case <-time.After(10 * time.Second):
			t.Fatalf("%v opened no stream:\n%s", args, out.String())
		}
		for _, l := range emit {
			fake.Emit(l)
		}
		waitFor(t, out.String, wait)
		s.api.Close()
		code := waitStatus(t, done)
		fmt.Fprintf(&b, "$ supervisorctl %s\n%s[exit %d]\n", strings.Join(quoteArgs(args), " "), out.String(), code)
	}
	stream([]fleet.Line{{Node: "node-b", Text: "listening on :80\n"}, {Node: "node-a", Text: "GET /\nGET /favicon.ico\n"}},
		"node-a | GET /favicon.ico\n", "fleet", "tail", "-f", "-l", "role=web", "web:web_0", "stderr")
	stream([]fleet.Line{{Node: "node-a", Text: "2026-05-04 10:00:00,000 INFO spawned: 'web_0' with pid 5242"}},
		"spawned", "fleet", "tail", "-f")
	stream([]fleet.Line{
		{Node: "node-b", Event: "PROCESS_STATE_STOPPING", Text: `{"processname":"web_0","groupname":"web","from_state":"RUNNING","pid":17}`},
		{Node: "node-a", Event: "PROCESS_STATE_RUNNING", Text: `{"processname":"web_1","groupname":"web","from_state":"STARTING","pid":5242}`},
	}, "PROCESS_STATE_RUNNING", "fleet", "events", "-l", "role=web", "PROCESS_STATE")
	checkGolden(t, "fleet.golden", b.String())

	// What the daemon's gateway was asked for the streams.
	var asked []string
	for _, c := range fake.Calls() {
		if c.Method == "Tail" || c.Method == "Events" {
			asked = append(asked, fmt.Sprintf("%s %q %q %q %q", c.Method, c.Selector, c.Name, c.Stream, c.Types))
		}
	}
	want := []string{`Tail "role=web" "web:web_0" "stderr" []`, `Tail "" "" "" []`, `Events "role=web" "" "" ["PROCESS_STATE"]`}
	if !reflect.DeepEqual(asked, want) {
		t.Errorf("streams asked:\n%s\nwant\n%s", strings.Join(asked, "\n"), strings.Join(want, "\n"))
	}
}

// The reference's daemon has no fleet.* methods: fleet says it cannot,
// once, and exits 1; so does ours without [fleet], as the built binary.
func TestFleetWithoutFleet(t *testing.T) {
	t.Parallel()
	programs := "\n[program:idle]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
	daemons := []struct{ name, path, want string }{
		{"ours", filepath.Join(bin, "supervisord"), "ERROR: FAILED: this daemon is not in a fleet ([fleet] section)\n"},
		{"the reference's", referenceDaemon, "ERROR: this supervisord cannot answer for a fleet\n"},
	}
	for _, d := range daemons {
		if _, err := os.Stat(d.path); err != nil {
			t.Logf("SKIPPED %s daemon: %v", d.name, err)
			continue
		}
		dm := testkit.StartDaemon(t, d.path, testkit.Config("{dir}")+testkit.RPCConfig("{dir}")+programs)
		if got, ok := dm.WaitStates(map[string]string{"idle": "RUNNING"}, 20*time.Second); !ok {
			t.Fatalf("%s daemon: states %v", d.name, got)
		}
		for _, args := range [][]string{{"fleet", "nodes"}, {"fleet", "stop", "web"}, {"fleet", "events"}} {
			r := testkit.RunCtl(t, oursCtl(), dm.Dir, "", append([]string{"-c", dm.Conf}, args...)...)
			if r.Stdout != d.want || r.Stderr != "" || r.Code != 1 {
				t.Errorf("%s daemon: %v: %d %q %q; want 1 %q", d.name, args, r.Code, r.Stdout, r.Stderr, d.want)
			}
		}
	}
}
