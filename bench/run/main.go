// Command run is `make bench`: it measures our supervisord side by side with
// the reference Supervisor 4.2.5 (/usr/bin/supervisord, when the Debian
// package is installed) on the same machine in the same run, and prints one
// table: scenario, metric, ours, reference, ratio.
//
// Every scenario runs on a fresh config in its own temporary directory,
// over the loopback unix socket only, and kills everything it started when
// it ends. The two daemons take turns (ours, reference, reference, ours, …)
// for several repetitions and the table shows medians. The results are
// also written as JSON and into docs/benchmarks.md, between its generated
// markers, with the machine they ran on.
//
//	go run ./bench/run                        # everything, BENCH_REPS=3
//	BENCH_ONLY=spawn1000,rpc BENCH_REPS=1 go run ./bench/run
//	go run ./bench/run -pprof /tmp/prof       # CPU and heap profiles of ours
//
// The same binary is the programs the scenarios run: "writer" (a child
// writing a known stream to stdout), "chatty" (a child writing
// PROCESS_COMMUNICATION blocks) and "sink" (an event listener that counts).
// Nothing here asserts wall-clock times; the test suite does not run it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 {
		if helper, ok := helpers[os.Args[1]]; ok {
			os.Exit(helper(os.Args[2:]))
		}
	}
	os.Exit(newCLI(os.Stdout, os.Stderr).run(os.Args[1:]))
}

// cli is one run of the harness.
type cli struct {
	out, err io.Writer
}

func newCLI(out, err io.Writer) *cli { return &cli{out: out, err: err} }

// options are the harness's settings; each flag has an environment
// variable so `make bench` can pass them through.
type options struct {
	ours, ref  string        // daemon binaries; ref "" skips the reference
	oursCtl    string        // the supervisorctl beside -ours (its pprof build's too)
	refCtl     string        // and the one beside -ref
	reps       int           // repetitions of each scenario per daemon
	repsSet    bool          // reps was asked for (BENCH_REPS or -reps), so no scenario caps it
	only       []string      // scenario name prefixes to run; empty runs all
	jsonPath   string        // where the results go as JSON ("" for nowhere)
	mdPath     string        // the markdown file whose generated part is rewritten
	keep       bool          // keep the temporary directories
	pprofDir   string        // profile ours into this directory
	pprofSecs  time.Duration // length of each CPU profile
	self       string        // this binary, run as the scenario's programs
	verboseLog io.Writer
}

