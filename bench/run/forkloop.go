package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// forkLoopMain is the physical limit of spawning: it forks and execs -n
// children of `sleep 86400`, one after another, each with three fresh pipes
// whose parent ends it keeps open as a daemon does, and prints the seconds
// that took. It then kills and reaps them. Its descriptor table grows as a
// daemon's does, so it slows down the same way as it goes.
func forkLoopMain(args []string) int {
	fs := flag.NewFlagSet("forkloop", flag.ExitOnError)
	n := fs.Int("n", 1000, "children to start")
	fs.Parse(args)
	argv := []string{"/bin/sleep", "86400"}
	pids := make([]int, 0, *n)
	defer func() {
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		for range pids {
			var ws syscall.WaitStatus
			syscall.Wait4(-1, &ws, 0, nil)
		}
	}()
	start := time.Now()
	for range *n {
		var in, out, errp [2]int
		for _, p := range []*[2]int{&in, &out, &errp} {
			if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
				fmt.Fprintln(os.Stderr, "forkloop:", err)
				return 1
			}
		}
		pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{
			Env:   os.Environ(),
			Files: []uintptr{uintptr(in[0]), uintptr(out[1]), uintptr(errp[1])},
			Sys:   &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL},
		})
		syscall.Close(in[0])
		syscall.Close(out[1])
		syscall.Close(errp[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "forkloop:", err)
			return 1
		}
		pids = append(pids, pid)
	}
	fmt.Println(time.Since(start).Seconds())
	return 0
}

// forkLoop runs forkLoopMain as a process of its own, with a descriptor
// table as fresh as a newly started daemon's.
func (b *bench) forkLoop(n int) (sample, error) {
	out, err := exec.Command(b.opts.self, "forkloop", "-n", strconv.Itoa(n)).Output()
	if err != nil {
		return nil, fmt.Errorf("forkloop: %w", err)
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		return nil, fmt.Errorf("forkloop: %w", err)
	}
	return sample{"bare": secs}, nil
}
