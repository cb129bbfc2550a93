package testkit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// The reference's supervisorctl is a Python program: most of each run is
// the interpreter starting and importing supervisor (some 0.2 s of CPU),
// and the tests run it hundreds of times. A ctlServer does that once: it
// imports supervisor.supervisorctl and, for each run, forks a child that
// calls its main just as /usr/bin/supervisorctl does, with the run's
// arguments, directory, stdin and output files, in a session of its own
// when asked. The child is the reference client, from the same
// interpreter, environment and modules, minus the start-up.
const ctlServerScript = `
import json, os, select, signal, sys, traceback
sys.path[0] = os.path.dirname(sys.argv[1])  # as for the script itself
from supervisor import supervisorctl
req, res = os.fdopen(3, "r"), os.fdopen(4, "w")
for line in req:
    r = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(3)
            os.close(4)
            if r["setsid"]:
                os.setsid()
            else:
                os.setpgid(0, 0)
            os.chdir(r["dir"])
            out = os.open(r["stdout"], os.O_WRONLY | os.O_APPEND)
            err = out if r["stderr"] == r["stdout"] else os.open(r["stderr"], os.O_WRONLY | os.O_APPEND)
            os.dup2(os.open(r["stdin"], os.O_RDONLY), 0)
            os.dup2(out, 1)
            os.dup2(err, 2)
            sys.argv = [sys.argv[1]] + r["args"]
            supervisorctl.main()
            code = 0
        except SystemExit as e:
            code = e.code
            if code is None:
                code = 0
            elif not isinstance(code, int):
                print(code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code & 0xff)
    killed = False
    fd = os.pidfd_open(pid)
    if not select.select([fd], [], [], r["timeout"])[0]:
        os.killpg(pid, signal.SIGKILL)
        killed = True
    os.close(fd)
    status = os.waitpid(pid, 0)[1]
    res.write(json.dumps({"code": os.waitstatus_to_exitcode(status), "killed": killed}) + "\n")
    res.flush()
`

// ctlServer is one running ctlServerScript; it serves one run at a time.
type ctlServer struct {
	req    *os.File      // requests, one JSON line each
	res    *bufio.Reader // one JSON line per request
	stderr *os.File      // what it said, should it fail (unlinked)
}

// ctlServers are the idle servers. One is started whenever a run finds
// none idle, so runs are never queued; servers end when the process does
// (their requests reach EOF).
var ctlServers struct {
	sync.Mutex
	idle []*ctlServer
}

func startCtlServer(ctl string) (*ctlServer, error) {
	errFile, err := os.CreateTemp("", "refctl-*.err")
	if err != nil {
		return nil, err
	}
	os.Remove(errFile.Name())
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(Python, "-c", ctlServerScript, ctl)
	cmd.Env = clientEnv()
	cmd.Stderr = errFile // a file: no goroutine copies it
	cmd.ExtraFiles = []*os.File{reqR, resW}
	err = cmd.Start()
	reqR.Close()
	resW.Close()
	if err != nil {
		reqW.Close()
		resR.Close()
		return nil, err
	}
	return &ctlServer{req: reqW, res: bufio.NewReader(resR), stderr: errFile}, nil
}

// fail ends s after a broken exchange and says why.
func (s *ctlServer) fail(err error) error {
	s.req.Close()
	msg, _ := os.ReadFile(fmt.Sprintf("/proc/self/fd/%d", s.stderr.Fd()))
	s.stderr.Close()
	return fmt.Errorf("testkit: the supervisorctl server failed: %v\n%s", err, strings.TrimSpace(string(msg)))
}

// ctlRun is one run of the reference's supervisorctl.
type ctlRun struct {
	dir      string
	args     []string
	stdin    string
	combined bool // stdout and stderr to one file, as a terminal shows them
	setsid   bool
}

// runReferenceCtl runs the reference's supervisorctl (at ctl) through a
// ctlServer. err is set only when the server failed; then the caller runs
// ctl itself.
func runReferenceCtl(ctl string, run ctlRun) (r CtlRun, err error) {
	ctlServers.Lock()
	var s *ctlServer
	if n := len(ctlServers.idle); n > 0 {
		s, ctlServers.idle = ctlServers.idle[n-1], ctlServers.idle[:n-1]
	}
	ctlServers.Unlock()
	if s == nil {
		if s, err = startCtlServer(ctl); err != nil {
			return r, err
		}
	}
	files, err := os.MkdirTemp("", "refctl-run-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(files)
	in, out, errOut := filepath.Join(files, "stdin"), filepath.Join(files, "stdout"), filepath.Join(files, "stderr")
	if run.combined {
		errOut = out
	}
	for name, text := range map[string]string{in: run.stdin, out: "", errOut: ""} {
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			return r, err
		}
	}
	line, _ := json.Marshal(map[string]any{"dir": run.dir, "args": run.args, "stdin": in, "stdout": out, "stderr": errOut,
		"setsid": run.setsid, "timeout": clientTimeout.Seconds()})
	var answer struct {
		Code   int
		Killed bool
	}
	if _, err = s.req.Write(append(line, '\n')); err == nil {
		var b []byte
		if b, err = s.res.ReadBytes('\n'); err == nil {
			err = json.Unmarshal(b, &answer)
		}
	}
	if err != nil {
		return r, s.fail(err)
	}
	ctlServers.Lock()
	ctlServers.idle = append(ctlServers.idle, s)
	ctlServers.Unlock()
	stdout, _ := os.ReadFile(out)
	r.Stdout = string(stdout)
	if !run.combined {
		stderr, _ := os.ReadFile(errOut)
		r.Stderr = string(stderr)
	}
	r.Code, r.Killed = answer.Code, answer.Killed
	if r.Code < 0 || r.Killed { // killed by a signal: what exec reports
		r.Code = -1
	}
	return r, nil
}
