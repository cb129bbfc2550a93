package procstat

import (
	"testing"

	"supervisord/testkit"
)

func TestMain(m *testing.M) { testkit.VerifyTestMain(m) }
