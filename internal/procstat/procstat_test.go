package procstat

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// A real line (cat reading its own stat) with the fields metrics use
// marked in the table below.
const catStat = "6758 (cat) R 6687 6687 31007 0 -1 4194304 100 0 1 0 7 3 0 0 20 0 1 0 4280789 3133440 388 " +
	"18446744073709551615 94885306380288 94885306400169 140735506278432 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       Stat
		err        bool
	}{
		{name: "cat", line: catStat, want: Stat{PID: 6758, Comm: "cat", State: 'R', PPID: 6687, PGRP: 6687,
			UTime: 7, STime: 3, NumThreads: 1, StartTime: 4280789, VSize: 3133440, RSS: 388}},
		{name: "name with spaces and parentheses",
			line: "12 (a) b (c)) S 1 12 0 0 -1 0 0 0 0 0 250 50 0 0 20 0 4 0 99 1000 2 0\n",
			want: Stat{PID: 12, Comm: "a) b (c)", State: 'S', PPID: 1, PGRP: 12, UTime: 250, STime: 50,
				NumThreads: 4, StartTime: 99, VSize: 1000, RSS: 2}},
		{name: "empty name", line: "3 () Z 1 1 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0",
			want: Stat{PID: 3, State: 'Z', PPID: 1, PGRP: 1, NumThreads: 1, StartTime: 5}},
		{name: "too short", line: "3 (x) S 1 1 0 0 -1 0 0 0 0 0 0 0", err: true},
		{name: "no name", line: "3 x S 1 1 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0", err: true},
		{name: "bad pid", line: "x3 (x) S 1 1 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0", err: true},
		{name: "bad number", line: "3 (x) S 1 1 0 0 -1 0 0 0 0 0 x 0 0 0 20 0 1 0 5 0 0", err: true},
		{name: "negative utime", line: "3 (x) S 1 1 0 0 -1 0 0 0 0 0 -1 0 0 0 20 0 1 0 5 0 0", err: true},
		{name: "long state", line: "3 (x) SS 1 1 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0", err: true},
		{name: "empty", line: "", err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseStat([]byte(tc.line))
			if tc.err {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v\nwant %+v", got, err, tc.want)
			}
		})
	}
}

func TestCPU(t *testing.T) {
	for _, tc := range []struct {
		u, s uint64
		want time.Duration
	}{{0, 0, 0}, {1, 0, 10 * time.Millisecond}, {150, 50, 2 * time.Second}, {101, 0, 1010 * time.Millisecond}} {
		if got := (Stat{UTime: tc.u, STime: tc.s}).CPU(); got != tc.want {
			t.Errorf("utime %d stime %d: %v, want %v", tc.u, tc.s, got, tc.want)
		}
	}
}

// dirent is one linux_dirent64 record, padded to 8 bytes as the kernel
// pads them.
func dirent(name string) []byte {
	n := (19 + len(name) + 1 + 7) &^ 7
	b := make([]byte, n)
	binary.LittleEndian.PutUint16(b[16:], uint16(n))
	copy(b[19:], name)
	return b
}

func TestCountDirents(t *testing.T) {
	join := func(names ...string) []byte {
		var b []byte
		for _, n := range names {
			b = append(b, dirent(n)...)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		buf  []byte
		want int
	}{
		{"empty", nil, 0},
		{"dots only", join(".", ".."), 0},
		{"fds", join(".", "..", "0", "1", "2", "255"), 4},
		{"dot-prefixed names count", join("...", ".x"), 2},
		{"record cut short", join("0", "1")[:30], 1},
		{"zero reclen", make([]byte, 40), 0},
	} {
		if got := CountDirents(tc.buf); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte(catStat))
	f.Add([]byte("12 (a) b (c)) S 1 12 0 0 -1 0 0 0 0 0 250 50 0 0 20 0 4 0 99 1000 2 0\n"))
	f.Add([]byte("3 () Z 1 1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseStat(b)
		if err != nil {
			return
		}
		// Whatever parses names a process and a name found in the line.
		if !strings.Contains(string(b), "("+s.Comm+")") {
			t.Fatalf("name %q is not in %q", s.Comm, b)
		}
		if s.CPU() < 0 {
			t.Fatalf("negative CPU time from %q", b)
		}
	})
}

func FuzzCountDirents(f *testing.F) {
	f.Add(append(dirent("."), dirent("3")...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if n := CountDirents(b); n < 0 || n > len(b)/19 {
			t.Fatalf("%d entries in %d bytes", n, len(b))
		}
	})
}

// TestRead samples a real child holding a known number of descriptors.
func TestRead(t *testing.T) {
	// sleep gets 3, 4 and 5 besides 0, 1, 2, and nothing else.
	cmd := exec.Command("sleep", "30")
	for range 3 {
		f, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.ExtraFiles = append(cmd.ExtraFiles, f)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var r Reader
	var s Sample
	want := 0
	deadline := time.Now().Add(10 * time.Second)
	for {
		// What the listing shows (this process may have inherited
		// descriptors without close-on-exec, which sleep inherits too).
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", cmd.Process.Pid))
		want = len(fds)
		var err error
		if s, err = r.Read(cmd.Process.Pid); err == nil && s.FDs == want && want >= 6 && s.RSS > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sleep's sample: %+v, %v; want %d (at least 6) descriptors", s, err, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s.RSS <= 0 || s.RSS > 1<<30 || s.CPU < 0 || s.StartTime == 0 {
		t.Fatalf("implausible sample %+v", s)
	}
	// Listed, as on a kernel older than 6.2, the count is the same.
	if n, err := r.countEntries(fmt.Sprintf("/proc/%d/fd", cmd.Process.Pid)); n != want || err != nil {
		t.Errorf("listed %d descriptors (%v), want %d", n, err, want)
	}
	self, err := r.Read(os.Getpid())
	if err != nil || self.StartTime > s.StartTime || self.FDs < 3 {
		t.Fatalf("own sample %+v, %v (the child's %+v)", self, err, s)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := r.Read(cmd.Process.Pid); err == nil {
		t.Fatal("a reaped process read without error")
	}
}
