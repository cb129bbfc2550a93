package actors

import (
	"context"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/internal/statefile"
)

// scaleGroup asks the supervisor to run n instances of a program group.
type scaleGroup struct {
	group string
	n     int
}

func (*scaleGroup) isMessage() {}

// Scale runs n instances of a group made of one [program:x] (numprocs at
// runtime): the instances that stay are not touched, new ones are added
// and autostarted, surplus ones stopped and removed. The number is kept
// in the state file and holds across update, reload and a daemon restart
// for as long as the config's numprocs stays what it was when set (a
// scale back to it is forgotten). BadArguments for a group that is not
// one program, BadName for none.
func (d *Daemon) Scale(ctx context.Context, group string, n int) error {
	_, err := d.ask(ctx, &scaleGroup{group: group, n: n}, waitTimeout)
	return err
}

// scale applies a scaleGroup: the group's processes made again for n,
// the number remembered, then an update as a reread's would be.
func (s *supervisor) scale(c actor.Context, m *scaleGroup) {
	e := s.group(m.group)
	switch {
	case s.stopping:
		c.Respond(&Result{ErrShuttingDown})
		return
	case e == nil:
		c.Respond(&Result{ErrBadName})
		return
	case e.cfg.Scale == nil:
		c.Respond(&Result{errorf(BadArguments, "%s is not one [program:x]: only a program's instances scale", m.group)})
		return
	}
	procs, err := e.cfg.Scale(m.n)
	if err != nil {
		c.Respond(&Result{errorf(BadArguments, "%s: %v", m.group, err)})
		return
	}
	if m.n == e.cfg.Numprocs {
		delete(s.intent.state.Scale, m.group)
	} else {
		s.intent.state.Scale[m.group] = statefile.Scale{Instances: m.n, Numprocs: e.cfg.Numprocs}
	}
	s.intent.save(c)
	ng := *e.cfg
	ng.Processes = procs
	s.update(c, &ng)
}

// scaled is gc with the instances a remembered scale gives it, while the
// config's numprocs is the one the scale was set over; a scale the
// config has moved past is forgotten.
func (s *supervisor) scaled(c actor.Context, gc *conf.Group) *conf.Group {
	sc, ok := s.intent.state.Scale[gc.Name]
	if !ok || gc.Scale == nil {
		return gc
	}
	if sc.Numprocs != gc.Numprocs {
		delete(s.intent.state.Scale, gc.Name)
		s.intent.save(c)
		s.rt.log.Info(fmt.Sprintf("scale: %s has numprocs=%d in the config now: its scale to %d is forgotten",
			gc.Name, gc.Numprocs, sc.Instances))
		return gc
	}
	procs, err := gc.Scale(sc.Instances)
	if err != nil {
		s.rt.log.Warn(fmt.Sprintf("scale: %s: %v; it runs numprocs=%d", gc.Name, err, gc.Numprocs))
		return gc
	}
	ng := *gc
	ng.Processes = procs
	return &ng
}
