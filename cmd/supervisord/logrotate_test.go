package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// writerLines is how many numbered lines the writer of
// TestNoByteLostAcrossRotateAndCompress writes.
const writerLines = 100000

// A real child writes numbered lines as fast as it can while its log is
// rotated at 64 KB and, from a Python XML-RPC client, on request, with
// every backup compressed in the background: once it is done the backups,
// decompressed, and the log hold every line once, in order.
func TestNoByteLostAcrossRotateAndCompress(t *testing.T) {
	t.Parallel()
	if _, py := testkit.HaveClients(); !py {
		t.Skip("no python3")
	}
	d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+testkit.RPCConfig("{dir}")+`
[program:writer]
command=/bin/sh -c 'i=0; while [ $i -lt `+strconv.Itoa(writerLines)+` ]; do i=$((i+1)); echo "line $i"; [ $((i %% 500)) = 0 ] && sleep 0.01; done; echo done; exec sleep 1000'
startsecs=0
stdout_logfile={dir}/writer.out
stdout_logfile_maxbytes=64KB
stdout_logfile_backups=1000
stdout_logfile_compress=gzip
stderr_logfile=NONE
`)
	if got, ok := d.WaitStates(map[string]string{"writer": "RUNNING"}, 20*time.Second); !ok {
		t.Fatalf("states %v", got)
	}
	out := testkit.PyRPC(t, d, `
n = 0
deadline = time.time() + 30
while n < 20 and time.time() < deadline:
    r, f = invoke('supervisor.rotateProcessLogs', 'writer')
    if f is not None:
        print(fault_text(f))
        break
    if r is True:
        n += 1
    time.sleep(0.05)
print('rotated', n)
`)
	if out != "rotated 20\n" {
		t.Errorf("rotating from Python: %q", out)
	}
	path := filepath.Join(d.Dir, "writer.out")
	var all []byte
	var sizes []int
	if !testkit.Poll(60*time.Second, func() bool {
		all, sizes = logAndBackups(t, path)
		return bytes.HasSuffix(all, []byte("done\n"))
	}) {
		t.Fatalf("the writer did not finish: %d bytes in %d backups, ending %q", len(all), len(sizes), all[max(len(all)-40, 0):])
	}
	// That look may have raced a last rotation (a slow reader can see
	// files shift under it); from now on only compressions finish, so
	// look again.
	if !testkit.Poll(30*time.Second, func() bool {
		all, sizes = logAndBackups(t, path)
		return all != nil
	}) {
		t.Fatal("the backups were never all compressed")
	}
	var want bytes.Buffer
	for i := 1; i <= writerLines; i++ {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	want.WriteString("done\n")
	if !bytes.Equal(all, want.Bytes()) {
		i := 0
		for i < min(len(all), want.Len()) && all[i] == want.Bytes()[i] {
			i++
		}
		var where []string // each file's first and last line, oldest first
		off := 0
		for _, n := range append(sizes, len(all)-sum(sizes)) {
			part := strings.Split(strings.TrimSuffix(string(all[off:off+n]), "\n"), "\n")
			where = append(where, part[0]+" .. "+part[len(part)-1])
			off += n
		}
		t.Fatalf("%d bytes in %d backups and the log, want %d; first difference at byte %d: %q; files: %s",
			len(all), len(sizes), want.Len(), i, all[i:min(i+40, len(all))], strings.Join(where, ", "))
	}
	// A size rotation leaves at least 64 KB; most of those asked for
	// while the writer ran leave less.
	asked := 0
	for _, n := range sizes {
		if n < 64<<10 {
			asked++
		}
	}
	if asked < 5 || len(sizes)-asked < 1 { // how they mix depends on the machine's pace
		t.Errorf("%d backups, %d of them rotated on request: %v", len(sizes), asked, sizes)
	}
}

func sum(ns []int) int {
	t := 0
	for _, n := range ns {
		t += n
	}
	return t
}

