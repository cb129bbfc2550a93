package child

import (
	"os"
	"runtime"
	"sync"
	"syscall"
)

// Every child of the process is forked on one OS thread that never exits:
// the fork thread. A child's parent-death signal (Spec.KeepOnDaemonDeath
// unset) is sent when the thread that forked it ends, not the process, and
// the Go scheduler runs a goroutine on whichever thread it likes; forking
// from one thread that lives as long as the process makes the signal mean
// "the daemon died", by SIGKILL and crashes included.
//
// A program whose main calls Main serves forks on the main thread (the
// thread an execve keeps, and the only one it keeps); otherwise the first
// fork starts a goroutine locked to a thread of its own for good.
var forker struct {
	once sync.Once
	reqs chan func()
}

func init() { forker.reqs = make(chan func()) }

// serveForks runs fork requests on the calling goroutine's thread, which it
// locks and never gives back, so the thread never exits.
func serveForks() {
	runtime.LockOSThread()
	for fn := range forker.reqs {
		fn()
	}
}

// onForkThread runs fn on the fork thread and returns once it has.
func onForkThread(fn func()) {
	forker.once.Do(func() { go serveForks() })
	done := make(chan struct{})
	forker.reqs <- func() {
		defer close(done)
		fn()
	}
	<-done
}

// Main makes the process's main thread its fork thread: it runs run on
// another goroutine, serves forks on the calling one (which must be the
// main goroutine, called from main before anything else) and exits the
// process with run's status. Forking on the main thread is what lets Reexec
// keep the children across any number of re-execs: an execve keeps only
// the thread that called it, which becomes the new image's main thread, so
// the children it forked before keep their parent only if the new image
// forks (and re-execs) from that same thread again. Called anywhere but on
// the main thread, or after a fork already started the fork thread, Main
// runs run where it is.
//
// The runtime lets the main goroutine move to another thread once the init
// functions are done, and it does move under load; a program that calls
// Main must therefore call LockMainThread from an init function of its
// own, which keeps main on the startup thread.
func Main(run func() int) {
	runtime.LockOSThread()
	mine := false
	if syscall.Gettid() == syscall.Getpid() {
		forker.once.Do(func() { mine = true })
	}
	if !mine {
		runtime.UnlockOSThread()
		os.Exit(run())
	}
	go func() { os.Exit(run()) }()
	serveForks()
}

// Reexec replaces the process's image with path, keeping its pid and its
// children, the way an in-place upgrade needs: it runs execve on the fork
// thread. Run from any other thread, the execve would end the fork thread
// and with it fire every child's parent-death signal. The children keep
// their parent-death signals: they still die with the new image, and the
// new image reaps them (as unknown children) once they exit. Descriptors
// meant to survive must have close-on-exec cleared by the caller, Go sets
// it on its own. It returns only when execve fails.
func Reexec(path string, argv, env []string) error {
	var err error
	onForkThread(func() { err = syscall.Exec(path, argv, env) })
	return err
}

// LockMainThread wires the calling goroutine to its thread. Called from an
// init function (all of which run on the startup thread), it makes the
// runtime start main there and keep it there, as Main needs.
func LockMainThread() { runtime.LockOSThread() }
