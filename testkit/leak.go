package testkit

import (
	"flag"
	"runtime"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// VerifyTestMain runs a package's tests and then fails the run if any
// goroutine outlives them, apart from the few that live as long as the
// process by design (leakOptions). Every package's TestMain calls it:
//
//	func TestMain(m *testing.M) { testkit.VerifyTestMain(m) }
//
// more adds options, goleak.Cleanup for one (which must then call os.Exit).
func VerifyTestMain(m *testing.M, more ...goleak.Option) {
	opts := append(leakOptions(), more...)
	goleak.VerifyTestMain(settled{m, leakOptions()}, opts...)
}

// leakOptions names, by a function in their stacks, the goroutines that
// are meant to outlive any test. The one of ours is the fork thread's
// (child.serveForks), which must never end; the reaper and the output hub
// are instances their owners close.
func leakOptions() []goleak.Option {
	return []goleak.Option{goleak.IgnoreAnyFunction("supervisord/internal/child.serveForks")}
}

// settleTime bounds how long goroutines that end by themselves get to end
// once the tests are done; goleak's own retries wait less than half a
// second. The one seen so far is protoactor's dead-letter throttle, which
// lives one interval (1 s) after a dead letter (the actors' tests make
// some), under a name that depends on the compiler's inlining.
const settleTime = 3 * time.Second

// settled runs the tests, then waits (at most settleTime) until no
// goroutine is left that opts does not let through, so that the check
// that follows reports only goroutines that do not end.
type settled struct {
	m    *testing.M
	opts []goleak.Option
}

func (s settled) Run() int {
	code := s.m.Run()
	if code != 0 {
		return code
	}
	Poll(settleTime, func() bool { return goleak.Find(s.opts...) == nil })
	return code
}

// RaiseParallel lets n tests that called t.Parallel run at once instead of
// GOMAXPROCS, unless -test.parallel was given. It is for a TestMain whose
// tests mostly wait (on child processes, on the reference's one-second
// loop, on programs that sleep) rather than compute, so that their waits
// overlap even on a machine with few cores.
func RaiseParallel(n int) {
	if !flag.Parsed() {
		flag.Parse()
	}
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given && n > runtime.GOMAXPROCS(0) {
		flag.Set("test.parallel", strconv.Itoa(n))
	}
}
