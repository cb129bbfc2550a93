package conf

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// Rlimit is one rlimit_x option of a program: a resource limit its process
// gets before exec, as setrlimit(2) takes it. The reference has none of
// them.
type Rlimit struct {
	Resource int    // RLIMIT_* number
	Soft     uint64 // RlimInfinity for infinity
	Hard     uint64 // RlimInfinity for infinity; never below Soft
}

// RlimInfinity is RLIM_INFINITY: no limit.
const RlimInfinity = ^uint64(0)

// rlimitOption is one rlimit_x option: the resource it sets, whether its
// values are bytes (and so may take KB, MB or GB), and its unit otherwise.
type rlimitOption struct {
	name     string
	resource int
	bytes    bool
}

// rlimitOptions lists setrlimit's resources in the kernel's order, named as
// the option reads: rlimit_ and the resource's name in lower case.
var rlimitOptions = []rlimitOption{
	{"rlimit_cpu", syscall.RLIMIT_CPU, false}, // seconds of CPU time
	{"rlimit_fsize", syscall.RLIMIT_FSIZE, true},
	{"rlimit_data", syscall.RLIMIT_DATA, true},
	{"rlimit_stack", syscall.RLIMIT_STACK, true},
	{"rlimit_core", syscall.RLIMIT_CORE, true},
	{"rlimit_rss", 5, true},    // RLIMIT_RSS
	{"rlimit_nproc", 6, false}, // RLIMIT_NPROC: processes of the user
	{"rlimit_nofile", syscall.RLIMIT_NOFILE, false},
	{"rlimit_memlock", 8, true}, // RLIMIT_MEMLOCK
	{"rlimit_as", syscall.RLIMIT_AS, true},
	{"rlimit_locks", 10, false},      // RLIMIT_LOCKS
	{"rlimit_sigpending", 11, false}, // RLIMIT_SIGPENDING
	{"rlimit_msgqueue", 12, true},    // RLIMIT_MSGQUEUE
	{"rlimit_nice", 13, false},       // RLIMIT_NICE: 20 - the lowest nice value allowed
	{"rlimit_rtprio", 14, false},     // RLIMIT_RTPRIO
	{"rlimit_rttime", 15, false},     // RLIMIT_RTTIME: microseconds
}

// RlimitName is the option that sets resource ("rlimit_nofile"), or
// "rlimit_N" for a number no option sets.
func RlimitName(resource int) string {
	for _, o := range rlimitOptions {
		if o.resource == resource {
			return o.name
		}
	}
	return "rlimit_" + strconv.Itoa(resource)
}

// String reads as the option's value would: "SOFT:HARD", "infinity" for
// no limit.
func (r Rlimit) String() string {
	word := func(n uint64) string {
		if n == RlimInfinity {
			return "infinity"
		}
		return strconv.FormatUint(n, 10)
	}
	return word(r.Soft) + ":" + word(r.Hard)
}

// rlimitTable is the option table rows that read every rlimit_x option of
// a program into *dst, in resource order; an absent option sets nothing.
func rlimitTable(dst *[]Rlimit) []option {
	opts := make([]option, len(rlimitOptions))
	for i, o := range rlimitOptions {
		opts[i] = optIfSet(o.name, func(v string) error {
			r, err := parseRlimit(o, v)
			if err == nil {
				*dst = append(*dst, r)
			}
			return err
		})
	}
	return opts
}

// parseRlimit reads an rlimit_x value: "N" for soft and hard alike, or
// "SOFT:HARD", where each is a count, "infinity" or "unlimited"; a limit of
// bytes may end in KB, MB or GB as the byte sizes of the config do.
func parseRlimit(o rlimitOption, s string) (Rlimit, error) {
	bad := func(why string) (Rlimit, error) {
		return Rlimit{}, fmt.Errorf("invalid %s value %s: %s", o.name, PyRepr(s), why)
	}
	soft, hard, pair := strings.Cut(s, ":")
	r := Rlimit{Resource: o.resource}
	var err error
	if r.Soft, err = parseLimit(soft, o.bytes); err != nil {
		return bad(err.Error())
	}
	r.Hard = r.Soft
	if pair {
		if r.Hard, err = parseLimit(hard, o.bytes); err != nil {
			return bad(err.Error())
		}
	}
	if r.Soft > r.Hard {
		return bad("the soft limit is above the hard limit")
	}
	return r, nil
}

// parseLimit reads one side of an rlimit value.
func parseLimit(s string, bytes bool) (uint64, error) {
	t := strings.TrimFunc(s, isPySpace)
	switch strings.ToLower(t) {
	case "infinity", "unlimited":
		return RlimInfinity, nil
	case "":
		return 0, fmt.Errorf("expected N or SOFT:HARD, each a number, infinity or unlimited")
	}
	var n int64
	var err error
	if bytes {
		n, err = ParseByteSize(t)
	} else {
		n, err = strconv.ParseInt(t, 10, 64)
	}
	if err != nil || n < 0 {
		unit := "a whole number"
		if bytes {
			unit = "a size in bytes (KB, MB or GB allowed)"
		}
		return 0, fmt.Errorf("%s is not %s, infinity or unlimited", PyRepr(t), unit)
	}
	return uint64(n), nil
}
