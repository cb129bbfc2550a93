package conf

import (
	"reflect"
	"testing"
)

func TestDependents(t *testing.T) {
	cfg := parseText(t, `
[group:g]
programs=a,b
[program:a]
command=/bin/true
process_name=a_%(process_num)d
numprocs=2
[program:b]
command=/bin/true
depends_on=a
[program:web]
command=/bin/true
priority=5
depends_on=g:*,g:a_1:started,db
[program:db]
command=/bin/true
[program:lone]
command=/bin/true
`)
	if !cfg.HasDependencies() {
		t.Fatal("HasDependencies() = false")
	}
	ref := func(g, n string) ProcessRef { return ProcessRef{Group: g, Name: n} }
	web, b := ref("web", "web"), ref("g", "b")
	// web comes first in config order: its priority 5 sorts it ahead.
	want := map[ProcessRef][]ProcessRef{
		ref("g", "a_0"): {web, b},
		ref("g", "a_1"): {web, b},
		b:               {web},
		ref("db", "db"): {web},
	}
	if got := cfg.Dependents(); !reflect.DeepEqual(got, want) {
		t.Errorf("Dependents() = %v\nwant %v", got, want)
	}
	plain := parseText(t, "[program:x]\ncommand=/bin/true\n")
	if plain.HasDependencies() || len(plain.Dependents()) != 0 {
		t.Errorf("a config without depends_on has dependencies: %v", plain.Dependents())
	}
}
