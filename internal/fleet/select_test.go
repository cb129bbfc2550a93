package fleet

import (
	"testing"

	"supervisord/protocol/selector"
)

// A selector picks a node by its labels and by its name, as the reserved
// label "node", which overrides a label of that key.
func TestNodeMatches(t *testing.T) {
	web1 := Node{Name: "web-1", Labels: map[string]string{"role": "web", "zone": "a"}}
	odd := Node{Name: "db-1", Labels: map[string]string{"role": "db", "node": "web-1"}}
	bare := Node{Name: "bare"}
	for _, tc := range []struct {
		sel  string
		want [3]bool // web1, odd, bare
	}{
		{"", [3]bool{true, true, true}},
		{"role=web", [3]bool{true, false, false}},
		{"node=web-1", [3]bool{true, false, false}},
		{"node=db-1", [3]bool{false, true, false}},
		{"node in (web-1,bare)", [3]bool{true, false, true}},
		{"node!=web-1", [3]bool{false, true, true}},
		{"node=web-1,zone=b", [3]bool{false, false, false}},
		{"node", [3]bool{true, true, true}},
		{"!node", [3]bool{false, false, false}},
	} {
		sel, err := selector.Parse(tc.sel)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range []Node{web1, odd, bare} {
			if got := n.Matches(sel); got != tc.want[i] {
				t.Errorf("%q picks %s: %v, want %v", tc.sel, n.Name, got, tc.want[i])
			}
		}
		if web1.Labels["node"] != "" {
			t.Fatalf("Matches changed the node's labels: %v", web1.Labels)
		}
	}
}
