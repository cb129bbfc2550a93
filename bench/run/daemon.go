package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"supervisord/internal/rpcclient"
)

// Which daemon a run measures.
type side int

const (
	ours side = iota
	reference
)

func (s side) String() string {
	if s == ours {
		return "ours"
	}
	return "reference"
}

// daemon is one supervisord (ours or the reference) running in the
// foreground on a config in its own temporary directory. Every process it
// starts inherits BENCH_RUN_MARK, which is how kill finds them all, even
// after the daemon itself is gone.
type daemon struct {
	side    side
	dir     string
	conf    string
	sock    string
	mainLog string
	mark    string
	keep    bool

	cmd     *exec.Cmd
	started time.Time // just before exec
	exited  chan struct{}
	status  *os.ProcessState

	rpc *rpcclient.Client
	web *http.Client // the web interface, on the same socket
	ctl string       // the supervisorctl that goes with the daemon

	// Incremental main-log reading for waitLog.
	logOff   int64
	logTail  []byte
	logCount map[string]int

	pprofAddr string
	profiles  sync.WaitGroup
}

var (
	markSeq atomic.Int64
	liveMu  sync.Mutex
	live    = map[*daemon]bool{}
)

// header is the [supervisord] part every scenario's config starts with,
// and the [supervisorctl] part that points its control at it.
// The config lives in conf/ so that our config watcher sees no log writes.
func header(dir string, minfds int) string {
	return fmt.Sprintf(`[supervisord]
nodaemon=true
logfile=%[1]s/supervisord.log
logfile_maxbytes=0
pidfile=%[1]s/supervisord.pid
childlogdir=%[1]s/childlogs
minfds=%[2]d
loglevel=info

[unix_http_server]
file=%[1]s/supervisor.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%[1]s/supervisor.sock

`, dir, minfds)
}

// launch writes header+body (with {dir} and {self} replaced) to a fresh
// temporary directory and starts bin on it.
func (b *bench) launch(s side, minfds int, body string) (*daemon, error) {
	dir, err := os.MkdirTemp("", "bench-")
	if err != nil {
		return nil, err
	}
	for _, sub := range []string{"conf", "childlogs"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	minfds = max(minfds, 1024)
	if lim := fdLimit(); uint64(minfds) > lim {
		return nil, fmt.Errorf("scenario needs %d file descriptors, the limit is %d", minfds, lim)
	}
	text := header(dir, minfds) + body
	text = strings.NewReplacer("{dir}", dir, "{self}", b.opts.self).Replace(text)
	d := &daemon{
		side:     s,
		dir:      dir,
		conf:     filepath.Join(dir, "conf", "supervisord.conf"),
		sock:     filepath.Join(dir, "supervisor.sock"),
		mainLog:  filepath.Join(dir, "supervisord.log"),
		mark:     fmt.Sprintf("%d-%d", os.Getpid(), markSeq.Add(1)),
		keep:     b.opts.keep,
		exited:   make(chan struct{}),
		logCount: map[string]int{},
	}
	if err := os.WriteFile(d.conf, []byte(text), 0o644); err != nil {
		return nil, err
	}
	bin := b.opts.ours
	d.ctl = b.opts.oursCtl
	if s == reference {
		bin, d.ctl = b.opts.ref, b.opts.refCtl
	}
	out, err := os.Create(filepath.Join(dir, "daemon.out"))
	if err != nil {
		return nil, err
	}
	defer out.Close()
	d.cmd = exec.Command(bin, "-n", "-c", d.conf)
	d.cmd.Dir = dir
	d.cmd.Stdout, d.cmd.Stderr = out, out
	d.cmd.Env = append(os.Environ(), "BENCH_RUN_MARK="+d.mark)
	if s == ours && b.opts.pprofDir != "" {
		d.pprofAddr = fmt.Sprintf("127.0.0.1:%d", 16000+markSeq.Load()%1000)
		d.cmd.Env = append(d.cmd.Env, "SUPERVISORD_PPROF="+d.pprofAddr)
	}
	srv := rpcclient.Server{Network: "unix", Address: d.sock, Host: "localhost"}
	d.rpc = rpcclient.New(srv, rpcclient.Options{IdleConns: 16}) // as many as the most concurrent scenario's clients, and more
	d.web = &http.Client{Transport: &http.Transport{DialContext: srv.Dial, DisableCompression: true}}
	liveMu.Lock()
	live[d] = true
	liveMu.Unlock()
	d.started = time.Now()
	if err := d.cmd.Start(); err != nil {
		d.kill()
		return nil, err
	}
	go func() {
		d.cmd.Wait()
		d.status = d.cmd.ProcessState
		close(d.exited)
	}()
	return d, nil
}

func (d *daemon) pid() int { return d.cmd.Process.Pid }

// waitReady waits until the daemon answers getState.
func (d *daemon) waitReady(within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-d.exited:
			return fmt.Errorf("%s daemon exited: %s\n%s", d.side, d.status, d.output())
		default:
		}
		if _, err := os.Stat(d.sock); err == nil {
			if _, err := d.call("supervisor.getState"); err == nil {
				return nil
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("%s daemon not answering within %v: %w\n%s", d.side, within, errTimeout, d.output())
}

// output is what the daemon wrote to stdout and stderr.
func (d *daemon) output() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "daemon.out"))
	return string(b)
}