func (c *cli) run(args []string) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(c.err)
	var o options
	fs.StringVar(&o.ours, "ours", envOr("BENCH_OURS", "bin/supervisord"), "our daemon `binary` (BENCH_OURS)")
	fs.StringVar(&o.ref, "ref", envOr("BENCH_REF", "/usr/bin/supervisord"), "the reference daemon `binary` (BENCH_REF); skipped when missing or \"none\"")
	fs.IntVar(&o.reps, "reps", envInt("BENCH_REPS", 3), "repetitions per scenario and daemon (BENCH_REPS); spawn 5000 does 2 and scale10k 1 unless this is set")
	only := fs.String("only", os.Getenv("BENCH_ONLY"), "comma-separated scenario name prefixes (BENCH_ONLY), e.g. spawn1000,log")
	fs.StringVar(&o.jsonPath, "json", envOr("BENCH_JSON", defaultJSON), "write the results here as JSON (BENCH_JSON; \"\" for none)")
	fs.StringVar(&o.mdPath, "md", envOr("BENCH_MD", "docs/benchmarks.md"), "rewrite the generated part of this markdown file (BENCH_MD; \"\" for none)")
	fs.BoolVar(&o.keep, "keep", os.Getenv("BENCH_KEEP") != "", "keep each scenario's temporary directory (BENCH_KEEP)")
	fs.StringVar(&o.pprofDir, "pprof", os.Getenv("BENCH_PPROF"), "build ours with -tags pprof and save CPU and heap profiles of each of its runs in `dir` (BENCH_PPROF)")
	fs.DurationVar(&o.pprofSecs, "pprof-for", 5*time.Second, "length of each CPU profile")
	list := fs.Bool("list", false, "list the scenarios and exit")
	render := fs.Bool("render", false, "run nothing: judge the targets again on the -json results and rewrite -md from them")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fs.Visit(func(f *flag.Flag) { o.repsSet = o.repsSet || f.Name == "reps" })
	o.repsSet = o.repsSet || os.Getenv("BENCH_REPS") != ""
	if *list {
		for _, s := range scenarios {
			fmt.Fprintf(c.out, "%-16s %s\n", s.name, s.title)
		}
		return 0
	}
	if *render {
		rep, err := readReport(o.jsonPath)
		if err == nil {
			rep.derive()
			rep.evaluate()
			if err = rep.writeJSON(o.jsonPath); err == nil {
				err = rep.writeMarkdown(o.mdPath)
			}
		}
		if err != nil {
			fmt.Fprintln(c.err, "bench:", err)
			return 1
		}
		rep.printTable(c.out)
		return 0
	}
	if *only != "" {
		o.only = strings.Split(*only, ",")
	}
	if o.reps < 1 {
		o.reps = 1
	}
	var err error
	if o.self, err = os.Executable(); err != nil {
		fmt.Fprintln(c.err, "bench:", err)
		return 1
	}
	if o.ours, err = filepath.Abs(o.ours); err != nil {
		fmt.Fprintln(c.err, "bench:", err)
		return 1
	}
	if _, err := os.Stat(o.ours); err != nil {
		fmt.Fprintf(c.err, "bench: %v (run make build first)\n", err)
		return 1
	}
	if o.ref == "none" {
		o.ref = ""
	}
	if o.ref != "" {
		if o.ref, err = filepath.Abs(o.ref); err != nil {
			fmt.Fprintln(c.err, "bench:", err)
			return 1
		}
	}
	if o.ref != "" {
		if _, err := os.Stat(o.ref); err != nil {
			fmt.Fprintf(c.err, "bench: no reference daemon at %s: measuring ours only\n", o.ref)
			o.ref = ""
		}
	}
	o.oursCtl = filepath.Join(filepath.Dir(o.ours), "supervisorctl")
	if o.ref != "" {
		o.refCtl = filepath.Join(filepath.Dir(o.ref), "supervisorctl")
	}
	if o.pprofDir != "" {
		if o.ours, err = buildProfiled(o.pprofDir); err != nil {
			fmt.Fprintln(c.err, "bench:", err)
			return 1
		}
	}
	if err := prepareProcess(); err != nil {
		fmt.Fprintln(c.err, "bench:", err)
		return 1
	}
	o.verboseLog = c.err

	b := &bench{opts: o, out: c.out, log: c.err}
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-interrupted
		fmt.Fprintln(c.err, "bench: interrupted, killing what was started")
		cleanupAll()
		os.Exit(130)
	}()

	rep := b.runAll()
	fmt.Fprintln(c.out)
	rep.printTable(c.out)
	// A partial run leaves the published results alone, unless told
	// where to write.
	if o.jsonPath != "" && (len(o.only) == 0 || o.jsonPath != defaultJSON) {
		if err := rep.writeJSON(o.jsonPath); err != nil {
			fmt.Fprintln(c.err, "bench:", err)
			return 1
		}
		fmt.Fprintln(c.out, "wrote", o.jsonPath)
	}
	if o.mdPath != "" && len(o.only) == 0 {
		if err := rep.writeMarkdown(o.mdPath); err != nil {
			fmt.Fprintln(c.err, "bench:", err)
			return 1
		}
		fmt.Fprintln(c.out, "wrote", o.mdPath)
	} else if o.mdPath != "" {
		fmt.Fprintln(c.out, "(a partial run: BENCH_ONLY leaves", o.mdPath, "and", defaultJSON, "alone)")
	}
	if len(rep.Failures) > 0 {
		return 1
	}
	return 0
}

// prepareProcess lets the harness start thousands of children: it raises
// its open-file limit to the hard limit (children inherit it) and becomes a
// child subreaper, so programs orphaned by a killed daemon are its to reap.
func prepareProcess() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raise RLIMIT_NOFILE: %w", err)
	}
	const prSetChildSubreaper = 36
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		return fmt.Errorf("become a subreaper: %w", errno)
	}
	return nil
}

// fdLimit is the open-file limit the daemons inherit.
func fdLimit() uint64 {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil {
		return 1024
	}
	return lim.Cur
}

// buildProfiled builds our daemon with the pprof endpoint compiled in.
func buildProfiled(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin, err := filepath.Abs(filepath.Join(dir, "supervisord"))
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "build", "-tags", "pprof", "-o", bin, "./cmd/supervisord")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build the profiled daemon: %w", err)
	}
	return bin, nil
}

// defaultJSON is where a full run publishes its results.
const defaultJSON = "docs/benchmarks.json"

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func envInt(key string, def int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def
	}
	return n
}

var errTimeout = errors.New("bench: timed out")
