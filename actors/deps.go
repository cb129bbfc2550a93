package actors

import (
	"cmp"
	"slices"
	"strings"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
)

// The supervisor's part of depends_on: it owns every process's state, so it
// is the one that can tell when a dependency's condition holds. A process
// that must wait asks it (*awaitDeps) and is told when to go (*depsMet);
// start and stop requests ask it which dependencies to pull in (*startTarget)
// and which dependents to push out first (*stopPlan). Without any
// depends_on none of this runs.

// procStatus is what the supervisor knows of one process.
type procStatus struct {
	state State
	// expected is whether its last exit was one of its exitcodes.
	expected bool
	// healthy is whether its last health check passed; it is cleared when
	// the process leaves RUNNING.
	healthy bool
	// final is whether it ended for good: FATAL, or EXITED with no
	// automatic restart to follow.
	final bool
}

// depWaiter is a process waiting for its dependencies.
type depWaiter struct {
	cfg     *conf.Process
	pid     *actor.PID
	token   uint64
	seq     uint64 // the order it began waiting in
	what    string // what it was last told it waits for
	blocked bool
}

// meets reports whether a process in st meets cond.
func meets(st *procStatus, cond conf.Condition) bool {
	switch cond {
	case conf.CondStarted:
		return st.state == Starting || st.state == Running || st.state == Exited
	case conf.CondRunning:
		return st.state == Running
	case conf.CondHealthy:
		return st.state == Running && st.healthy
	case conf.CondCompleted:
		return st.state == Exited
	case conf.CondCompletedOK:
		return st.state == Exited && st.expected
	}
	return false
}

// conditionPhrase is how a description says what a condition waits for.
var conditionPhrase = map[conf.Condition]string{
	conf.CondStarted:     "to start",
	conf.CondRunning:     "to be running",
	conf.CondHealthy:     "to be healthy",
	conf.CondCompleted:   "to complete",
	conf.CondCompletedOK: "to complete successfully",
}

// lookup finds a process's config and status; nil when it does not run.
func (s *supervisor) lookup(ref conf.ProcessRef) (*conf.Process, *procStatus) {
	e := s.group(ref.Group)
	if e == nil {
		return nil, nil
	}
	return e.cfg.Process(ref.Name), e.procs[ref.Name]
}

// unmet says what p still waits for ("db to be healthy and migrate to
// complete"), "" when every condition holds; blocked is set when a
// dependency will not get there on its own: it is FATAL, or stopped
// and not itself waiting to start.
func (s *supervisor) unmet(p *conf.Process) (what string, blocked bool) {
	var parts []string
	for _, d := range p.Lifecycle.DependsOn {
		for _, t := range d.Targets {
			_, st := s.lookup(t)
			if st == nil {
				parts = append(parts, t.String()+" to be added")
				blocked = true
				break
			}
			if meets(st, d.Condition) {
				continue
			}
			part := d.Name + " " + conditionPhrase[d.Condition]
			_, waiting := s.depWaiters[t]
			switch {
			case st.state == Fatal && !waiting:
				part += " (" + t.String() + " is FATAL)"
				blocked = true
			case st.state.IsStopped() && !waiting:
				blocked = true
			}
			parts = append(parts, part)
			break // one unmet target names the entry
		}
	}
	return strings.Join(parts, " and "), blocked
}

// awaitDeps registers a waiting process and answers it at once if it need
// not wait; processes waiting for it may no longer be blocked.
func (s *supervisor) awaitDeps(c actor.Context, m *awaitDeps) {
	p, _ := s.lookup(m.ref)
	if p == nil {
		return // removed meanwhile
	}
	if s.depWaiters == nil {
		s.depWaiters = map[conf.ProcessRef]*depWaiter{}
	}
	s.waitSeq++
	s.depWaiters[m.ref] = &depWaiter{cfg: p, pid: c.Sender(), token: m.token, seq: s.waitSeq}
	s.recheckDeps(c, m.ref)
}

// recheckDeps tells the waiting processes that depend on changed (and
// changed itself, when it waits) whether they may go now or what they
// still wait for, when that changed; those that may go are told in the
// order they began waiting, so priority still orders them.
func (s *supervisor) recheckDeps(c actor.Context, changed conf.ProcessRef) {
	if len(s.depWaiters) == 0 {
		return
	}
	var affected []*depWaiter
	for ref, w := range s.depWaiters {
		if ref == changed || dependsOnRef(w.cfg, changed) {
			affected = append(affected, w)
		}
	}
	slices.SortFunc(affected, func(a, b *depWaiter) int { return cmp.Compare(a.seq, b.seq) })
	for _, w := range affected {
		what, blocked := s.unmet(w.cfg)
		if what == "" {
			delete(s.depWaiters, conf.ProcessRef{Group: w.cfg.Group, Name: w.cfg.Name})
			c.Send(w.pid, &depsMet{token: w.token})
			continue
		}
		if what != w.what || blocked != w.blocked {
			w.what, w.blocked = what, blocked
			c.Send(w.pid, &depsWaiting{token: w.token, what: what, blocked: blocked})
		}
	}
}