// callRaw is a call whose answer is only checked for a fault, so a timing
// measures the server and not the parsing of a large answer here.
func (d *daemon) callRaw(ctx context.Context, method string, params ...any) error {
	body, err := d.rpc.Post(ctx, method, params...)
	if err != nil {
		return err
	}
	if bytes.Contains(body, []byte("<fault>")) {
		return fmt.Errorf("%s: fault: %.200s", method, body)
	}
	return nil
}

// call makes one XML-RPC call and parses its answer.
func (d *daemon) call(method string, params ...any) (any, error) {
	return d.rpc.Call(context.Background(), method, params...)
}

// waitListed waits until getAllProcessInfo lists n processes and returns
// the moment that call was sent, with the daemon's memory sampled just
// before it (building a long answer costs the reference memory of its own).
func (d *daemon) waitListed(n int, within time.Duration) (time.Time, memInfo, error) {
	deadline := time.Now().Add(within)
	if err := d.waitReady(within); err != nil {
		return time.Time{}, memInfo{}, err
	}
	for {
		mem, at := d.mem(), time.Now()
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		v, err := d.rpc.Call(ctx, "supervisor.getAllProcessInfo")
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return at, mem, fmt.Errorf("%s: getAllProcessInfo unanswered after %v: %w", d.side, within, errTimeout)
		}
		if err != nil {
			return at, mem, err
		}
		list, _ := v.([]any)
		if len(list) >= n {
			return at, mem, nil
		}
		if time.Now().After(deadline) {
			return at, mem, fmt.Errorf("%s: getAllProcessInfo lists %d processes after %v, want %d: %w", d.side, len(list), within, n, errTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// page fetches path from the daemon's web interface and reads it whole.
func (d *daemon) page(ctx context.Context, path string) ([]byte, error) {
	body, _, err := d.get(ctx, path, nil)
	return body, err
}

// scrape gets /metrics as Prometheus does (the text format, gzipped) and
// returns the body as it came, compressed.
func (d *daemon) scrape(ctx context.Context) ([]byte, error) {
	body, h, err := d.get(ctx, "/metrics", http.Header{
		"Accept":          {"text/plain;version=0.0.4;q=0.5,*/*;q=0.1"},
		"Accept-Encoding": {"gzip"},
	})
	if err == nil && h.Get("Content-Encoding") != "gzip" {
		err = fmt.Errorf("GET /metrics: Content-Encoding %q, not gzip", h.Get("Content-Encoding"))
	}
	return body, err
}

// get GETs path with header from the daemon's web interface, and reads
// the answer, which must be 200 OK, whole.
func (d *daemon) get(ctx context.Context, path string, header http.Header) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://localhost"+path, nil)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := d.web.Do(req)
	if err != nil {
		return nil, nil, timedOut(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, timedOut(ctx, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return body, resp.Header, nil
}

// runCtl runs the daemon's supervisorctl with args against it and returns
// what it printed. Exit status 3 (status: some process is not running) is
// an answer, not a failure.
func (d *daemon) runCtl(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, d.ctl, append([]string{"-c", d.conf}, args...)...)
	out, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 {
		return out, nil
	}
	if err != nil {
		if exit != nil {
			err = fmt.Errorf("%w: %.300s", err, exit.Stderr)
		}
		return nil, fmt.Errorf("%s %s: %w", d.ctl, strings.Join(args, " "), timedOut(ctx, err))
	}
	return out, nil
}

// timedOut is err, or errTimeout when ctx's deadline is why it failed.
func timedOut(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", errTimeout, err)
	}
	return err
}

// states counts the processes of getAllProcessInfo by state name.
func (d *daemon) states() (map[string]int, error) {
	v, err := d.call("supervisor.getAllProcessInfo")
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("getAllProcessInfo: %T", v)
	}
	n := map[string]int{}
	for _, e := range list {
		m, _ := e.(map[string]any)
		name, _ := m["statename"].(string)
		n[name]++
	}
	return n, nil
}

// countLog is how many lines of the main log so far contain substr. It
// reads only what was appended since the last call.
func (d *daemon) countLog(substr string) int {
	if _, ok := d.logCount[substr]; !ok {
		all, _ := os.ReadFile(d.mainLog)
		upto := min(len(all), int(d.logOff)-len(d.logTail))
		d.logCount[substr] = bytes.Count(all[:upto], []byte(substr))
	}
	f, err := os.Open(d.mainLog)
	if err != nil {
		return d.logCount[substr]
	}
	defer f.Close()
	if _, err := f.Seek(d.logOff, io.SeekStart); err != nil {
		return d.logCount[substr]
	}
	buf, _ := io.ReadAll(f)
	d.logOff += int64(len(buf))
	data := append(d.logTail, buf...)
	last := bytes.LastIndexByte(data, '\n')
	complete := data[:last+1]
	d.logTail = append([]byte(nil), data[last+1:]...)
	for k := range d.logCount {
		d.logCount[k] += bytes.Count(complete, []byte(k))
	}
	return d.logCount[substr]
}

// waitLog polls the main log until n lines contain substr and returns when
// it saw them.
func (d *daemon) waitLog(substr string, n int, within time.Duration) (time.Time, error) {
	deadline := time.Now().Add(within)
	for {
		if d.countLog(substr) >= n {
			return time.Now(), nil
		}
		select {
		case <-d.exited:
			return time.Time{}, fmt.Errorf("%s daemon exited: %s\n%s", d.side, d.status, d.output())
		default:
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%s: %d of %d %q lines after %v: %w", d.side, d.countLog(substr), n, substr, within, errTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitRunning waits until the main log says n processes entered RUNNING
// and getAllProcessInfo, asked right then, agrees. It returns the moment
// that call was sent, with the daemon's CPU and memory sampled just before
// it (the call itself costs the reference half a second of CPU with 1000
// processes, which is not spawning).
func (d *daemon) waitRunning(n int, within time.Duration) (at time.Time, cpu time.Duration, mem memInfo, err error) {
	deadline := time.Now().Add(within)
	for {
		if _, err = d.waitLog("entered RUNNING", n, time.Until(deadline)); err != nil {
			return
		}
		cpu, mem = d.cpu(), d.mem()
		at = time.Now()
		var st map[string]int
		if st, err = d.states(); err != nil {
			return
		}
		if st["RUNNING"] >= n {
			return at, cpu, mem, nil
		}
		if time.Now().After(deadline) {
			return at, cpu, mem, fmt.Errorf("%s: getAllProcessInfo %v, want %d RUNNING: %w", d.side, st, n, errTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cpu is the daemon's CPU time so far: the sum of its threads' run time
// from /proc/PID/task/*/schedstat (nanoseconds, unlike the clock ticks of
// /proc/PID/stat).
func (d *daemon) cpu() time.Duration { return procCPU(d.pid()) }

func procCPU(pid int) time.Duration {
	var total time.Duration
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) > 0 {
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			total += time.Duration(ns)
		}
	}
	return total
}

// ctxSwitches is the sum of the daemon's threads' voluntary and
// involuntary context switches.
func (d *daemon) ctxSwitches() int64 {
	var total int64
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", d.pid()))
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", d.pid(), t.Name()))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasSuffix(strings.SplitN(line, ":", 2)[0], "ctxt_switches") {
				n, _ := strconv.ParseInt(strings.TrimSpace(strings.SplitN(line, ":", 2)[1]), 10, 64)
				total += n
			}
		}
	}
	return total
}

// memInfo is the daemon's memory from /proc/PID/status, in bytes.
type memInfo struct {
	RSS, Peak, Anon int64
}

func (d *daemon) mem() memInfo {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.pid()))
	if err != nil {
		return memInfo{}
	}
	var m memInfo
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		kb, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			m.RSS = kb << 10
		case "VmHWM":
			m.Peak = kb << 10
		case "RssAnon":
			m.Anon = kb << 10
		}
	}
	return m
}

