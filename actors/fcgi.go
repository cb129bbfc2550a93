package actors

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/internal/fcgisock"
)

// An [fcgi-program:x] group shares one listening socket among its
// instances, each getting it as its fd 0. The group owns the socket's
// description (internal/fcgisock); each process takes a reference when it
// spawns and drops it when its OS process is gone, so, as with the
// reference, the socket exists while at least one instance runs.

// CheckSockets creates and closes again the socket of every fcgi-program
// group of cfg, as the reference does when it creates its groups at startup:
// a socket that cannot be bound ends the daemon before it serves anything.
func CheckSockets(cfg *conf.Config, log *slog.Logger) error {
	for _, g := range cfg.Groups {
		if g.Kind != conf.KindFCGIProgram {
			continue
		}
		if err := fcgisock.Check(g, log); err != nil {
			return err
		}
	}
	return nil
}

// checkSocket checks the socket of g, an added group, if it has one.
func checkSocket(g *conf.Group, log *slog.Logger) error {
	if g.Kind != conf.KindFCGIProgram {
		return nil
	}
	if err := fcgisock.Check(g, log); err != nil {
		return fmt.Errorf("%w: %w", ErrFailed, err)
	}
	return nil
}

// groupSocket is the socket of group cfg, nil when it is no fcgi-program.
func groupSocket(cfg *conf.Group, rt *runtime) *fcgisock.Socket {
	if cfg.Kind != conf.KindFCGIProgram {
		return nil
	}
	s := fcgisock.New(cfg, rt.log)
	if f := rt.adopt.takeSocket(cfg.Name); f != nil { // an upgrade's (handoff.go)
		s.Adopt(f)
	}
	return s
}

// dupSocket answers an upgrade's *dupSocket with the socket's duplicate.
func (g *group) dupSocket(c actor.Context) {
	fd := -1
	if g.sock != nil {
		var err error
		if fd, err = g.sock.Dup(); err != nil {
			g.rt.log.Error(fmt.Sprintf("cannot hand over the socket of %s: %v", g.cfg.Name, err))
		}
	}
	c.Respond(&socketRecord{fd: fd})
}

// withSocket hands the group's socket to a process actor it makes.
func (g *group) withSocket(a actor.Actor) actor.Actor {
	a.(*process).sock = g.sock
	return a
}

// takeSocket references the group's socket for a spawn, creating it if no
// other instance holds it; nil (and no error) for a process of another kind
// of group. The previous run's reference, if not let go yet (an autorestart
// spawns while handling the exit), is dropped first, so a sole instance's
// restart closes the socket and binds it again, as with the reference.
func (p *process) takeSocket() (*os.File, error) {
	if p.sock == nil {
		return nil, nil
	}
	p.dropSocket()
	f, err := p.sock.Acquire()
	if err != nil {
		return nil, err
	}
	p.sockHeld = f
	return f, nil
}

// socketUnused drops the socket once the OS process is gone or never
// started. It runs after each message, so the main log says the process
// stopped or exited before it says the socket closed, in the reference's
// order.
func (p *process) socketUnused() {
	if p.proc == nil {
		p.dropSocket()
	}
}

// dropSocket lets go of the socket, closing it if no other instance holds
// it.
func (p *process) dropSocket() {
	if p.sockHeld != nil {
		p.sockHeld = nil
		p.sock.Release()
	}
}
