package child

import (
	"testing"

	"supervisord/testkit"
)

func TestMain(m *testing.M) {
	orphansHelper() // returns unless this run is one of orphans_test.go's helpers
	testkit.VerifyTestMain(m)
}
