package conf

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"supervisord/internal/auth"
)

// fakeUsers resolves a fixed set of user names, as the tests' lookup.
func fakeUsers(name string) (int, error) {
	if uid, ok := map[string]int{"root": 0, "alice": 1000, "www-data": 33}[name]; ok {
		return uid, nil
	}
	return 0, errors.New("no such user " + name)
}

func TestParsePeerRoles(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []PeerRole
		err  string
	}{
		{in: "", want: nil},
		{in: "  ", want: nil},
		{in: "0:admin", want: []PeerRole{{0, auth.Admin}}},
		{in: "root:admin, alice:Operate ,33:read", want: []PeerRole{{0, auth.Admin}, {1000, auth.Operate}, {33, auth.Read}}},
		{in: "www-data : read", want: []PeerRole{{33, auth.Read}}},
		{in: "4294967294:read", want: []PeerRole{{4294967294, auth.Read}}},
		{in: "4294967295:read", err: "entry 1 '4294967295:read': invalid uid 4294967295"},
		{in: "99999999999:read", err: "invalid uid 99999999999"},
		{in: "1x:read", err: "invalid uid 1x"},
		{in: "bob:read", err: "entry 1 'bob:read': no such user bob"},
		{in: "0:none", err: `entry 1 '0:none': invalid role "none"`},
		{in: "0", err: "entry 1 '0' is not UID_OR_USER:ROLE"},
		{in: ":read", err: "entry 1 ':read' is not UID_OR_USER:ROLE"},
		{in: "0:read,", err: "entry 2 '' is not UID_OR_USER:ROLE"},
		{in: "root:read,0:admin", err: "entry 2 '0:admin': uid 0 has a role already (entry 1)"},
		{in: "0:read:admin", err: `invalid role "read:admin"`},
	} {
		got, err := parsePeerRoles(tc.in, fakeUsers)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parsePeerRoles(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parsePeerRoles(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParsePeerRoles(f *testing.F) {
	for _, s := range []string{"", "0:admin", "root:admin, alice:operate,33:read", "0:read,0:admin", ":", ",,", "4294967295:read"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parsePeerRoles(s, fakeUsers)
		if err != nil {
			if got != nil {
				t.Fatalf("%q: error %v with a result %v", s, err, got)
			}
			return
		}
		seen := map[int]bool{}
		for _, p := range got {
			if p.Role < auth.Read || p.Role > auth.Admin {
				t.Fatalf("%q: role %v", s, p.Role)
			}
			if p.UID < 0 || p.UID >= 1<<32-1 || seen[p.UID] {
				t.Fatalf("%q: uid %d (seen %v)", s, p.UID, seen[p.UID])
			}
			seen[p.UID] = true
		}
		// Written back out, the entries read the same.
		var parts []string
		for _, p := range got {
			parts = append(parts, strings.Repeat(" ", len(parts)%2)+strconv.Itoa(p.UID)+":"+p.Role.String())
		}
		again, err := parsePeerRoles(strings.Join(parts, ","), fakeUsers)
		if err != nil || !slices.Equal(again, got) {
			t.Fatalf("%q: %v read back as %v, %v", s, got, again, err)
		}
	})
}