// term sends SIGTERM and waits for the daemon to exit.
func (d *daemon) term(within time.Duration) (time.Duration, error) {
	start := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, err
	}
	select {
	case <-d.exited:
		return time.Since(start), nil
	case <-time.After(within):
		return 0, fmt.Errorf("%s: still running %v after SIGTERM: %w", d.side, within, errTimeout)
	}
}

// kill ends the daemon and every process it started, reaps them, and
// removes the directory.
func (d *daemon) kill() {
	d.profiles.Wait()
	if d.cmd != nil && d.cmd.Process != nil {
		d.cmd.Process.Signal(syscall.SIGKILL)
		select {
		case <-d.exited:
		case <-time.After(10 * time.Second):
		}
	}
	killMarked(d.mark)
	liveMu.Lock()
	delete(live, d)
	liveMu.Unlock()
	if !d.keep {
		os.RemoveAll(d.dir)
	}
}

// killMarked SIGKILLs every process whose environment holds
// BENCH_RUN_MARK=mark, and reaps those that were orphaned to us, until none
// is left.
func killMarked(mark string) {
	want := []byte("BENCH_RUN_MARK=" + mark + "\x00")
	for try := 0; try < 100; try++ {
		found := 0
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == os.Getpid() {
				continue
			}
			env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
			if err != nil || !bytes.Contains(env, want) {
				continue
			}
			if stat, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil {
				if i := bytes.LastIndexByte(stat, ')'); i > 0 && len(stat) > i+2 && stat[i+2] == 'Z' {
					continue // a zombie: its parent reaps it (the reaping below, if that is us)
				}
			}
			syscall.Kill(pid, syscall.SIGKILL)
			found++
		}
		reapOrphans()
		if found == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reapOrphans collects exited children the harness inherited as subreaper.
// Only processes started with exec.Cmd are waited for elsewhere, and those
// are all done (or the daemon's goroutine owns them) when this runs: it
// leaves our own running daemons alone by waiting only for pids that are
// not theirs.
func reapOrphans() {
	liveMu.Lock()
	defer liveMu.Unlock()
	mine := map[int]bool{}
	for d := range live {
		if d.cmd != nil && d.cmd.Process != nil {
			mine[d.cmd.Process.Pid] = true
		}
	}
	entries, _ := os.ReadDir("/proc")
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || mine[pid] {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 || len(stat) < i+4 {
			continue
		}
		f := strings.Fields(string(stat[i+2:]))
		if len(f) < 2 || f[0] != "Z" {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid != self {
			continue
		}
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	}
}

// cleanupAll kills every daemon still running (on interrupt).
func cleanupAll() {
	liveMu.Lock()
	var ds []*daemon
	for d := range live {
		ds = append(ds, d)
	}
	liveMu.Unlock()
	for _, d := range ds {
		d.kill()
	}
}

// profile takes a CPU profile of ours for the harness's -pprof-for, and a
// heap profile after it, into dir as name.cpu.pprof and name.heap.pprof.
// kill waits for it.
func (d *daemon) profile(dir, name string, secs time.Duration) {
	if d.pprofAddr == "" {
		return
	}
	d.profiles.Add(1)
	go func() {
		defer d.profiles.Done()
		get := func(path, file string) {
			var resp *http.Response
			var err error
			for try := 0; try < 200; try++ { // the daemon may just be starting
				if resp, err = http.Get("http://" + d.pprofAddr + path); err == nil {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			if err != nil {
				return
			}
			defer resp.Body.Close()
			f, err := os.Create(filepath.Join(dir, file))
			if err != nil {
				return
			}
			defer f.Close()
			io.Copy(f, resp.Body)
		}
		get(fmt.Sprintf("/debug/pprof/profile?hz=1000&seconds=%d", max(1, int(secs.Seconds()))), name+".cpu.pprof")
		get("/debug/pprof/heap", name+".heap.pprof")
	}()
}
