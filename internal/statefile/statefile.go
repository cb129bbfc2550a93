// Package statefile reads and writes the daemon's state file: what the
// operator asked for that must outlast the daemon (a disabled process, a
// process stopped by hand), kept across restarts and reboots.
//
// The file is JSON:
//
//	{
//	  "version": 1,
//	  "processes": {
//	    "web:web_0": {"disabled": true, "user": "alice", "from": "10.0.0.5:51234", "at": "2024-05-01T10:00:00Z"}
//	  },
//	  "scale": {"web": 3}
//	}
//
// Processes are keyed by their namespec (group:name). Write replaces the
// file atomically: a reader finds the old contents or the new, never a
// mix. Parse is strict about what it understands (the version, the keys'
// form) and reports what is wrong, naming the entry.
package statefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Version is the format written; Parse accepts only it.
const Version = 1

// State is the whole file.
type State struct {
	Version int `json:"version"`
	// Processes is each process's intent, by "group:name"; a process
	// without one has no entry.
	Processes map[string]Intent `json:"processes,omitempty"`
	// Scale is a group's number of instances set at runtime (scale), by
	// group name, with the config's numprocs it was set over: it holds
	// while the config says that numprocs.
	Scale map[string]Scale `json:"scale,omitempty"`
}

// Scale is one group's runtime number of instances.
type Scale struct {
	Instances int `json:"instances"`
	Numprocs  int `json:"numprocs"` // the config's, when it was set
}

// Intent is what the operator asked of one process, and who asked, when
// and from where (each empty when not known).
type Intent struct {
	// Disabled keeps the process from starting by anything but an
	// enable followed by a start.
	Disabled bool `json:"disabled,omitempty"`
	// Stopped is a stop asked by hand: the process is not started again
	// by an update, an automatic reload or a daemon restart until a
	// start asks for it.
	Stopped bool      `json:"stopped,omitempty"`
	User    string    `json:"user,omitempty"`
	From    string    `json:"from,omitempty"`
	At      time.Time `json:"at,omitzero"`
}

// Held reports whether the intent keeps the process from starting on its
// own (autostart, update, reload).
func (i Intent) Held() bool { return i.Disabled || i.Stopped }

// IsZero reports whether the intent asks nothing.
func (i Intent) IsZero() bool { return !i.Disabled && !i.Stopped }

// New is an empty state of the current version.
func New() *State {
	return &State{Version: Version, Processes: map[string]Intent{}, Scale: map[string]Scale{}}
}

// Clone is a deep copy of s.
func (s *State) Clone() *State {
	return &State{Version: s.Version, Processes: maps.Clone(s.Processes), Scale: maps.Clone(s.Scale)}
}

// Parse reads a state file's contents.
func Parse(data []byte) (*State, error) {
	var s State
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("not a state file: %w", err)
	}
	if dec.More() {
		return nil, errors.New("not a state file: more than one JSON value")
	}
	if s.Version != Version {
		return nil, fmt.Errorf("unsupported version %d (this daemon reads version %d)", s.Version, Version)
	}
	for key := range s.Processes {
		group, name, ok := strings.Cut(key, ":")
		if !ok || group == "" || name == "" || strings.Contains(name, ":") {
			return nil, fmt.Errorf("process %q: not a group:name", key)
		}
	}
	for group, sc := range s.Scale {
		if group == "" || strings.Contains(group, ":") {
			return nil, fmt.Errorf("scale %q: not a group name", group)
		}
		if sc.Instances < 0 || sc.Numprocs < 0 {
			return nil, fmt.Errorf("scale %q: a negative number", group)
		}
	}
	if s.Processes == nil {
		s.Processes = map[string]Intent{}
	}
	if s.Scale == nil {
		s.Scale = map[string]Scale{}
	}
	return &s, nil
}

// Read reads the state file at path: an empty state when there is none,
// an error naming the file when it cannot be read or parsed.
func Read(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err != nil {
		return nil, err // names the file
	}
	s, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Marshal is the file's contents for s, with its version set.
func Marshal(s *State) ([]byte, error) {
	out := *s
	out.Version = Version
	data, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// Write replaces the state file at path with s atomically: a temporary
// file in the same directory is written and synced, renamed over path,
// and the directory synced, so the new contents survive a crash once
// Write returns. On failure the old file is left as it was and no
// temporary file remains.
func Write(path string, s *State) error {
	data, err := Marshal(s)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	done = true
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
