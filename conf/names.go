package conf

// Process is the group's process of that name, nil when it has none.
func (g *Group) Process(name string) *Process {
	for _, p := range g.Processes {
		if p.Name == name {
			return p
		}
	}
	return nil
}
