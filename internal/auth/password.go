package auth

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"
)

// Password is a configured password: plain text, "{SHA}" and the hex
// SHA-1 of the password (the reference's form), or a bcrypt hash
// ("$2a$", "$2b$" or "$2y$", as htpasswd -B writes them).
type Password struct {
	kind   passwordKind
	stored string // the plain text, the hex digest or the bcrypt hash
	// verified remembers the last password a bcrypt hash accepted (a
	// salted SHA-256 of it), so that a client sending its credentials with
	// every request pays bcrypt's cost once rather than per request.
	verified *atomic.Pointer[[sha256.Size]byte]
}

type passwordKind int

const (
	plainPassword passwordKind = iota
	shaPassword
	bcryptPassword
)

var bcryptPrefixes = []string{"$2a$", "$2b$", "$2y$"}

// MaxBcryptCost is the highest cost a bcrypt hash may have: 16 already
// costs seconds a check (10, htpasswd's and bcrypt's usual, some 50 ms).
const MaxBcryptCost = 16

const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// ParsePassword reads a password= value of a [user:NAME] section: a bcrypt
// hash when it starts with "$2a$", "$2b$" or "$2y$" (a malformed one is an
// error rather than a plain password that happens to look like one), a
// SHA-1 digest after "{SHA}", otherwise the password itself.
func ParsePassword(spec string) (Password, error) {
	for _, p := range bcryptPrefixes {
		if !strings.HasPrefix(spec, p) {
			continue
		}
		cost, err := bcrypt.Cost([]byte(spec))
		if err != nil {
			return Password{}, fmt.Errorf("invalid bcrypt hash (%w)", err)
		}
		if cost > MaxBcryptCost {
			return Password{}, fmt.Errorf("bcrypt cost %d is above %d: every login would take minutes", cost, MaxBcryptCost)
		}
		// The cost is read; the salt and digest must be 53 characters of
		// bcrypt's base64 after "$2a$NN$", or no password would match.
		if len(spec) != 60 || spec[6] != '$' || strings.Trim(spec[7:], bcryptAlphabet) != "" {
			return Password{}, fmt.Errorf("invalid bcrypt hash (want 60 characters: $2a$, two digits of cost, $, 53 of salt and digest)")
		}
		return Password{kind: bcryptPassword, stored: spec, verified: new(atomic.Pointer[[sha256.Size]byte])}, nil
	}
	return ServerPassword(spec), nil
}

// ServerPassword reads the password= of [inet_http_server] and
// [unix_http_server] as the reference does: "{SHA}" and a hex digest, or
// the password itself, never a bcrypt hash (a password the reference takes
// as plain text stays plain text).
func ServerPassword(spec string) Password {
	if digest, ok := strings.CutPrefix(spec, "{SHA}"); ok {
		return Password{kind: shaPassword, stored: digest}
	}
	return Password{kind: plainPassword, stored: spec}
}

// Verify reports whether given is the password, in constant time for the
// plain and SHA-1 forms.
func (p Password) Verify(given string) bool {
	switch p.kind {
	case shaPassword:
		sum := sha1.Sum([]byte(given))
		return subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(p.stored)) == 1
	case bcryptPassword:
		mark := remember(given)
		if last := p.verified.Load(); last != nil && subtle.ConstantTimeCompare(last[:], mark[:]) == 1 {
			return true
		}
		if bcrypt.CompareHashAndPassword([]byte(p.stored), []byte(given)) != nil {
			return false
		}
		p.verified.Store(&mark)
		return true
	}
	return subtle.ConstantTimeCompare([]byte(given), []byte(p.stored)) == 1
}

// IsBcrypt says the password is a bcrypt hash, whose checks are slow.
func (p Password) IsBcrypt() bool { return p.kind == bcryptPassword }

// rememberSalt keys the marks of verified passwords to this process, so
// that a mark seen in memory is of no use elsewhere.
var rememberSalt = func() [32]byte {
	var b [32]byte
	rand.Read(b[:])
	return b
}()

func remember(given string) [sha256.Size]byte {
	h := sha256.New()
	h.Write(rememberSalt[:])
	h.Write([]byte(given))
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// dummyHash is checked against when a login names no account while some
// accounts use bcrypt, so that the answer takes as long either way and
// does not tell which names exist.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("no such account"), bcrypt.DefaultCost)
	return h
})

// WasteBcrypt costs what checking a bcrypt password costs, for a login
// whose account does not exist.
func WasteBcrypt(given string) { bcrypt.CompareHashAndPassword(dummyHash(), []byte(given)) }
