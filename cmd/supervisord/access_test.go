package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"supervisord/testkit"
)

const (
	getStateXML    = `<?xml version="1.0"?><methodCall><methodName>supervisor.getState</methodName></methodCall>`
	stopProcessXML = `<?xml version="1.0"?><methodCall><methodName>supervisor.stopProcess</methodName><params><param><value><string>web</string></value></param></params></methodCall>`
)

// TestREADMECurlLines runs the daemon over TLS, mutual TLS and a unix
// socket with peer roles, with accounts of each role, and runs each curl
// line of the README's TLS, users and roles section against it (with its
// ports and socket): what the README says they do, they do.
func TestREADMECurlLines(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("SKIPPED: curl is needed")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	certs := t.TempDir()
	ca := testkit.NewCA(t, certs, "test")
	ca.Server(t, certs, "server")
	ca.Client(t, certs, "client")
	other := testkit.NewCA(t, certs, "other")
	other.Client(t, certs, "stranger")
	hash, _ := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	for name, body := range map[string]string{"ca.pem": string(ca.PEM), "getState.xml": getStateXML, "stopProcess.xml": stopProcessXML} {
		if err := os.WriteFile(filepath.Join(certs, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p1, p2 := testkit.FreePort(t), testkit.FreePort(t)
	d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+fmt.Sprintf(`
[inet_http_server]
port=127.0.0.1:%d
username=admin
password=admin-pw
certfile=%[3]s/server.pem
keyfile=%[3]s/server-key.pem
[inet_http_server:mtls]
port=127.0.0.1:%[2]d
certfile=%[3]s/server.pem
keyfile=%[3]s/server-key.pem
client_ca=%[3]s/test-ca.pem
[unix_http_server]
file={dir}/s.sock
peer_roles=%[4]d:admin
[user:alice]
password=%[5]s
role=operate
[user:viewer]
password=look
[program:web]
command=/bin/sleep 1000
startsecs=0
`, p1, p2, certs, os.Getuid(), hash))
	d.WaitLog(t, `success: web entered RUNNING state`, 20*time.Second)
	sock := filepath.Join(d.Dir, "s.sock")

	curl := func(line string) (string, error) {
		t.Helper()
		if !strings.Contains(string(readme), "    "+line+"\n") {
			t.Errorf("the README has no line %q", line)
		}
		line = strings.NewReplacer("127.0.0.1:9001", fmt.Sprint("127.0.0.1:", p1), "127.0.0.1:9002", fmt.Sprint("127.0.0.1:", p2),
			"/run/supervisor.sock", sock).Replace(line)
		cmd := exec.Command("/bin/sh", "-c", line+" --max-time 20 -s -S")
		cmd.Dir = certs
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, tc := range []struct{ line, want string }{
		{`curl --cacert ca.pem -u alice:secret https://127.0.0.1:9001/RPC2 -d @getState.xml`, "<string>RUNNING</string>"},
		{`curl --cacert ca.pem -u viewer:look -s -o /dev/null -w '%{http_version}\n' https://127.0.0.1:9001/`, "2\n"},
		{`curl --cacert ca.pem --cert client.pem --key client-key.pem -u alice:secret https://127.0.0.1:9002/RPC2 -d @getState.xml`, "<string>RUNNING</string>"},
		{`curl --cacert ca.pem -u viewer:look https://127.0.0.1:9001/RPC2 -d @stopProcess.xml`, "<int>403</int>|<string>FORBIDDEN: role read may not call supervisor.stopProcess</string>"},
		{`curl --cacert ca.pem -u viewer:look -s -o /dev/null -w '%{http_code}\n' 'https://127.0.0.1:9001/index.html?processname=web&action=stop'`, "403\n"},
		{`curl --unix-socket /run/supervisor.sock http://localhost/RPC2 -d @getState.xml`, "<string>RUNNING</string>"},
	} {
		out, err := curl(tc.line)
		for _, want := range strings.Split(tc.want, "|") {
			if err != nil || !strings.Contains(out, want) {
				t.Errorf("%s: %v\n%s\nwant it to hold %q", tc.line, err, out, want)
			}
		}
	}

	// Refused: a client without a certificate, or with one of another CA,
	// on the mutual-TLS server; plain HTTP on a TLS port; a wrong password.
	run := func(args ...string) (string, error) {
		cmd := exec.Command("curl", append([]string{"-s", "-S", "--max-time", "20"}, args...)...)
		cmd.Dir = certs
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	mtls := fmt.Sprintf("https://127.0.0.1:%d/RPC2", p2)
	if out, err := run("--cacert", "ca.pem", "-u", "alice:secret", mtls, "-d", "@getState.xml"); err == nil {
		t.Errorf("no client certificate, admitted: %s", out)
	}
	if out, err := run("--cacert", "ca.pem", "--cert", "stranger.pem", "--key", "stranger-key.pem", "-u", "alice:secret", mtls, "-d", "@getState.xml"); err == nil {
		t.Errorf("a certificate of another CA, admitted: %s", out)
	}
	if out, _ := run("-o", "/dev/null", "-w", "%{http_code}", "-u", "alice:wrong", "--cacert", "ca.pem", fmt.Sprintf("https://127.0.0.1:%d/RPC2", p1), "-d", "@getState.xml"); out != "401" {
		t.Errorf("a wrong password: %q", out)
	}
	d.WaitLog(t, `WARN login refused for 'alice' from 127\.0\.0\.1:\d+`, 10*time.Second)

	// An operator stops web; the main log says who did it, from where.
	if out, err := run("--cacert", "ca.pem", "--cert", "client.pem", "--key", "client-key.pem", "-u", "alice:secret", mtls, "-d", "@stopProcess.xml"); err != nil || !strings.Contains(out, "<boolean>1</boolean>") {
		t.Errorf("alice stopping web: %v %s", err, out)
	}
	d.WaitLog(t, `INFO supervisor\.stopProcess 'web' by alice \(operate\) from 127\.0\.0\.1:\d+ \(certificate 'client'\)`, 10*time.Second)
	d.WaitLog(t, `stopped: web \(terminated by SIGTERM\)`, 10*time.Second)
	// The unix peer is an admin by its uid.
	if out, err := run("--unix-socket", sock, "-o", "/dev/null", "-w", "%{http_code}", "http://localhost/index.html?processname=web&action=start"); err != nil || out != "301" {
		t.Errorf("the peer starting web from the page: %v %q", err, out)
	}
	d.WaitLog(t, fmt.Sprintf(`INFO page start 'web' by uid:%d \(admin\) from unix \(pid \d+, uid %[1]d\)`, os.Getuid()), 10*time.Second)
}
