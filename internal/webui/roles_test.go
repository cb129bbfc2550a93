package webui

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"supervisord/conf"
	"supervisord/internal/auth"
	"supervisord/internal/httpserver"
)

// TestActionRoles serves the page on a real server with an account per
// role: an action the role may not take is refused with 403 and does
// nothing; one it may take is done and leaves an audit line.
func TestActionRoles(t *testing.T) {
	f := start(t)
	cfg := &conf.Config{InetHTTPServers: []*conf.InetHTTPServer{{Host: "127.0.0.1"}}, Users: []*conf.User{
		{Name: "reader", Password: "r", Role: auth.Read},
		{Name: "operator", Password: "o", Role: auth.Operate},
		{Name: "boss", Password: "b", Role: auth.Admin},
	}}
	srv, err := httpserver.Start(cfg, f.page, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	base := "http://" + srv.Addrs()[0].String()
	act := func(user, pass string, form url.Values, accept string) (int, string) {
		req, _ := http.NewRequest("POST", base+"/index.html", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", accept)
		req.SetBasicAuth(user, pass)
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	forms := map[string]url.Values{}
	for action := range actionMethods {
		v := url.Values{"action": {action}}
		switch {
		case strings.HasSuffix(action, "group"):
			v.Set("group", "web")
		case !strings.HasSuffix(action, "all"):
			v.Set("processname", "sleeper")
		}
		forms[action] = v
	}
	forms["refresh"] = url.Values{"action": {"refresh"}}

	// Every action the reader and the operator may not take: refused,
	// nothing changes.
	for _, who := range []struct {
		user, pass string
		role       auth.Role
	}{{"reader", "r", auth.Read}, {"operator", "o", auth.Operate}} {
		for action, form := range forms {
			need := actionRole(action)
			if who.role >= need {
				continue
			}
			code, body := act(who.user, who.pass, form, "application/json")
			var m map[string]any
			json.Unmarshal([]byte(body), &m)
			want := "ERROR: role " + who.role.String() + " may not " + action + " (it takes " + need.String() + ")"
			if code != http.StatusForbidden || m["message"] != want || m["error"] != true {
				t.Errorf("%s %s: %d %s; want 403 %q", who.user, action, code, body, want)
			}
		}
	}
	for _, p := range []string{"sleeper", "cat", "web:w_0", "web:w_1"} {
		if st := f.state(p); st != "RUNNING" {
			t.Errorf("after refused actions %s is %s", p, st)
		}
	}
	if strings.Contains(f.logs.String(), `msg="page `) {
		t.Errorf("audit lines for refused actions:\n%s", f.logs.String())
	}
	// A form without script gets the page, with the refusal, and 403.
	if code, body := act("reader", "r", forms["stop"], "text/html"); code != http.StatusForbidden ||
		!strings.Contains(body, "ERROR: role read may not stop (it takes operate)") {
		t.Errorf("reader's form: %d", code)
	}
	// What each may do is done, and audited.
	for _, tc := range []struct{ user, pass, action string }{
		{"reader", "r", "refresh"},
		{"operator", "o", "stop"},
		{"operator", "o", "restartgroup"},
		{"boss", "b", "clearlog"},
		{"boss", "b", "start"},
	} {
		if code, body := act(tc.user, tc.pass, forms[tc.action], "application/json"); code != http.StatusOK || strings.Contains(body, `"error":true`) {
			t.Errorf("%s %s: %d %s", tc.user, tc.action, code, body)
		}
	}
	var audit []string
	for _, line := range strings.Split(f.logs.String(), "\n") {
		if _, msg, ok := strings.Cut(line, "msg="); ok && strings.HasPrefix(msg, `"page `) {
			audit = append(audit, msg)
		}
	}
	want := []string{
		`"page stop 'sleeper' by operator (operate) from 127.0.0.1:`,
		`"page restartgroup 'web' by operator (operate) from 127.0.0.1:`,
		`"page clearlog 'sleeper' by boss (admin) from 127.0.0.1:`,
		`"page start 'sleeper' by boss (admin) from 127.0.0.1:`,
	}
	if len(audit) != len(want) {
		t.Fatalf("audit lines:\n%s", strings.Join(audit, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(audit[i], want[i]) {
			t.Errorf("audit line %q, want it to start %q", audit[i], want[i])
		}
	}
}

// TestActionRolesFollowTheAPI: each action takes the role of the XML-RPC
// method that does the same.
func TestActionRolesFollowTheAPI(t *testing.T) {
	for action, want := range map[string]auth.Role{
		"refresh": auth.Read, "start": auth.Operate, "stop": auth.Operate, "restart": auth.Operate,
		"startall": auth.Operate, "stopall": auth.Operate, "restartall": auth.Operate,
		"startgroup": auth.Operate, "stopgroup": auth.Operate, "restartgroup": auth.Operate,
		"clearlog": auth.Admin, "bogus": auth.Admin,
	} {
		if got := actionRole(action); got != want {
			t.Errorf("%s takes %s, want %s", action, got, want)
		}
	}
}
