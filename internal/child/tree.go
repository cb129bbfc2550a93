package child

import (
	"os"
	"strconv"
	"strings"
)

// treeMechanism is the main log's line, once, the first time a group stop
// reaches processes that left a program's process group: it says how they
// were found. Cgroups would give exact membership, orphans included, but
// are read-only in most containers; a walk needs nothing.
const treeMechanism = "process trees: descendants that left a program's process group " +
	"are found by walking /proc from the program's pid when it is signalled " +
	"(cgroups are not used; a descendant already re-parented away is out of reach)"

// leftGroup lists what to signal, besides process group pid, to reach every
// descendant of pid: the process group of each descendant that left the
// group and leads one of its own or whose leader is a descendant too, the
// pid of any other. A process forked during the walk may be missed.
func leftGroup(pid int) []int {
	var targets []int
	tree := descendants(pid)
	inTree := make(map[int]bool, len(tree)+1)
	inTree[pid] = true
	for _, d := range tree {
		inTree[d] = true
	}
	groups := map[int]bool{pid: true}
	for _, d := range tree {
		pgid, ok := processGroup(d)
		switch {
		case !ok || groups[pgid]:
		case inTree[pgid]:
			groups[pgid] = true
			targets = append(targets, -pgid)
		default:
			targets = append(targets, d)
		}
	}
	return targets
}

// descendants lists the processes below pid, parents before children.
func descendants(pid int) []int {
	children := taskChildren
	if _, err := os.Stat("/proc/self/task/" + strconv.Itoa(os.Getpid()) + "/children"); err != nil {
		children = scanChildren() // a kernel without CONFIG_PROC_CHILDREN
	}
	var out []int
	seen := map[int]bool{pid: true}
	for queue := []int{pid}; len(queue) > 0; queue = queue[1:] {
		for _, c := range children(queue[0]) {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
				queue = append(queue, c)
			}
		}
	}
	return out
}

// taskChildren lists pid's children from each of its threads' children file.
func taskChildren(pid int) []int {
	dir := "/proc/" + strconv.Itoa(pid) + "/task/"
	tids, err := os.ReadDir(dir)
	if err != nil {
		return nil // it has exited
	}
	var out []int
	for _, tid := range tids {
		b, err := os.ReadFile(dir + tid.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// scanChildren reads every process's parent once and answers from that.
func scanChildren() func(int) []int {
	byParent := make(map[int][]int)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f, ok := statFields(pid); ok && len(f) > 1 {
			if ppid, err := strconv.Atoi(f[1]); err == nil {
				byParent[ppid] = append(byParent[ppid], pid)
			}
		}
	}
	return func(pid int) []int { return byParent[pid] }
}

// processGroup is pid's process group, from /proc.
func processGroup(pid int) (int, bool) {
	f, ok := statFields(pid)
	if !ok || len(f) < 3 {
		return 0, false
	}
	pgid, err := strconv.Atoi(f[2])
	return pgid, err == nil
}

// statFields are the fields of /proc/pid/stat after the command name:
// state, ppid, pgrp and on.
func statFields(pid int) ([]string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, false
	}
	return strings.Fields(s[i+1:]), true
}
