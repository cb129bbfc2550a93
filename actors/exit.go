package actors

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
)

// When the daemon ends by itself: an essential program that ended for good
// (essential=true), or nothing left to run (exit_when_all_done=true). The
// supervisor, which hears every transition, decides; the daemon's main
// reads the outcome from Daemon.Exit once the tree is down.

// Exit is why the tree stopped by itself, and the exit status the daemon
// should end with.
type Exit struct {
	Code   int
	Reason string
}

// checkExit acts on a transition that may end the daemon: an essential
// program's end, an exit that counts as a failure, or the last program
// ending under exit_when_all_done.
func (s *supervisor) checkExit(c actor.Context, ref conf.ProcessRef, m *stateChanged) {
	if s.stopping {
		return
	}
	if (m.to == Exited && !m.expected) || m.to == Fatal {
		s.failed = true
	}
	if p, _ := s.lookup(ref); p != nil && p.Essential && m.final {
		how := "exited"
		if m.to == Fatal {
			how = "entered FATAL state"
		}
		s.exitWith(c, m.status, fmt.Sprintf("essential program %s %s; stopping every program, exit status %d",
			ref, how, m.status))
		return
	}
	s.checkAllDone(c)
}

// checkAllDone ends the daemon under exit_when_all_done once autostart is
// over and no program runs, waits for a dependency or is about to be
// restarted: exit status 0, or 1 when a program failed on the way.
func (s *supervisor) checkAllDone(c actor.Context) {
	if !s.cfg.Supervisord.ExitWhenAllDone || s.stopping || len(s.startQueue) > 0 || len(s.depWaiters) > 0 {
		return
	}
	for _, e := range s.groups {
		for _, st := range e.procs {
			switch st.state {
			case Stopped, Fatal, Unknown:
			case Exited:
				if !st.final {
					return // a restart follows
				}
			default:
				return
			}
		}
	}
	code, how := 0, "every program is done"
	if s.failed {
		code, how = 1, "every program is done, not all of them well"
	}
	s.exitWith(c, code, fmt.Sprintf("%s (exit_when_all_done); exit status %d", how, code))
}

// exitWith records why and how the daemon ends, and stops the tree.
func (s *supervisor) exitWith(c actor.Context, code int, reason string) {
	s.exit = &Exit{Code: code, Reason: reason}
	s.rt.log.Warn(reason)
	s.beginShutdown(c)
}

// Exit reports, once Done is closed, why the tree stopped by itself (an
// essential program ended, or everything was done), and the exit status
// the daemon should end with; ok is false when it was asked to stop.
func (d *Daemon) Exit() (e Exit, ok bool) {
	select {
	case <-d.done:
	default:
		return Exit{}, false
	}
	if d.exit == nil {
		return Exit{}, false
	}
	return *d.exit, true
}
