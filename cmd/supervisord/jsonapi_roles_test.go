package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// Escalation over the JSON API with the daemon's real accounts: a read
// user tries every route above read, an operate user every admin route,
// each as the OpenAPI document lists them. Every one is refused with 403
// FORBIDDEN, nothing changes (the program stays up, the daemon keeps
// serving) and no audit line names either user.
func TestJSONAPIEscalation(t *testing.T) {
	t.Parallel()
	port := testkit.FreePort(t)
	d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+testkit.RPCConfig("{dir}")+fmt.Sprintf(`
[inet_http_server]
port=127.0.0.1:%d
username=boss
password=boss-pw

[user:viewer]
password=look
role=read

[user:op]
password=op-pw
role=operate

[program:sleeper]
command=/bin/sleep 1000
startsecs=0
`, port))
	base := fmt.Sprintf("http://127.0.0.1:%d/api/v1", port)
	// A refused POST carries a body ({}), which the role check comes before.
	do := func(method, path, user, pass, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.SetBasicAuth(user, pass)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil // not listening yet
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	running := func() bool {
		code, m := do("GET", "/processes/sleeper", "viewer", "look", "")
		return code == 200 && m["statename"] == "RUNNING"
	}
	testkit.Eventually(t, 20*time.Second, running, "sleeper RUNNING")

	code, doc := do("GET", "/openapi.json", "viewer", "look", "")
	if code != 200 {
		t.Fatalf("openapi.json: %d", code)
	}
	rank := map[string]int{"none": 0, "read": 1, "operate": 2, "admin": 3}
	paths, _ := doc["paths"].(map[string]any)
	tried := map[string]int{}
	for _, who := range []struct{ user, pass, role string }{{"viewer", "look", "read"}, {"op", "op-pw", "operate"}} {
		for path, ops := range paths {
			for method, op := range ops.(map[string]any) {
				role, _ := op.(map[string]any)["x-role"].(string)
				if rank[role] <= rank[who.role] {
					continue
				}
				concrete := strings.NewReplacer("{name}", "sleeper", "{stream}", "stdout").Replace(path)
				body := ""
				if method == "post" {
					body = "{}"
				}
				code, m := do(strings.ToUpper(method), concrete, who.user, who.pass, body)
				if code != http.StatusForbidden || m["code"] != "FORBIDDEN" {
					t.Errorf("%s %s as %s (%s): %d %v; want 403 FORBIDDEN", method, concrete, who.user, who.role, code, m)
				}
				tried[who.role]++
			}
		}
	}
	// Every operate and admin route for read; every admin route for operate.
	if tried["read"] < 19 || tried["operate"] < 4 {
		t.Errorf("routes tried: %v; the document lists too few above each role", tried)
	}
	if !running() {
		t.Error("a refused request changed the program's state")
	}
	if log := d.Log(); strings.Contains(log, " by viewer ") || strings.Contains(log, " by op ") {
		t.Errorf("a refused request was audited:\n%s", log)
	}
	// The operate user may act, and is audited.
	if code, m := do("POST", "/processes/sleeper/stop", "op", "op-pw", ""); code != 200 {
		t.Fatalf("stop as op: %d %v", code, m)
	}
	d.WaitLog(t, `POST /api/v1/processes/sleeper/stop .*by op \(operate\) from 127\.0\.0\.1:`, 10*time.Second)
}
