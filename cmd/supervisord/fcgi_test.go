package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"supervisord/testkit"
)

// fcgiChildEnv makes the test binary an fcgi-program instance (see
// TestMain): it accepts connections on its fd 0 and greets each with its
// process name.
const fcgiChildEnv = "SUPERVISORD_TEST_FCGI_CHILD"

// fcgiChild is the instance. Accepting on fd 0 with plain blocking calls
// proves fd 0 is the listening socket, and leaves the socket's flags (which
// every instance shares) as they were.
func fcgiChild() {
	accepting, err := syscall.GetsockoptInt(0, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN)
	if err != nil || accepting != 1 {
		fmt.Fprintf(os.Stderr, "fd 0 is no listening socket: %v\n", err)
		os.Exit(2)
	}
	greeting := []byte("hello from " + os.Getenv("SUPERVISOR_PROCESS_NAME") + "\n")
	for {
		fd, _, err := syscall.Accept(0)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "accept: %v\n", err)
			os.Exit(3)
		}
		syscall.Write(fd, greeting)
		syscall.Close(fd)
	}
}

// daemonsToCompare is ours, and the reference when it is installed: every
// fcgi test runs on both and expects the same.
func daemonsToCompare(t *testing.T) map[string]string {
	daemons := map[string]string{"ours": bin}
	if _, err := os.Stat(reference); err == nil {
		daemons["reference"] = reference
	} else {
		t.Log("REFERENCE MISSING: apt-get install supervisor to compare with " + reference)
	}
	return daemons
}

// greeting connects to addr and returns what the instance that accepted
// said.
func greeting(network, addr string) (string, error) {
	c, err := net.DialTimeout(network, addr, 10*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c)
	return string(b), err
}

// refusedSoon waits until connecting to addr is refused.
func refusedSoon(t *testing.T, network, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := greeting(network, addr)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s still served: %v", network, addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ctlOK(t *testing.T, d *testkit.Daemon, args ...string) {
	t.Helper()
	if out, code := testkit.Ctl(t, d, args...); code != 0 {
		t.Fatalf("supervisorctl %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
}

// An fcgi-program's instances get the group's socket as fd 0. As with the
// reference, the socket is reference-counted by the running instances: it
// stays open while one runs, is closed when the last one stops and bound
// again by the next start; a unix socket's file is never removed, not even
// when the group is.
func TestFCGIProgramSocket(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	owner, uid := "", os.Getuid()
	if uid == 0 {
		owner, uid = "socket_owner=65534:65534\n", 65534
	}
	for name, binary := range daemonsToCompare(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			port := testkit.FreePort(t)
			d := testkit.StartDaemon(t, binary, testkit.Config("{dir}")+testkit.RPCConfig("{dir}")+
				"\n[fcgi-program:web]\n"+
				"command="+self+"\n"+
				"environment="+fcgiChildEnv+"=1\n"+
				"socket=unix://{dir}/web.sock\n"+
				"socket_mode=0660\n"+owner+
				"process_name=%(program_name)s_%(process_num)d\n"+
				"numprocs=2\n"+
				"startsecs=0\n"+
				"\n[fcgi-program:api]\n"+
				"command="+self+"\n"+
				"environment="+fcgiChildEnv+"=1\n"+
				fmt.Sprintf("socket=tcp://127.0.0.1:%d\n", port)+
				"startsecs=0\n")
			sock := filepath.Join(d.Dir, "web.sock")
			tcp := fmt.Sprintf("127.0.0.1:%d", port)
			count := func(what string) int { return strings.Count(d.Log(), what) }
			created, closed := "Creating socket unix://"+sock, "Closing socket unix://"+sock
			wantCounts := func(when string, creates, closes int) {
				t.Helper()
				// The close may follow the answer to a stop by a moment.
				deadline := time.Now().Add(10 * time.Second)
				for (count(created) != creates || count(closed) != closes) && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				if count(created) != creates || count(closed) != closes {
					t.Errorf("%s: socket created %d and closed %d times, want %d and %d",
						when, count(created), count(closed), creates, closes)
				}
			}
			if got, ok := d.WaitStates(map[string]string{"web_0": "RUNNING", "web_1": "RUNNING", "api": "RUNNING"}, 20*time.Second); !ok {
				t.Fatalf("states %v", got)
			}
			// Bound once to check it at startup, once for the instances.
			wantCounts("started", 2, 1)

			st, err := os.Lstat(sock)
			if err != nil || st.Mode().Type() != os.ModeSocket {
				t.Fatalf("%s: %v %v, want a socket", sock, st, err)
			}
			if st.Mode().Perm() != 0o660 {
				t.Errorf("socket mode %v, want 0660", st.Mode().Perm())
			}
			if sys := st.Sys().(*syscall.Stat_t); int(sys.Uid) != uid {
				t.Errorf("socket owned by uid %d, want %d", sys.Uid, uid)
			}
			web := regexp.MustCompile(`^hello from web_[01]\n$`)
			if got, err := greeting("unix", sock); !web.MatchString(got) {
				t.Errorf("unix socket served %q, %v", got, err)
			}
			if got, err := greeting("tcp", tcp); got != "hello from api\n" {
				t.Errorf("tcp socket served %q, %v", got, err)
			}
			out := testkit.PyRPC(t, d, "call('supervisor.sendProcessStdin', 'web:web_0', 'x')")
			if !strings.Contains(out, "FAULT 20 NO_FILE: web:web_0") {
				t.Errorf("sendProcessStdin to an instance whose stdin is the socket:\n%s", out)
			}

			// One instance restarting leaves the socket to the other.
			ctlOK(t, d, "restart", "web:web_0")
			wantCounts("web_0 restarted", 2, 1)
			ctlOK(t, d, "stop", "web:web_0")
			if got, err := greeting("unix", sock); got != "hello from web_1\n" {
				t.Errorf("with web_0 stopped: served %q, %v", got, err)
			}
			wantCounts("web_0 stopped", 2, 1)

			// The last one stopping closes it; the file stays.
			ctlOK(t, d, "stop", "web:web_1")
			wantCounts("web_1 stopped", 2, 2)
			refusedSoon(t, "unix", sock)
			if _, err := os.Lstat(sock); err != nil {
				t.Errorf("socket file removed on close: %v", err)
			}

			// The next start binds it again.
			ctlOK(t, d, "start", "web:web_1")
			wantCounts("web_1 started again", 3, 2)
			if got, err := greeting("unix", sock); got != "hello from web_1\n" {
				t.Errorf("bound again: served %q, %v", got, err)
			}

			// Removing the group (all stopped) leaves the file too.
			ctlOK(t, d, "stop", "web:*")
			ctlOK(t, d, "remove", "web")
			wantCounts("web removed", 3, 3)
			refusedSoon(t, "unix", sock)
			if _, err := os.Lstat(sock); err != nil {
				t.Errorf("socket file removed with the group: %v", err)
			}

			if st := d.Stop(30 * time.Second); st == nil || !st.Success() {
				t.Fatalf("daemon exit: %v", st)
			}
			if !strings.Contains(d.Log(), "Closing socket tcp://"+tcp) {
				t.Error("no closing line for the tcp socket at shutdown")
			}
			refusedSoon(t, "tcp", tcp)
		})
	}
}

