package child

import (
	"testing"

	"supervisord/testkit"
)

// The helpers call Main, which needs main on the startup thread.
func init() { LockMainThread() }

func TestMain(m *testing.M) {
	orphansHelper() // returns unless this run is one of orphans_test.go's helpers
	testkit.VerifyTestMain(m)
}
