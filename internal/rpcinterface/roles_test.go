package rpcinterface

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"supervisord/conf"
	"supervisord/internal/auth"
	"supervisord/internal/fleet"
	"supervisord/internal/httpserver"
	"supervisord/protocol/xmlrpc"
	"supervisord/testkit"
)

// TestRoleTableComplete: every method has a role in the table, and the
// table names no method that does not exist.
func TestRoleTableComplete(t *testing.T) {
	h := New(Options{})
	for name := range h.methods {
		if _, ok := leastRole[name]; !ok {
			t.Errorf("%s has no role in leastRole", name)
		}
	}
	for name := range leastRole {
		if _, ok := h.methods[name]; !ok {
			t.Errorf("leastRole names %s, which is no method", name)
		}
	}
	if roleOf("supervisor.noSuchMethod") != auth.Admin {
		t.Error("a method missing from the table must need admin")
	}
}

// Test accounts, one per role, each password in another form.
var roleUsers = map[auth.Role][2]string{auth.Read: {"reader", "r-pw"}, auth.Operate: {"operator", "o-pw"}, auth.Admin: {"boss", "b-pw"}}

// guardedAPI serves the API on a real inet server with an account per
// role; log receives the main log.
func guardedAPI(t *testing.T) (*testAPI, string, *testkit.SyncBuffer) { return guardedFleetAPI(t, nil) }