// A socket that cannot be bound at startup ends the daemon with status 1
// and the reference's message, before it starts anything.
func TestFCGISocketStartupFailure(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() }) // after the parallel subtests
	cases := []struct {
		name, socket, setup, want string
	}{
		{"port in use", "tcp://" + busy.Addr().String(), "",
			"Could not create FastCGI socket tcp://" + busy.Addr().String() + ": [Errno 98] Address already in use"},
		{"path is a directory", "unix://{dir}/web.sock", "{dir}/web.sock",
			"Could not create FastCGI socket unix://{dir}/web.sock: [Errno 21] Is a directory: '{dir}/web.sock'"},
	}
	for name, binary := range daemonsToCompare(t) {
		for _, tc := range cases {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				// The directory must exist before the daemon starts: the
				// config names it by the daemon's own directory, so the
				// daemon runs in a second temporary directory made here.
				dir := t.TempDir()
				expand := func(s string) string { return strings.ReplaceAll(s, "{dir}", dir) }
				if tc.setup != "" {
					if err := os.Mkdir(expand(tc.setup), 0o755); err != nil {
						t.Fatal(err)
					}
				}
				d := testkit.StartDaemon(t, binary, testkit.Config("{dir}")+
					"\n[fcgi-program:web]\ncommand=/bin/sleep 1000\nsocket="+expand(tc.socket)+"\n")
				st := d.Wait(30 * time.Second)
				if st == nil || st.ExitCode() != 1 {
					t.Errorf("exit %v, want status 1", st)
				}
				if want := expand(tc.want); !strings.Contains(d.Output(), want) {
					t.Errorf("output lacks %q:\n%s", want, d.Output())
				}
				if strings.Contains(d.Log(), "spawned:") {
					t.Error("a program was started")
				}
				if tc.setup != "" {
					if fi, err := os.Stat(expand(tc.setup)); err != nil || !fi.IsDir() {
						t.Errorf("the directory in the way is gone: %v", err)
					}
				}
			})
		}
	}
}
