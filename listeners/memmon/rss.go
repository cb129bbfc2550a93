package memmon

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// RSS reads the resident set size of pid, in bytes, from the VmRSS line of
// <procfs>/<pid>/status. With cumulative, the RSS of all its descendants
// is added (found through the parent pids in <procfs>/*/stat; processes
// that vanish meanwhile are left out).
func RSS(procfs string, pid int, cumulative bool) (int64, error) {
	total, err := vmRSS(procfs, pid)
	if err != nil || !cumulative {
		return total, err
	}
	children, err := childrenMap(procfs)
	if err != nil {
		return 0, err
	}
	seen := map[int]bool{pid: true}
	queue := children[pid]
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		if n, err := vmRSS(procfs, p); err == nil {
			total += n
		}
		queue = append(queue, children[p]...)
	}
	return total, nil
}

var errNoRSS = errors.New("no VmRSS")

func vmRSS(procfs string, pid int) (int64, error) {
	f, err := os.Open(filepath.Join(procfs, strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("pid %d: odd VmRSS line %q", pid, sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("pid %d: odd VmRSS line %q", pid, sc.Text())
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("pid %d: %w", pid, errNoRSS) // a zombie or a kernel thread
}

// childrenMap maps each pid to its children's pids.
func childrenMap(procfs string) (map[int][]int, error) {
	entries, err := os.ReadDir(procfs)
	if err != nil {
		return nil, err
	}
	m := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(procfs, e.Name(), "stat"))
		if err != nil {
			continue
		}
		if ppid, ok := parentPID(b); ok {
			m[ppid] = append(m[ppid], pid)
		}
	}
	return m, nil
}

// parentPID reads the ppid field of a /proc/<pid>/stat line: the comm in
// parentheses may hold anything, so fields are counted from the last ')'.
func parentPID(stat []byte) (int, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(fields[1])
	return ppid, err == nil
}
