package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"supervisord/testkit"
)

// TestHTTPS: our supervisorctl talks to a daemon over TLS (an https://
// serverurl, the CA from SSL_CERT_FILE), logs in as an account, and shows a
// refusal of the account's role as the fault it is; tail -f streams over
// TLS too.
func TestHTTPS(t *testing.T) {
	t.Parallel()
	certs := t.TempDir()
	ca := testkit.NewCA(t, certs, "test")
	ca.Server(t, certs, "server")
	port := testkit.FreePort(t)
	d := testkit.StartDaemon(t, filepath.Join(bin, "supervisord"), testkit.Config("{dir}")+fmt.Sprintf(`
[inet_http_server]
port=127.0.0.1:%d
certfile=%[2]s/server.pem
keyfile=%[2]s/server-key.pem
[user:viewer]
password=look
[user:alice]
password=secret
role=operate
[program:sleeper]
command=/bin/sleep 1000
startsecs=0
`, port, certs))
	d.WaitLog(t, `success: sleeper entered RUNNING state`, 20*time.Second)
	url := fmt.Sprintf("https://127.0.0.1:%d", port)
	env := append(os.Environ(), "SSL_CERT_FILE="+ca.File)
	ctl := func(args ...string) (string, int) {
		return runCtl(t, env, append([]string{"-s", url}, args...)...)
	}
	if out, code := ctl("-u", "viewer", "-p", "look", "status"); code != 0 || !strings.Contains(out, "sleeper") || !strings.Contains(out, "RUNNING") {
		t.Errorf("status over https: %d %q", code, out)
	}
	if out, code := ctl("-u", "viewer", "-p", "look", "stop", "sleeper"); code == 0 || !strings.Contains(out, "FORBIDDEN: role read may not call supervisor.stopProcess") {
		t.Errorf("a reader stopping: %d %q", code, out)
	}
	if out, code := ctl("-u", "alice", "-p", "secret", "stop", "sleeper"); code != 0 || out != "sleeper: stopped\n" {
		t.Errorf("an operator stopping: %d %q", code, out)
	}
	if out, code := ctl("-u", "alice", "-p", "nope", "status"); code == 0 || !strings.Contains(out, "401") {
		t.Errorf("a wrong password: %d %q", code, out)
	}
	// Without the CA the server's certificate is refused.
	cmd := exec.Command(oursCtl(), "-s", url, "-u", "viewer", "-p", "look", "status")
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+filepath.Join(certs, "server-key.pem"))
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("status without trusting the CA: %q", out)
	}
	// maintail -f streams the main log over TLS.
	tail := exec.Command(oursCtl(), "-s", url, "-u", "viewer", "-p", "look", "maintail", "-f")
	tail.Env = env
	out := &testkit.SyncBuffer{}
	tail.Stdout, tail.Stderr = out, out
	tail.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := tail.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscall.Kill(-tail.Process.Pid, syscall.SIGKILL)
		tail.Wait()
	}()
	if !testkit.Poll(10*time.Second, func() bool {
		return strings.Contains(out.String(), "supervisor.stopProcess 'sleeper' by alice (operate)")
	}) {
		t.Errorf("maintail -f over https: %q", out.String())
	}
}

// TestMutualTLS: with [supervisorctl] cafile=, certfile= and keyfile=,
// our supervisorctl checks the server against that CA (not the system's)
// and shows a client certificate to a daemon that asks for one
// (client_ca=); without one, or with one from another CA, it is refused.
// A file it cannot read is an error naming the option and the file.
func TestMutualTLS(t *testing.T) {
	t.Parallel()
	certs := t.TempDir()
	ca := testkit.NewCA(t, certs, "test")
	ca.Server(t, certs, "server")
	ca.Client(t, certs, "client")
	foreign := testkit.NewCA(t, certs, "foreign")
	foreign.Client(t, certs, "stranger")
	port := testkit.FreePort(t)
	d := testkit.StartDaemon(t, filepath.Join(bin, "supervisord"), testkit.Config("{dir}")+fmt.Sprintf(`
[inet_http_server]
port=127.0.0.1:%d
certfile=%[2]s/server.pem
keyfile=%[2]s/server-key.pem
client_ca=%[2]s/test-ca.pem
[program:sleeper]
command=/bin/sleep 1000
startsecs=0
`, port, certs))
	d.WaitLog(t, `success: sleeper entered RUNNING state`, 20*time.Second)
	ctl := func(section string, args ...string) (string, int) {
		path := filepath.Join(t.TempDir(), "ctl.conf")
		text := fmt.Sprintf("[supervisorctl]\nserverurl=https://127.0.0.1:%d\n%s", port, section)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		// The system's CAs trust nothing here.
		return runCtl(t, append(os.Environ(), "SSL_CERT_FILE=/nonexistent"), append([]string{"-c", path}, args...)...)
	}
	for _, tc := range []struct {
		name, section string
		ok            bool
		contains      string
	}{
		{"CA and certificate", "cafile=" + certs + "/test-ca.pem\ncertfile=" + certs + "/client.pem\nkeyfile=" + certs + "/client-key.pem\n", true, "RUNNING"},
		{"no certificate", "cafile=" + certs + "/test-ca.pem\n", false, "certificate required"},
		{"a foreign certificate", "cafile=" + certs + "/test-ca.pem\ncertfile=" + certs + "/stranger.pem\nkeyfile=" + certs + "/stranger-key.pem\n", false, "certificate required"},
		{"not trusting the server", "certfile=" + certs + "/client.pem\nkeyfile=" + certs + "/client-key.pem\n", false, "unknown authority"},
		{"a missing file", "cafile=" + certs + "/nope.pem\n", false, "cafile= of [supervisorctl] in "},
		{"a key without its certificate", "keyfile=" + certs + "/client-key.pem\n", false, "certfile= of [supervisorctl]"},
	} {
		out, code := ctl(tc.section, "status", "sleeper")
		if tc.ok != (code == 0) || !strings.Contains(out, tc.contains) {
			t.Errorf("%s: exit %d, %q", tc.name, code, out)
		}
	}
}

// runCtl runs our supervisorctl with args in env, and returns what it
// printed (stdout and stderr) and its exit status.
func runCtl(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(oursCtl(), args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), 0
}
