package conf

import (
	"testing"

	"supervisord/testkit"
)

var namespecCases = []struct {
	spec, group, process string
}{
	{"web", "web", "web"},
	{"web:web_0", "web", "web_0"},
	{"web:*", "web", ""},
	{"web:", "web", ""},
	{":", "", ""},
	{":x", "", "x"},
	{"a:b:c", "a", "b:c"},
	{"a:*:", "a", "*:"},
	{"a:**", "a", "**"},
	{"*", "*", "*"},
	{"", "", ""},
	{"é:ü", "é", "ü"},
}

func TestSplitNamespec(t *testing.T) {
	for _, c := range namespecCases {
		if g, p := SplitNamespec(c.spec); g != c.group || p != c.process {
			t.Errorf("SplitNamespec(%q) = %q, %q; want %q, %q", c.spec, g, p, c.group, c.process)
		}
	}
	for _, c := range []struct{ group, process, want string }{
		{"web", "web", "web"},
		{"web", "web_0", "web:web_0"},
		{"", "", ""},
		{"a", "", "a:"},
		{"a", "b:c", "a:b:c"},
	} {
		if got := Namespec(c.group, c.process); got != c.want {
			t.Errorf("Namespec(%q, %q) = %q, want %q", c.group, c.process, got, c.want)
		}
	}
}

// TestNamespecReference runs the table through the reference's own
// split_namespec and make_namespec.
func TestNamespecReference(t *testing.T) {
	var specs []string
	for _, c := range namespecCases {
		specs = append(specs, c.spec)
	}
	var ref [][3]*string
	testkit.PythonJSON(t, `
import sys, json
from supervisor.options import split_namespec, make_namespec
res = []
for s in json.loads(sys.argv[1]):
    g, p = split_namespec(s)
    res.append([g, p, make_namespec(g, p) if p is not None else None])
print(json.dumps(res))
`, specs, &ref)
	for i, c := range namespecCases {
		g, p := SplitNamespec(c.spec)
		rg, rp, rname := ref[i][0], ref[i][1], ref[i][2]
		// The reference's None process is our "", and so is the "" of an
		// empty spec (which names nothing either way).
		refProcess := ""
		if rp != nil {
			refProcess = *rp
		}
		if g != *rg || p != refProcess {
			t.Errorf("SplitNamespec(%q) = %q, %q; the reference's %q, %v", c.spec, g, p, *rg, refProcess)
		}
		if rname != nil && Namespec(g, p) != *rname {
			t.Errorf("Namespec(%q, %q) = %q; the reference's %q", g, p, Namespec(g, p), *rname)
		}
	}
}

func FuzzNamespec(f *testing.F) {
	for _, c := range namespecCases {
		f.Add(c.spec)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		g, p := SplitNamespec(spec)
		if p == "" {
			// A whole group: its spec is the group and a colon, maybe a star.
			if spec != "" && spec != g+":" && spec != g+":*" {
				t.Fatalf("SplitNamespec(%q) = %q, whole group", spec, g)
			}
			return
		}
		// A process: its namespec reads back the same.
		if g2, p2 := SplitNamespec(Namespec(g, p)); g2 != g || p2 != p {
			t.Fatalf("SplitNamespec(Namespec(%q, %q)) = %q, %q", g, p, g2, p2)
		}
		if g == p && spec != g && spec != g+":"+p {
			t.Fatalf("SplitNamespec(%q) = %q, %q", spec, g, p)
		}
		if g != p && spec != g+":"+p {
			t.Fatalf("SplitNamespec(%q) = %q, %q", spec, g, p)
		}
	})
}
