package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// The JSON API is served by the daemon on both servers, behind their
// authentication, next to XML-RPC: a list, an action watched on the event
// stream, and a shutdown that takes the daemon's own path (its audit line
// in the main log, exit status 0).
func TestJSONAPI(t *testing.T) {
	t.Parallel()
	port := testkit.FreePort(t)
	d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+testkit.RPCConfig("{dir}")+fmt.Sprintf(`
[inet_http_server]
port=127.0.0.1:%d
username=user
password=123

[program:sleeper]
command=/bin/sleep 1000
startsecs=0
`, port))
	inet := fmt.Sprintf("http://127.0.0.1:%d", port)
	unix := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", d.Socket())
	}}}
	get := func(c *http.Client, url, user string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", url, nil)
		if user != "" {
			req.SetBasicAuth(user, "123")
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	running := func(m map[string]any) bool {
		ps, _ := m["processes"].([]any)
		return len(ps) == 1 && ps[0].(map[string]any)["statename"] == "RUNNING"
	}
	testkit.Eventually(t, 20*time.Second, func() bool {
		code, m := get(http.DefaultClient, inet+"/api/v1/processes", "user")
		return code == 200 && running(m)
	}, "sleeper RUNNING over inet")
	if code, m := get(unix, "http://localhost/api/v1/processes", ""); code != 200 || !running(m) {
		t.Errorf("over the unix socket: %d %v", code, m)
	}
	if code, _ := get(http.DefaultClient, inet+"/api/v1/processes", "intruder"); code != 401 {
		t.Errorf("with a wrong password: %d", code)
	}
	if code, m := get(unix, "http://localhost/api/v1/nosuch", ""); code != 404 || m["code"] != "NOT_FOUND" {
		t.Errorf("no such route: %d %v", code, m)
	}

	// The stream sees a stop asked over the API.
	req, _ := http.NewRequest("GET", "http://localhost/api/v1/events?types=PROCESS_STATE", nil)
	resp, err := unix.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	// Actions go over inet, as the account "user": a caller the server
	// identified, so each leaves an audit line (the unix socket has no
	// authentication here, and its callers none).
	post := func(path string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", inet+path, nil)
		req.SetBasicAuth("user", "123")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		b, _ := io.ReadAll(resp.Body)
		json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}
	if code, m := post("/api/v1/processes/sleeper/stop?wait=true"); code != 200 || m["code"] != "SUCCESS" {
		t.Fatalf("stop: %d %v", code, m)
	}
	var seen []string
	for want := "event: PROCESS_STATE_STOPPED"; len(seen) == 0 || seen[len(seen)-1] != want; {
		select {
		case l := <-lines:
			if strings.HasPrefix(l, "event: ") {
				seen = append(seen, l)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("events seen: %v", seen)
		}
	}
	if seen[0] != "event: PROCESS_STATE_STOPPING" {
		t.Errorf("events: %v", seen)
	}

	if code, m := post("/api/v1/daemon/shutdown"); code != 202 || m["state"].(map[string]any)["name"] != "SHUTDOWN" {
		t.Fatalf("shutdown: %d %v", code, m)
	}
	st := d.Wait(20 * time.Second)
	if st == nil || st.ExitCode() != 0 {
		t.Fatalf("the daemon did not exit 0 after the shutdown: %v", st)
	}
	for _, want := range []string{"POST /api/v1/processes/sleeper/stop wait=true by user (admin) from 127.0.0.1:",
		"POST /api/v1/daemon/shutdown by user (admin) from 127.0.0.1:"} {
		if !strings.Contains(d.Log(), want) {
			t.Errorf("main log lacks %q:\n%s", want, d.Log())
		}
	}
	for range lines { // the stream ended with the daemon
	}
}
