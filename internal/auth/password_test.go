package auth

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func bcryptOf(t testing.TB, pw string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func TestPasswords(t *testing.T) {
	sum := sha1.Sum([]byte("secret"))
	sha := "{SHA}" + hex.EncodeToString(sum[:])
	hash := bcryptOf(t, "secret")
	for _, tc := range []struct {
		name, spec string
		bcrypt     bool
		accepts    []string
		refuses    []string
	}{
		{"plain", "secret", false, []string{"secret"}, []string{"", "Secret", "secret ", sha}},
		{"empty plain", "", false, []string{""}, []string{"x"}},
		{"sha", sha, false, []string{"secret"}, []string{sha, hex.EncodeToString(sum[:]), ""}},
		{"sha upper-case digest", strings.ToUpper(sha[:5]) + strings.ToUpper(sha[5:]), false, nil, []string{"secret"}},
		{"bcrypt 2a", hash, true, []string{"secret"}, []string{"", "secret2", hash}},
		{"bcrypt 2b", "$2b$" + hash[4:], true, []string{"secret"}, []string{"Secret"}},
		{"bcrypt 2y", "$2y$" + hash[4:], true, []string{"secret"}, []string{"nope"}},
		{"looks like another hash", "$1$abc", false, []string{"$1$abc"}, []string{"abc"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePassword(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if p.IsBcrypt() != tc.bcrypt {
				t.Errorf("IsBcrypt = %v", p.IsBcrypt())
			}
			for range 2 { // the second time from bcrypt's memory of a success
				for _, s := range tc.accepts {
					if !p.Verify(s) {
						t.Errorf("Verify(%q) = false", s)
					}
				}
				for _, s := range tc.refuses {
					if p.Verify(s) {
						t.Errorf("Verify(%q) = true", s)
					}
				}
			}
		})
	}
	for _, bad := range []string{"$2a$", "$2b$10$short", "$2y$99$" + hash[7:], "$2a$10" + hash[6:] + "x", "$2a$17" + hash[6:]} {
		if _, err := ParsePassword(bad); err == nil || !strings.Contains(err.Error(), "bcrypt") {
			t.Errorf("ParsePassword(%q) = %v; want an invalid bcrypt hash", bad, err)
		}
	}
	// A server's password is never a bcrypt hash: the reference takes it
	// as it is written.
	if p := ServerPassword(hash); p.IsBcrypt() || !p.Verify(hash) || p.Verify("secret") {
		t.Errorf("ServerPassword(%q) is not the plain text", hash)
	}
}

func FuzzParsePassword(f *testing.F) {
	hash := bcryptOf(f, "pw")
	for _, s := range []string{"", "pw", "{SHA}", "{SHA}0123", hash, "$2b$" + hash[4:], "$2y$04$", "$2a$04$x"} {
		f.Add(s, "pw")
	}
	f.Fuzz(func(t *testing.T, spec, given string) {
		p, err := ParsePassword(spec)
		if err != nil {
			if !strings.HasPrefix(spec, "$2") {
				t.Fatalf("%q: %v, but only bcrypt-looking specs can fail", spec, err)
			}
			return
		}
		if cost, _ := bcrypt.Cost([]byte(spec)); p.IsBcrypt() && (len(given) > 72 || cost > 6) {
			return // too long for bcrypt, or too slow to fuzz
		}
		got := p.Verify(given)
		if !p.IsBcrypt() && !strings.HasPrefix(spec, "{SHA}") && got != (given == spec) {
			t.Fatalf("plain %q: Verify(%q) = %v", spec, given, got)
		}
		if p.Verify(given) != got {
			t.Fatalf("%q: Verify(%q) changed its mind", spec, given)
		}
	})
}
