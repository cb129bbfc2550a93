package actors

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
)

// Reshaping a group applies a changed group config process by process: the
// processes whose settings changed are stopped and started again from the new
// config, new ones (a larger numprocs) are added, dropped ones stopped and
// removed, and every other process keeps running untouched. The reference
// restarts the whole group instead (its issues 1154 and 177).

// errReplace answers an updateGroup whose group changed in its own settings
// (see conf.Reshapable): it is stopped, removed and added again instead.
var errReplace = errors.New("supervisor: the group must be replaced")

// UpdateGroup replaces a running group's config with g, a changed config of
// the same name from a reread, touching only what changed: processes whose
// settings differ are restarted, new ones added and autostarted, dropped
// ones stopped and removed. Where the group itself changed (see
// conf.Reshapable) it is stopped, removed and added again, as the reference's
// update does.
func (d *Daemon) UpdateGroup(ctx context.Context, g *conf.Group) error {
	_, err := d.ask(ctx, &updateGroup{cfg: g}, waitTimeout)
	if !errors.Is(err, errReplace) {
		if err != nil && !errors.Is(err, ErrBadName) {
			return fmt.Errorf("updating %s: %w", g.Name, err)
		}
		return err
	}
	if err := d.stopWholeGroup(ctx, g.Name); err != nil {
		return fmt.Errorf("stopping %s: %w", g.Name, err)
	}
	if err := d.replaceGroup(ctx, g.Name); err != nil {
		return fmt.Errorf("removing %s: %w", g.Name, err)
	}
	if err := d.AddGroup(ctx, g); err != nil {
		return fmt.Errorf("adding %s: %w", g.Name, err)
	}
	return nil
}

// update asks a group to reshape itself into cfg and, once it has, records
// the group's new processes.
func (s *supervisor) update(c actor.Context, cfg *conf.Group) {
	e := s.group(cfg.Name)
	switch {
	case s.stopping:
		c.Respond(&Result{ErrShuttingDown})
		return
	case e == nil:
		c.Respond(&Result{ErrBadName})
		return
	case !conf.Reshapable(e.cfg, cfg):
		c.Respond(&Result{errReplace})
		return
	}
	// Stops are answered once done (SIGKILL after stopwaitsecs at the
	// latest); the timeout is only a backstop.
	timeout := askTimeout
	for _, p := range e.cfg.Processes {
		timeout = max(timeout, p.StopWaitSecs+askTimeout)
	}
	replyTo := c.Sender()
	c.ReenterAfter(c.RequestFuture(e.pid, &reshapeGroup{cfg: cfg, hold: s.intent.held(cfg.Name, cfg.Processes)}, timeout), func(res any, err error) {
		if err != nil {
			c.Send(replyTo, &Result{errorf(Failed, "group %s did not answer: %v", cfg.Name, err)})
			return
		}
		r, _ := res.(*Result)
		if r == nil {
			r = &Result{errorf(Failed, "group %s answered %T", cfg.Name, res)}
		}
		if r.Err == nil && s.group(cfg.Name) == e {
			e.reshaped(cfg)
			s.scheduleChanged(c)
		}
		c.Send(replyTo, r)
	})
}

// reshaped records a reshaped group's processes: those it kept keep their
// state, new ones start STOPPED.
func (e *groupEntry) reshaped(cfg *conf.Group) {
	procs := make(map[string]*procStatus, len(cfg.Processes))
	for _, p := range cfg.Processes {
		procs[p.Name] = e.procs[p.Name]
		if procs[p.Name] == nil {
			procs[p.Name] = &procStatus{state: Stopped}
		}
	}
	e.cfg, e.procs = cfg, procs
}

// reshape runs a reshapeGroup request in three steps, without blocking the
// mailbox: stop the processes that go (changed or dropped) and wait until
// each is in a stopped state, stop their actors and wait until their names
// are free, then spawn the new ones and autostart them in order.
func (g *group) reshape(c actor.Context, cfg *conf.Group, hold map[string]bool) {
	replyTo := c.Sender()
	added, changed, removed := conf.DiffProcesses(g.cfg, cfg)
	going := map[string]bool{}
	for _, name := range append(slices.Clone(changed), removed...) {
		going[name] = true
	}
	// A process not yet asked to autostart must not be: it is about to be
	// stopped. The head of the queue has been asked; its answer comes
	// before anything else from it.
	if len(g.autostarting) > 1 {
		rest := slices.DeleteFunc(slices.Clone(g.autostarting[1:]), func(pid *actor.PID) bool {
			return going[g.nameOf(pid)]
		})
		g.autostarting = append(g.autostarting[:1:1], rest...)
	}

	var stops []*actor.Future
	for _, pc := range g.cfg.StopOrder() {
		if going[pc.Name] {
			pid := g.byName[pc.Name]
			c.RequestFuture(pid, &stopProcess{}, askTimeout) // NOT_RUNNING is fine
			stops = append(stops, c.RequestFuture(pid, &awaitStopped{}, pc.StopWaitSecs+askTimeout))
		}
	}
	awaitAll(c, stops, func() {
		// Gone from the group's view before the actors stop, so a stopGroup
		// meanwhile waits for none of them.
		var ends []*actor.Future
		for name := range going {
			pid := g.byName[name]
			delete(g.byName, name)
			g.procs = slices.DeleteFunc(g.procs, pid.Equal)
			ends = append(ends, c.StopFuture(pid))
		}
		awaitAll(c, ends, func() {
			if g.shuttingDown {
				// A stopping actor must not grow children: its stop waits
				// for the ones it knows of.
				c.Send(replyTo, &Result{ErrShuttingDown})
				return
			}
			fresh := map[string]bool{}
			for _, name := range append(slices.Clone(changed), added...) {
				fresh[name] = true
			}
			g.cfg = cfg
			g.procs = g.procs[:0]
			var start []*actor.PID
			for _, pc := range cfg.Processes {
				if fresh[pc.Name] {
					pid := g.spawnProcess(c, pc)
					if !hold[pc.Name] {
						start = append(start, pid)
					}
				}
				g.procs = append(g.procs, g.byName[pc.Name])
			}
			c.Send(replyTo, &Result{})
			g.rt.log.Info(fmt.Sprintf("updated process group %s in place (changed: %s; added: %s; removed: %s)",
				cfg.Name, orNone(changed), orNone(added), orNone(removed)))
			if len(start) > 0 {
				idle := len(g.autostarting) == 0
				g.autostarting = append(g.autostarting, start...)
				if idle {
					g.autostartNext(c)
				}
			}
		})
	})
}

// nameOf is the process name of one of the group's process actors.
func (g *group) nameOf(pid *actor.PID) string {
	return pid.Id[strings.LastIndexByte(pid.Id, '/')+1:]
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
