package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"supervisord/conf"
	"supervisord/internal/child"
	"supervisord/testkit"
)

// checkers are the two ways of running exec probes; the reaper one is
// closed when the test ends.
func checkers(t *testing.T) map[string]Checker {
	r := child.NewReaper(nil, child.ReapOwn)
	t.Cleanup(r.Close)
	return map[string]Checker{"os/exec": {}, "reaper": {Reaper: r}}
}

// daemons is who the checks run as when the test does not care.
var daemons = As{UID: -1, GID: -1}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// closedAddr is an address nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		if c, err := l.Accept(); err == nil {
			c.Close()
		}
	}()
	if err := Check(ctxFor(t, 10*time.Second), conf.Probe{Kind: conf.ProbeTCP, Target: l.Addr().String()}, daemons); err != nil {
		t.Errorf("listening: %v", err)
	}
	<-accepted

	addr := closedAddr(t)
	err = Check(ctxFor(t, 10*time.Second), conf.Probe{Kind: conf.ProbeTCP, Target: addr}, daemons)
	if want := "tcp " + addr + ": connection refused"; err == nil || err.Error() != want {
		t.Errorf("closed port: %v, want %s", err, want)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("%v does not wrap ECONNREFUSED", err)
	}
}

func TestHTTP(t *testing.T) {
	var failHits atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux.HandleFunc("/nocontent", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/fail", http.StatusFound) })
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		failHits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/notfound", http.NotFound)
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 8<<20)))
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	mux.HandleFunc("/hangup", func(w http.ResponseWriter, r *http.Request) {
		c, _, _ := w.(http.Hijacker).Hijack()
		c.Close()
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	closed := "http://" + closedAddr(t) + "/"
	cases := []struct {
		path    string
		timeout time.Duration
		want    string // "" passes
	}{
		{"/ok", 10 * time.Second, ""},
		{"/nocontent", 10 * time.Second, ""},
		{"/redirect", 10 * time.Second, ""},
		{"/big", 10 * time.Second, ""},
		{"/fail", 10 * time.Second, "status 503"},
		{"/notfound", 10 * time.Second, "status 404"},
		{"/hangup", 10 * time.Second, "connection closed without an answer"},
		{"/slow", 200 * time.Millisecond, "timed out after 200ms"},
	}
	for _, c := range cases {
		url := srv.URL + c.path
		err := Check(ctxFor(t, c.timeout), conf.Probe{Kind: conf.ProbeHTTP, Target: url}, daemons)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.path, err)
		case c.want != "" && (err == nil || err.Error() != url+": "+c.want):
			t.Errorf("%s: %v, want %s", c.path, err, url+": "+c.want)
		}
	}
	if n := failHits.Load(); n != 1 {
		t.Errorf("/fail was asked %d times: a redirect was followed", n)
	}
	err := Check(ctxFor(t, 10*time.Second), conf.Probe{Kind: conf.ProbeHTTP, Target: closed}, daemons)
	if err == nil || err.Error() != closed+": connection refused" {
		t.Errorf("closed port: %v", err)
	}
}

func TestTimeout(t *testing.T) {
	ctx := ctxFor(t, 100*time.Millisecond)
	<-ctx.Done()
	err := Check(ctx, conf.Probe{Kind: conf.ProbeTCP, Target: "127.0.0.1:1"}, daemons)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "tcp 127.0.0.1:1: timed out after ") {
		t.Errorf("expired: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Check(ctx, conf.Probe{Kind: conf.ProbeExec, Argv: []string{"/bin/true"}}, daemons)
	if !errors.Is(err, context.Canceled) || err.Error() != "exec: canceled" {
		t.Errorf("canceled: %v", err)
	}
	for d, want := range map[time.Duration]string{
		5*time.Second - 20*time.Microsecond:       "5s",
		5*time.Second - 40*time.Millisecond:       "5s",
		200*time.Millisecond - time.Microsecond:   "200ms",
		1500 * time.Millisecond:                   "1.5s",
		50 * time.Microsecond:                     "0s",
		2*time.Millisecond + 400*time.Microsecond: "2ms",
		30*time.Second + 300*time.Millisecond:     "30s",
	} {
		if got := roundTimeout(d).String(); got != want {
			t.Errorf("roundTimeout(%v) = %s, want %s", d, got, want)
		}
	}
}

func TestExec(t *testing.T) {
	dir := t.TempDir()
	env := []string{"PATH=/usr/bin:/bin", "X=y"}
	cases := []struct {
		name string
		argv []string
		env  []string
		want string // "" passes
	}{
		{"true", []string{"/bin/true"}, env, ""},
		{"false", []string{"/bin/false"}, env, "exec: exit status 1"},
		{"through PATH", []string{"true"}, env, ""},
		{"not in PATH", []string{"true"}, []string{"PATH=" + dir}, "exec: can't find command 'true'"},
		{"missing", []string{"no-such-command-here"}, env, "exec: can't find command 'no-such-command-here'"},
		{"exit code", []string{"sh", "-c", "exit 3"}, env, "exec: exit status 3"},
		{"signal", []string{"sh", "-c", "kill -TERM $$"}, env, "exec: terminated by SIGTERM"},
		{"env", []string{"sh", "-c", `test "$X" = y`}, env, ""},
		{"env is all", []string{"sh", "-c", `test -z "$HOME"`}, env, ""},
		{"dir", []string{"sh", "-c", `test "$(pwd)" = "$D"`}, append(env, "D="+dir), ""},
		{"stdin is empty", []string{"sh", "-c", `read x; test $? -ne 0`}, env, ""},
		{"much output", []string{"sh", "-c", "head -c 4000000 /dev/zero; head -c 4000000 /dev/zero >&2"}, env, ""},
		{"no command", nil, env, "exec: no command"},
	}
	for name, c := range checkers(t) {
		for _, tc := range cases {
			err := c.Check(ctxFor(t, 30*time.Second), conf.Probe{Kind: conf.ProbeExec, Argv: tc.argv}, As{Env: tc.env, Dir: dir, UID: -1, GID: -1})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s %s: %v", name, tc.name, err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("%s %s: %v, want %s", name, tc.name, err, tc.want)
			}
		}
	}
}

