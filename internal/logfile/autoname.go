package logfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// tempChars is the alphabet the reference's mkstemp draws its random part from.
const tempChars = "abcdefghijklmnopqrstuvwxyz0123456789_"

// AutoName creates the file for an AUTO child log and returns its absolute
// path: <childlogdir>/<program>-<channel>---<identifier>-<8 random>.log, made
// exclusively with mode 0600 like the reference's mkstemp. The shape matters:
// the reference's startup cleanup (and ours) recognises these names by it.
func AutoName(childlogdir, program, identifier, channel string) (string, error) {
	dir, err := filepath.Abs(childlogdir)
	if err != nil {
		return "", fmt.Errorf("auto log name: %w", err)
	}
	prefix := program + "-" + channel + "---" + identifier + "-"
	var rnd [8]byte
	for range 10000 { // mkstemp's attempt limit
		for i := range rnd {
			rnd[i] = tempChars[rand.IntN(len(tempChars))]
		}
		name := filepath.Join(dir, prefix+string(rnd[:])+".log")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("auto log name: %w", err)
		}
		f.Close()
		return name, nil
	}
	return "", fmt.Errorf("auto log name: no unused name for %s in %s", prefix, dir)
}