// guardedFleetAPI is guardedAPI for a daemon in the fleet fl.
func guardedFleetAPI(t *testing.T, fl fleet.Gateway) (*testAPI, string, *testkit.SyncBuffer) {
	logs := &testkit.SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	a := newFleetAPI(t, log, fl)
	cfg := *a.cfg
	cfg.InetHTTPServers = []*conf.InetHTTPServer{{Host: "127.0.0.1"}}
	cfg.UnixHTTPServers = nil
	for role, up := range roleUsers {
		cfg.Users = append(cfg.Users, &conf.User{Name: up[0], Password: up[1], Role: role})
	}
	mux := http.NewServeMux()
	mux.Handle("/RPC2", a.h)
	srv, err := httpserver.Start(&cfg, mux, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	url := "http://" + srv.Addrs()[0].String()
	client{t: t, url: url, user: "reader", pass: "r-pw"}.waitStarted()
	return a, url, logs
}

func as(t *testing.T, url string, role auth.Role) client {
	return client{t: t, url: url, user: roleUsers[role][0], pass: roleUsers[role][1]}
}

func faultOf(err error) (int, string) {
	var f *xmlrpc.Fault
	if errors.As(err, &f) {
		return f.Code, f.String
	}
	return 0, fmt.Sprint(err)
}

// TestEveryRoleAgainstTheTable calls every method as every role, with one
// parameter too many: a call the role may make gets past the role check
// and fails on its parameters (so nothing happens), a call it may not
// make is FORBIDDEN.
func TestEveryRoleAgainstTheTable(t *testing.T) {
	a, url, logs := guardedAPI(t)
	for _, role := range []auth.Role{auth.Read, auth.Operate, auth.Admin} {
		c := as(t, url, role)
		for _, name := range slices.Sorted(maps.Keys(leastRole)) {
			params := make([]any, len(a.h.methods[name].sig)) // the most it takes, plus one
			for i := range params {
				params[i] = "x"
			}
			_, err := c.call(name, params...)
			code, text := faultOf(err)
			if role >= leastRole[name] {
				if code != xmlrpc.FaultIncorrectParameters {
					t.Errorf("%s calling %s: %d %s; want INCORRECT_PARAMETERS", role, name, code, text)
				}
				continue
			}
			want := fmt.Sprintf("FORBIDDEN: role %s may not call %s", role, name)
			if code != xmlrpc.FaultForbidden || text != want {
				t.Errorf("%s calling %s: %d %q; want %d %q", role, name, code, text, xmlrpc.FaultForbidden, want)
			}
		}
	}
	// Neither refused calls nor failed ones leave an audit line.
	if strings.Contains(logs.String(), " by ") {
		t.Errorf("audit lines for calls that did nothing:\n%s", logs.String())
	}
}

// TestEscalation: a read user calls every mutating method, an operate
// user every admin method, with real arguments; each gets the fault and
// nothing happens.
func TestEscalation(t *testing.T) {
	a, url, logs := guardedAPI(t)
	args := map[string][]any{ // real arguments; absent: none
		"supervisor.startProcess": {"slow"}, "supervisor.startProcessGroup": {"pair"},
		"supervisor.stopProcess": {"sleeper"}, "supervisor.stopProcessGroup": {"sleeper"},
		"supervisor.signalProcess": {"sleeper", "KILL"}, "supervisor.signalProcessGroup": {"sleeper", "KILL"},
		"supervisor.signalAllProcesses": {"KILL"}, "supervisor.sendProcessStdin": {"cat", "x\n"},
		"supervisor.sendRemoteCommEvent": {"t", "d"}, "supervisor.rotateProcessLogs": {"cat"},
		"supervisor.rotateProcessGroupLogs": {"cat"}, "supervisor.addProcessGroup": {"x"},
		"supervisor.removeProcessGroup": {"pair"}, "config.updateProcessGroup": {"cat"},
		"supervisor.clearProcessLogs": {"cat"}, "supervisor.clearProcessLog": {"cat"},
		"supervisor.upgrade": {""},
	}
	before := states(t, as(t, url, auth.Read))
	for _, tc := range []struct {
		role auth.Role
		min  auth.Role // methods needing at least this
	}{{auth.Read, auth.Operate}, {auth.Operate, auth.Admin}} {
		c := as(t, url, tc.role)
		n := 0
		for _, name := range slices.Sorted(maps.Keys(leastRole)) {
			if leastRole[name] < tc.min {
				continue
			}
			n++
			_, err := c.call(name, args[name]...)
			if code, text := faultOf(err); code != xmlrpc.FaultForbidden {
				t.Errorf("%s calling %s%v: %d %s; want FORBIDDEN", tc.role, name, args[name], code, text)
			}
			// Inside a multicall, each call is refused on its own.
			v, err := c.call("system.multicall", []any{
				map[string]any{"methodName": name, "params": args[name]},
				map[string]any{"methodName": "supervisor.getState", "params": []any{}},
			})
			res, _ := v.([]any)
			if err != nil || len(res) != 2 {
				t.Fatalf("multicall: %v %v", v, err)
			}
			if f, _ := res[0].(map[string]any); f["faultCode"] != xmlrpc.FaultForbidden {
				t.Errorf("%s calling %s in a multicall: %v", tc.role, name, res[0])
			}
			if st, _ := res[1].(map[string]any); st["statename"] != "RUNNING" {
				t.Errorf("the read call beside it: %v", res[1])
			}
		}
		if n == 0 {
			t.Fatalf("no method needs %s", tc.min)
		}
	}
	select {
	case <-a.stopped:
		t.Error("a refused shutdown shut the daemon down")
	default:
	}
	if after := states(t, as(t, url, auth.Read)); !slices.Equal(before, after) {
		t.Errorf("states changed: %v -> %v", before, after)
	}
	if strings.Contains(logs.String(), " by ") {
		t.Errorf("audit lines for refused calls:\n%s", logs.String())
	}
}

func states(t *testing.T, c client) []string {
	v, err := c.call("supervisor.getAllProcessInfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range v.([]any) {
		m := p.(map[string]any)
		out = append(out, fmt.Sprintf("%s:%s pid %v", m["group"], m["name"], m["pid"]))
	}
	return out
}

// TestAudit: calls that change something are logged with who, what, the
// arguments and where from; reads are not.
func TestAudit(t *testing.T) {
	_, url, logs := guardedAPI(t)
	op := as(t, url, auth.Operate)
	if _, err := op.call("supervisor.startProcess", "slow", true); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("y", 100)
	if _, err := op.call("system.multicall", []any{
		map[string]any{"methodName": "supervisor.sendProcessStdin", "params": []any{"cat", long}},
		map[string]any{"methodName": "supervisor.getProcessInfo", "params": []any{"cat"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := as(t, url, auth.Admin).call("supervisor.clearProcessLogs", "cat"); err != nil {
		t.Fatal(err)
	}
	var audit []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, " by ") {
			_, msg, _ := strings.Cut(line, "msg=")
			audit = append(audit, msg)
		}
	}
	want := []string{
		`"supervisor.startProcess 'slow' True by operator (operate) from 127.0.0.1:`,
		`"supervisor.sendProcessStdin 'cat' '` + long[:64] + `'...(100 bytes) by operator (operate) from 127.0.0.1:`,
		`"supervisor.clearProcessLogs 'cat' by boss (admin) from 127.0.0.1:`,
	}
	if len(audit) != len(want) {
		t.Fatalf("audit lines:\n%s\nwant %d", strings.Join(audit, "\n"), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(audit[i], want[i]) {
			t.Errorf("audit line %d:\n%s\nwant it to start\n%s", i, audit[i], want[i])
		}
	}
}

// TestNoPrincipalIsAdmin: a server without authentication (no principal
// in the context) may call everything, as with the reference.
func TestNoPrincipalIsAdmin(t *testing.T) {
	for name := range leastRole {
		if err := authorize(context.Background(), name); err != nil {
			t.Errorf("%s without a principal: %v", name, err)
		}
	}
}

// TestForbiddenWithPythonClient: Python's xmlrpc.client, the reference's
// own client library, sees the refusal as a Fault with code and text.
func TestForbiddenWithPythonClient(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import xmlrpc.client").Run(); err != nil {
		t.Skip("SKIPPED: python3 is needed: ", err)
	}
	_, url, _ := guardedAPI(t)
	script := `
import sys, xmlrpc.client
url = sys.argv[1].replace('http://', 'http://reader:r-pw@') + '/RPC2'
p = xmlrpc.client.ServerProxy(url)
print(p.supervisor.getState()['statename'])
try:
    p.supervisor.stopProcess('sleeper')
except xmlrpc.client.Fault as f:
    print(f.faultCode, f.faultString)
m = xmlrpc.client.MultiCall(p)
m.supervisor.shutdown()
m.supervisor.getPID()
try:
    list(m())
except xmlrpc.client.Fault as f:
    print(f.faultCode, f.faultString)
`
	out, err := exec.Command("/usr/bin/python3", "-c", script, url).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	want := "RUNNING\n403 FORBIDDEN: role read may not call supervisor.stopProcess\n403 FORBIDDEN: role read may not call supervisor.shutdown\n"
	if string(out) != want {
		t.Errorf("python saw\n%s\nwant\n%s", out, want)
	}
}

// TestNoAuditWithoutAuthentication: a server that asks nobody who they
// are (no principal, or an anonymous one) writes no audit line, so an
// existing config's main log stays the reference's.
func TestNoAuditWithoutAuthentication(t *testing.T) {
	logs := &testkit.SyncBuffer{}
	a := newAPI(t, slog.New(slog.NewTextHandler(logs, nil)))
	for _, ctx := range []context.Context{context.Background(),
		auth.With(context.Background(), auth.Principal{Role: auth.Admin, Remote: "127.0.0.1:1"})} {
		if _, err := a.h.Call(ctx, "supervisor.sendRemoteCommEvent", []any{"t", "d"}); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(logs.String(), "sendRemoteCommEvent") {
		t.Errorf("audit lines without authentication:\n%s", logs.String())
	}
}
