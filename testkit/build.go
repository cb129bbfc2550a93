// Package testkit helps tests start real daemons on temporary configs, wait
// for what they log, and read process states the way a user would.
package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ModuleRoot returns the directory holding go.mod, searching up from the
// current directory (a test's cwd is its package directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("testkit: no go.mod above the current directory")
		}
		dir = parent
	}
}

// Build compiles the module's commands (./cmd/...) into a fresh temporary
// directory and returns it; remove it when done. Tests call it once from
// TestMain so every test of a package shares one build.
func Build() (dir string, err error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	dir, err = os.MkdirTemp("", "supervisord-bin-")
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), "./cmd/...")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("testkit: go build: %v\n%s", err, strings.TrimSpace(string(out)))
	}
	return dir, nil
}