// gone reports whether pid is no longer a running process: absent, or a
// zombie left to whoever reaps orphans.
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	return strings.HasPrefix(s[strings.LastIndexByte(s, ')')+2:], "Z")
}

func readPids(t *testing.T, file string) []int {
	t.Helper()
	var pids []int
	testkit.Eventually(t, 10*time.Second, func() bool {
		b, _ := os.ReadFile(file)
		pids = nil
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				pids = append(pids, n)
			}
		}
		return len(pids) == 2 && strings.HasSuffix(string(b), "\n")
	}, "the command's pids")
	return pids
}

// The command and the child it leaves in its process group are both
// killed when ctx ends, and the command is reaped before Check returns.
func TestExecKilled(t *testing.T) {
	for name, c := range checkers(t) {
		t.Run(name, func(t *testing.T) {
			pidfile := filepath.Join(t.TempDir(), "pids")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				done <- c.Check(ctx, conf.Probe{Kind: conf.ProbeExec, Argv: []string{"/bin/sh", "-c",
					`sleep 60 & echo $$ $! > "$F"; wait`}}, As{Env: []string{"PATH=/bin:/usr/bin", "F=" + pidfile}, UID: -1, GID: -1})
			}()
			pids := readPids(t, pidfile)
			cancel()
			err := <-done
			if !errors.Is(err, context.Canceled) || err.Error() != "exec: canceled" {
				t.Errorf("Check = %v", err)
			}
			if err := syscall.Kill(pids[0], 0); err != syscall.ESRCH {
				t.Errorf("the command (%d) is still there: %v", pids[0], err)
			}
			testkit.Eventually(t, 10*time.Second, func() bool { return gone(pids[1]) }, "its child killed")
		})
	}
}

func TestExecTimeout(t *testing.T) {
	for name, c := range checkers(t) {
		err := c.Check(ctxFor(t, 300*time.Millisecond), conf.Probe{Kind: conf.ProbeExec, Argv: []string{"sleep", "10"}}, daemons)
		if !errors.Is(err, context.DeadlineExceeded) || err.Error() != "exec: timed out after 300ms" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A command that exits at once but leaves a child holding its output
// pipe passes as soon as it exits.
func TestExecBackgroundChild(t *testing.T) {
	for name, c := range checkers(t) {
		pidfile := filepath.Join(t.TempDir(), "pid")
		err := c.Check(ctxFor(t, 30*time.Second), conf.Probe{Kind: conf.ProbeExec, Argv: []string{"/bin/sh", "-c",
			`sleep 60 & echo $$ $! > "$F"`}}, As{Env: []string{"PATH=/bin:/usr/bin", "F=" + pidfile}, UID: -1, GID: -1})
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		pids := readPids(t, pidfile)
		syscall.Kill(pids[1], syscall.SIGKILL)
	}
}

func TestNotCheckable(t *testing.T) {
	for _, p := range []conf.Probe{{}, {Kind: conf.ProbeNotify}, {Kind: conf.ProbeLog, Target: "ready"}} {
		err := Check(context.Background(), p, daemons)
		if !errors.Is(err, ErrNotCheckable) {
			t.Errorf("%v: %v", p, err)
		}
	}
	if err := Check(context.Background(), conf.Probe{Kind: conf.ProbeNotify}, daemons); err.Error() != `probe "notify": not a tcp, http or exec probe` {
		t.Error(err)
	}
}

// An exec check runs as the program's user= (here nobody), never the
// daemon's root.
func TestExecAsProgramUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to change user")
	}
	for name, c := range checkers(t) {
		probe := conf.Probe{Kind: conf.ProbeExec, Argv: []string{"sh", "-c", `test "$(id -u):$(id -g)" = 65534:65534`}}
		as := As{Env: []string{"PATH=/bin:/usr/bin"}, Dir: "/", UID: 65534, GID: 65534}
		if err := c.Check(ctxFor(t, 30*time.Second), probe, as); err != nil {
			t.Errorf("%s as nobody: %v", name, err)
		}
		if err := c.Check(ctxFor(t, 30*time.Second), probe, As{Env: as.Env, Dir: "/", UID: -1, GID: -1}); err == nil {
			t.Errorf("%s as the daemon passed a check for nobody", name)
		}
	}
}
