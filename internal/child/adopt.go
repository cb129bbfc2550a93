package child

import "syscall"

// Children handed over across an exec (supervisorctl upgrade) are still
// this process's children, with the same pids, but no Start of this
// program made them. NewReaper holds their pids from its first sweep on, so
// an exit that happened during the exec is kept rather than reaped as
// unknown, and Adopt gives each its onExit.

// held is a pid NewReaper holds for Adopt.
type held struct {
	exited bool
	st     ExitStatus
	onExit func(ExitStatus) // set by an Adopt that came after the reap
}

// hold registers pids whose onExit is not known yet: an exit reaped before
// Adopt is kept for it.
func (r *Reaper) hold(pids []int) {
	for _, pid := range pids {
		h := &held{}
		if r.held == nil {
			r.held = make(map[int]*held)
		}
		r.held[pid] = h
		r.live[pid] = func(st ExitStatus) { // called by a sweep, unlocked
			r.mu.Lock()
			onExit := h.onExit
			if onExit == nil {
				h.exited, h.st = true, st
			}
			r.mu.Unlock()
			if onExit != nil {
				onExit(st)
			}
		}
	}
}

// Adopt takes over pid, a child this process started before an exec, as
// if Start had started it: onExit is called once when it is reaped, at once
// (from another goroutine) if it was reaped already. A pid NewReaper was
// not told to hold may have been reaped as unknown meanwhile, and then
// never reports its exit.
func (r *Reaper) Adopt(pid int, onExit func(ExitStatus)) *Proc {
	r.mu.Lock()
	h := r.held[pid]
	delete(r.held, pid)
	switch {
	case h == nil || r.live[pid] != nil:
		r.live[pid] = onExit
	case h.exited:
		go onExit(h.st)
	default: // reaped, its notice on its way
		h.onExit = onExit
	}
	r.mu.Unlock()
	return &Proc{Pid: pid, r: r}
}

// Pause stops reaping until Resume: children that exit meanwhile stay
// zombies, for whoever reaps next (the same program after Resume, or the
// program this process execs). Start blocks while paused. It is for
// handing children over across an exec; a paused Reaper must be resumed
// before it is closed.
func (r *Reaper) Pause() { r.forks.Lock() }

// Resume ends a Pause, sweeping for the exits it held back.
func (r *Reaper) Resume() {
	r.forks.Unlock()
	select {
	case r.sigs <- syscall.SIGCHLD:
	default: // a sweep is due already
	}
}

// WaitStatus is the raw wait status, for handing an exit over.
func (s ExitStatus) WaitStatus() int { return int(s.ws) }

// FromWaitStatus is the status a raw wait status (WaitStatus) stands for.
func FromWaitStatus(ws int) ExitStatus { return ExitStatus{syscall.WaitStatus(ws)} }
