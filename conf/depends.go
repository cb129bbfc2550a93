package conf

import (
	"fmt"
	"slices"
	"strings"
)

// ref names p.
func (p *Process) ref() ProcessRef { return ProcessRef{Group: p.Group, Name: p.Name} }

// HasDependencies reports whether any process sets depends_on.
func (c *Config) HasDependencies() bool {
	for _, g := range c.Groups {
		for _, p := range g.Processes {
			if len(p.Lifecycle.DependsOn) > 0 {
				return true
			}
		}
	}
	return false
}

// Dependents maps each process some other process depends on to those
// dependents, each once and in config order (Groups, then each group's
// Processes): the reverse of the DependsOn edges.
func (c *Config) Dependents() map[ProcessRef][]ProcessRef {
	out := map[ProcessRef][]ProcessRef{}
	for _, g := range c.Groups {
		for _, p := range g.Processes {
			me := p.ref()
			for _, d := range p.Lifecycle.DependsOn {
				for _, t := range d.Targets {
					// A process's edges are added together, so a repeat
					// of it is the last one.
					if l := out[t]; len(l) == 0 || l[len(l)-1] != me {
						out[t] = append(l, me)
					}
				}
			}
		}
	}
	return out
}

// resolveDependencies fills every depends_on entry's Targets from groups
// (sorted, so in config order), and refuses unknown names, a process
// depending on itself, "healthy" on a process that has no health check and
// any cycle. Each error points at the depends_on line of the process it
// concerns (l.sections).
func (l *loader) resolveDependencies(groups []*Group) error {
	var all []*Process
	byGroup := map[string]*Group{}
	for _, g := range groups {
		if _, ok := byGroup[g.Name]; !ok {
			byGroup[g.Name] = g
		}
		all = append(all, g.Processes...)
	}
	for _, p := range all {
		for i := range p.Lifecycle.DependsOn {
			d := &p.Lifecycle.DependsOn[i]
			targets, err := dependencyTargets(d.Name, groups, byGroup)
			if err == nil {
				err = checkTargets(p, *d, targets)
			}
			if err != nil {
				return l.fail(l.sections[p], "depends_on", err)
			}
			d.Targets = make([]ProcessRef, len(targets))
			for j, t := range targets {
				d.Targets[j] = t.ref()
			}
		}
	}
	if cycle := dependencyCycle(all); cycle != nil {
		names := make([]string, len(cycle)+1)
		for i, p := range cycle {
			names[i] = p.ref().String()
		}
		names[len(cycle)] = names[0]
		return l.fail(l.sections[cycle[0]], "depends_on", fmt.Errorf("dependency cycle: %s", strings.Join(names, " -> ")))
	}
	return nil
}

// dependencyTargets finds the processes a depends_on name stands for: a
// name without a colon is a whole group, or else every process of a program
// of that name (one inside a [group:x]); "group:name" is the processes of
// that group named name, or else of its program name; "group:*" is the
// whole group.
func dependencyTargets(name string, groups []*Group, byGroup map[string]*Group) ([]*Process, error) {
	gname, pname, qualified := strings.Cut(name, ":")
	if !qualified {
		if g, ok := byGroup[name]; ok {
			return g.Processes, nil
		}
		var out []*Process
		for _, g := range groups {
			for _, p := range g.Processes {
				if p.Program == name {
					out = append(out, p)
				}
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("unknown program or group %s", PyRepr(name))
		}
		return out, nil
	}
	g, ok := byGroup[gname]
	if !ok {
		return nil, fmt.Errorf("unknown group %s in %s", PyRepr(gname), PyRepr(name))
	}
	if pname == "*" {
		return g.Processes, nil
	}
	if p := g.Process(pname); p != nil {
		return []*Process{p}, nil
	}
	var out []*Process
	for _, p := range g.Processes {
		if p.Program == pname {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("group %s has no process or program %s (a condition is one of %s)", PyRepr(gname), PyRepr(pname), orList(conditionWords()))
	}
	return out, nil
}

// checkTargets refuses p depending on itself through d, and d's healthy
// condition on a target without a health check.
func checkTargets(p *Process, d Dependency, targets []*Process) error {
	for _, t := range targets {
		if t == p {
			if d.Name == p.ref().String() {
				return fmt.Errorf("%s depends on itself", d.Name)
			}
			return fmt.Errorf("%s depends on itself through %s", p.ref(), PyRepr(d.Name))
		}
		if d.Condition == CondHealthy && t.Lifecycle.Health.Kind == ProbeNone && t.Lifecycle.Watchdog == 0 {
			return fmt.Errorf("%s: %s has neither health= nor watchdog_sec=, so it is never healthy", PyRepr(d.String()), t.ref())
		}
	}
	return nil
}

// dependencyCycle finds a cycle among all's resolved dependencies, nil when
// there is none. It searches in config order and starts the cycle it
// reports at its member that comes first in all.
func dependencyCycle(all []*Process) []*Process {
	index := make(map[ProcessRef]int, len(all))
	for i, p := range all {
		index[p.ref()] = i
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(all))
	var path []int
	var visit func(i int) []int
	visit = func(i int) []int {
		state[i] = onPath
		path = append(path, i)
		for _, d := range all[i].Lifecycle.DependsOn {
			for _, t := range d.Targets {
				j := index[t]
				switch state[j] {
				case onPath:
					return path[slices.Index(path, j):]
				case unseen:
					if c := visit(j); c != nil {
						return c
					}
				}
			}
		}
		path = path[:len(path)-1]
		state[i] = done
		return nil
	}
	for i := range all {
		if state[i] != unseen {
			continue
		}
		if c := visit(i); c != nil {
			first := slices.Index(c, slices.Min(c))
			cycle := make([]*Process, 0, len(c))
			for _, j := range slices.Concat(c[first:], c[:first]) {
				cycle = append(cycle, all[j])
			}
			return cycle
		}
	}
	return nil
}
