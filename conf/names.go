package conf

import "strings"

// Process is the group's process of that name, nil when it has none.
func (g *Group) Process(name string) *Process {
	for _, p := range g.Processes {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// SplitNamespec reads a namespec as the reference does: "name" is the
// process of a group of the same name, "group:name" one process of a
// group, and "group:*" or "group:" the whole group (process "").
func SplitNamespec(spec string) (group, process string) {
	g, p, ok := strings.Cut(spec, ":")
	if !ok {
		return spec, spec
	}
	if p == "*" {
		p = ""
	}
	return g, p
}

// Namespec is the name the reference shows for a process: just its name in
// a group of the same name, "group:name" otherwise.
func Namespec(group, process string) string {
	if group == process {
		return process
	}
	return group + ":" + process
}
