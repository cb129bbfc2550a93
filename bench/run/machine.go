package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// machine is what the numbers were measured on.
type machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	RAM        string `json:"ram"`
	Kernel     string `json:"kernel"`
	Go         string `json:"go"`
	Python     string `json:"python,omitempty"`
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
	FDLimit    uint64 `json:"fd_limit"`
}

func describeMachine(o options) machine {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version(), LoadBefore: loadAvg(), FDLimit: fdLimit()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				f := strings.Fields(rest)
				if len(f) > 0 {
					kb, _ := strconv.ParseFloat(f[0], 64)
					m.RAM = fmt.Sprintf("%.1f GiB", kb/(1<<20))
				}
			}
		}
	}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		m.Kernel = utsString(u.Release[:])
	}
	if o.ref != "" {
		if out, err := exec.Command("/usr/bin/python3", "--version").Output(); err == nil {
			m.Python = strings.TrimSpace(string(out))
		}
	}
	return m
}

func utsString(b []int8) string {
	var s []byte
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// describeOurs names our binary and the commit it was built from.
func describeOurs(bin string) string {
	desc := bin
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, bin); err == nil && !strings.HasPrefix(rel, "..") {
			desc = rel
		}
	}
	if out, err := exec.Command("git", "describe", "--always", "--dirty").Output(); err == nil {
		desc += " at " + strings.TrimSpace(string(out))
	}
	return desc
}

// describeRef names the reference and its version.
func describeRef(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return bin
	}
	desc := "Supervisor " + string(bytes.TrimSpace(out)) + " (" + bin
	if py, err := exec.Command("/usr/bin/python3", "--version").Output(); err == nil {
		desc += ", " + strings.TrimSpace(string(py))
	}
	return desc + ")"
}