// dependsOnRef reports whether p has a depends_on entry naming ref.
func dependsOnRef(p *conf.Process, ref conf.ProcessRef) bool {
	for _, d := range p.Lifecycle.DependsOn {
		if slices.Contains(d.Targets, ref) {
			return true
		}
	}
	return false
}

// planStart lists the processes to start before ref can: its dependencies,
// transitively, that do not meet their condition and are not on their way
// (STARTING, BACKOFF, RUNNING), each after its own dependencies.
func (s *supervisor) planStart(ref conf.ProcessRef) []*conf.Process {
	var out []*conf.Process
	seen := map[conf.ProcessRef]bool{ref: true}
	var visit func(p *conf.Process)
	visit = func(p *conf.Process) {
		for _, d := range p.Lifecycle.DependsOn {
			for _, t := range d.Targets {
				if seen[t] {
					continue
				}
				seen[t] = true
				tp, st := s.lookup(t)
				if tp == nil || meets(st, d.Condition) || !st.state.IsStopped() {
					continue
				}
				visit(tp)
				out = append(out, tp)
			}
		}
	}
	if p, _ := s.lookup(ref); p != nil {
		visit(p)
	}
	return out
}

// dependents maps each process to the running processes that depend on it.
func (s *supervisor) dependents() map[conf.ProcessRef][]conf.ProcessRef {
	rev := map[conf.ProcessRef][]conf.ProcessRef{}
	for _, e := range s.groups {
		for _, p := range e.cfg.Processes {
			for _, d := range p.Lifecycle.DependsOn {
				for _, t := range d.Targets {
					rev[t] = append(rev[t], conf.ProcessRef{Group: p.Group, Name: p.Name})
				}
			}
		}
	}
	return rev
}

// planStop orders refs and the processes that depend on them in levels: a
// process comes in a level after every one of its dependents. Dependents
// are pulled in when they are not stopped; refs always are. Without any
// depends_on there is nothing to order: the answer is nil, and no graph is
// built on every stop.
func (s *supervisor) planStop(refs []conf.ProcessRef) [][]*conf.Process {
	if !s.hasDependencies() {
		return nil
	}
	rev := s.dependents()
	in := map[conf.ProcessRef]bool{}
	for _, r := range refs {
		in[r] = true
	}
	var walk func(r conf.ProcessRef)
	walk = func(r conf.ProcessRef) {
		for _, d := range rev[r] {
			if in[d] {
				continue
			}
			if _, st := s.lookup(d); st != nil && !st.state.IsStopped() {
				in[d] = true
			}
			walk(d)
		}
	}
	for _, r := range refs {
		walk(r)
	}
	// level(p) = 0 with no dependent in the set, else 1 + the highest
	// level of its dependents; conf refused cycles, so this ends.
	level := map[conf.ProcessRef]int{}
	var depth func(r conf.ProcessRef, seen int) int
	depth = func(r conf.ProcessRef, seen int) int {
		if l, ok := level[r]; ok {
			return l
		}
		l := 0
		if seen <= len(in) {
			for _, d := range rev[r] {
				if in[d] {
					l = max(l, depth(d, seen+1)+1)
				}
			}
		}
		level[r] = l
		return l
	}
	var levels [][]*conf.Process
	for _, e := range s.groups {
		for _, p := range e.cfg.Processes {
			r := conf.ProcessRef{Group: p.Group, Name: p.Name}
			if !in[r] {
				continue
			}
			l := depth(r, 0)
			for len(levels) <= l {
				levels = append(levels, nil)
			}
			levels[l] = append(levels[l], p)
		}
	}
	return slices.DeleteFunc(levels, func(l []*conf.Process) bool { return len(l) == 0 })
}

// hasDependencies reports whether any running process has a depends_on.
func (s *supervisor) hasDependencies() bool {
	for _, e := range s.groups {
		for _, p := range e.cfg.Processes {
			if len(p.Lifecycle.DependsOn) > 0 {
				return true
			}
		}
	}
	return false
}

// stopSteps is the shutdown's order: group by group in reverse start
// order, as the reference does; with dependencies, first every process
// nothing depends on, then those whose dependents are all stopped, and so
// on, each level group by group.
func (s *supervisor) stopSteps() []shutdownStep {
	if !s.hasDependencies() {
		steps := make([]shutdownStep, len(s.groups))
		for i, e := range s.groups {
			steps[len(steps)-1-i] = shutdownStep{pid: e.pid}
		}
		return steps
	}
	var all []conf.ProcessRef
	for _, e := range s.groups {
		for _, p := range e.cfg.Processes {
			all = append(all, conf.ProcessRef{Group: p.Group, Name: p.Name})
		}
	}
	var steps []shutdownStep
	for _, level := range s.planStop(all) {
		only := map[string]map[string]bool{}
		for _, p := range level {
			if only[p.Group] == nil {
				only[p.Group] = map[string]bool{}
			}
			only[p.Group][p.Name] = true
		}
		for i := len(s.groups) - 1; i >= 0; i-- {
			if names := only[s.groups[i].cfg.Name]; names != nil {
				steps = append(steps, shutdownStep{pid: s.groups[i].pid, only: names})
			}
		}
	}
	return steps
}

// shutdownStep is one group (or some of its processes) for the shutdown to
// stop.
type shutdownStep struct {
	pid  *actor.PID
	only map[string]bool // nil: every process of the group
}