// logAndBackups joins path.N.gz … path.1.gz and path, once no backup is
// left uncompressed (nil before), with the size of each backup.
func logAndBackups(t *testing.T, path string) ([]byte, []int) {
	t.Helper()
	n := 0
	for {
		if _, err := os.Stat(path + "." + strconv.Itoa(n+1)); err == nil {
			return nil, nil // still being compressed
		}
		if _, err := os.Stat(path + "." + strconv.Itoa(n+1) + ".gz"); err != nil {
			break
		}
		n++
	}
	var all []byte
	var sizes []int
	for i := n; i > 0; i-- {
		b, err := testkit.ReadGzip(path + "." + strconv.Itoa(i) + ".gz")
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil // shifted meanwhile: try again
		} else if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
		sizes = append(sizes, len(b))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil
	}
	return append(all, b...), sizes
}

// The rotate methods as a Python client sees them: outside listMethods,
// answered like clearProcessLogs and its kin; rotateLog rotates the main
// log, whose lines are JSON with logformat=json, in the file and on the
// daemon's output alike.
func TestRotateFromPython(t *testing.T) {
	t.Parallel()
	if _, py := testkit.HaveClients(); !py {
		t.Skip("no python3")
	}
	d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+"logformat=json\n"+testkit.RPCConfig("{dir}")+`
[program:chatty]
command=/bin/sh -c 'echo one; exec sleep 1000'
startsecs=0
stdout_logfile={dir}/chatty.out
stderr_logfile=NONE

[group:grp]
programs=ga

[program:ga]
command=/bin/sh -c 'echo ga; exec sleep 1000'
startsecs=0
stdout_logfile={dir}/ga.out
stderr_logfile=NONE
`)
	if got, ok := d.WaitStates(map[string]string{"chatty": "RUNNING", "ga": "RUNNING"}, 20*time.Second); !ok {
		t.Fatalf("states %v", got)
	}
	for _, name := range []string{"chatty.out", "ga.out"} {
		testkit.Eventually(t, 10*time.Second, func() bool {
			b, _ := os.ReadFile(filepath.Join(d.Dir, name))
			return len(b) > 0
		}, name+" written")
	}
	got := testkit.PyRPC(t, d, `
print('listed:', [m for m in s.system.listMethods() if 'otate' in m])
call('system.methodSignature', 'supervisor.rotateProcessLogs')
call('supervisor.rotateProcessLogs', 'chatty')
call('supervisor.rotateProcessLogs', 'nosuch')
call('supervisor.rotateProcessLogs', 'grp:*')
call('supervisor.rotateProcessGroupLogs', 'nosuch')
call('supervisor.rotateAllProcessLogs')
call('supervisor.rotateLog')
`)
	want := `listed: []
> system.methodSignature('supervisor.rotateProcessLogs')
["boolean", "string"]
> supervisor.rotateProcessLogs('chatty')
true
> supervisor.rotateProcessLogs('nosuch')
FAULT 10 BAD_NAME: nosuch
> supervisor.rotateProcessLogs('grp:*')
[
  {"description": "OK", "group": "grp", "name": "ga", "status": 80}
]
> supervisor.rotateProcessGroupLogs('nosuch')
FAULT 10 BAD_NAME: nosuch
> supervisor.rotateAllProcessLogs()
[
  {"description": "OK", "group": "chatty", "name": "chatty", "status": 80}
  {"description": "OK", "group": "grp", "name": "ga", "status": 80}
]
> supervisor.rotateLog()
true
`
	testkit.ReportDiff(t, "rotate-python", "the Python client's transcript", "want", want, "got", got)
	for name, text := range map[string]string{"chatty.out.1": "one\n", "ga.out.1": "ga\n"} {
		if b, _ := os.ReadFile(filepath.Join(d.Dir, name)); string(b) != text {
			t.Errorf("%s = %q, want %q", name, b, text)
		}
	}
	rotated, err := os.ReadFile(d.MainLog + ".1")
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"supervisord.log.1": string(rotated), "the daemon's output": d.Output()} {
		lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		if len(lines) < 3 {
			t.Errorf("%s: %d lines", what, len(lines))
		}
		for _, line := range lines {
			var rec struct{ Time, Level, Msg string }
			if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Time == "" || rec.Level == "" || rec.Msg == "" {
				t.Errorf("%s: not a JSON record with time, level and msg: %q (%v)", what, line, err)
			}
		}
	}
	if !strings.Contains(string(rotated), `"msg":"supervisord started with pid `) {
		t.Errorf("supervisord.log.1 does not hold the start:\n%s", rotated)
	}
}
