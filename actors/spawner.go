package actors

import (
	"os"
	"syscall"

	"supervisord/internal/child"
)

// Spawner starts the OS process of a process actor. The daemon's is a
// child.Reaper (ReaperSpawner); tests give a fake that starts none, so that
// the state machine runs on a fake clock.
type Spawner interface {
	// Spawn starts spec. onExit is called once, from another goroutine,
	// when the process has ended; it must not block.
	Spawn(spec child.Spec, onExit func(child.ExitStatus)) (Spawned, error)
}

// Spawned is a started program as its process actor drives it.
type Spawned struct {
	Pid int
	// The daemon's ends of the program's pipes, which the process actor
	// closes. A nil one is not there: Stderr when stderr goes down stdout,
	// all three for a fake.
	Stdin, Stdout, Stderr *os.File
	// Signal sends a signal to the process, SignalGroup to its process
	// group. Both fail once the process has been reaped.
	Signal, SignalGroup func(syscall.Signal) error
}

// ReaperSpawner spawns through r.
func ReaperSpawner(r *child.Reaper) Spawner { return reaperSpawner{r} }

type reaperSpawner struct{ r *child.Reaper }

func (s reaperSpawner) Spawn(spec child.Spec, onExit func(child.ExitStatus)) (Spawned, error) {
	p, err := s.r.Start(spec, onExit)
	if err != nil {
		return Spawned{}, err
	}
	return Spawned{Pid: p.Pid, Stdin: p.Stdin, Stdout: p.Stdout, Stderr: p.Stderr,
		Signal: p.Signal, SignalGroup: p.SignalGroup}, nil
}
