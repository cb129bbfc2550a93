// Package auth is who is asking and what they may do: the roles of the
// control surface, the principal a server attaches to each request's
// context, and the main-log line every mutating call leaves.
//
// A server decides who the caller is (basic credentials, a client
// certificate, the uid of a unix-socket peer) and puts a Principal in the
// request's context; handlers (XML-RPC, the JSON API, the web page) ask
// Allowed before they act. A request with no principal comes from a server
// without authentication and may do everything, as with the reference.
package auth

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// Role is what a principal may do; each role includes the ones below it.
type Role int

// The roles, from least to most.
const (
	// None may do nothing (a unix-socket peer whose uid no peer_roles
	// entry names, when the server requires a role).
	None Role = iota
	// Read sees status, logs, events and metrics.
	Read
	// Operate also starts, stops, restarts and signals processes and
	// writes to their stdin.
	Operate
	// Admin also reloads, adds and removes groups, clears logs, shuts the
	// daemon down, restarts and upgrades it.
	Admin
)

var roleNames = [...]string{None: "none", Read: "read", Operate: "operate", Admin: "admin"}

// String is the role's name as configured ("read", "operate", "admin").
func (r Role) String() string {
	if r < 0 || int(r) >= len(roleNames) {
		return fmt.Sprintf("Role(%d)", int(r))
	}
	return roleNames[r]
}

// ParseRole reads a configured role name, case-insensitively.
func ParseRole(s string) (Role, error) {
	for r, name := range roleNames {
		if r != int(None) && strings.EqualFold(strings.TrimSpace(s), name) {
			return Role(r), nil
		}
	}
	return None, fmt.Errorf("invalid role %q (want read, operate or admin)", s)
}

// Principal is the caller of one request.
type Principal struct {
	User   string // the account, "uid:N" for a unix peer; "" without authentication
	Role   Role
	Remote string // where from: "ADDR:PORT", or "unix" with the peer's pid
}

type ctxKey struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From is the principal of a request; a request from a server without
// authentication has none and is an anonymous Admin.
func From(ctx context.Context) Principal {
	if p, ok := ctx.Value(ctxKey{}).(Principal); ok {
		return p
	}
	return Principal{Role: Admin}
}

// Allowed reports whether the request's principal holds at least role r.
func Allowed(ctx context.Context, r Role) bool { return From(ctx).Role >= r }

// Audit writes the main-log line of a mutating call: who did what, to what,
// from where. what is the call as its surface names it
// ("supervisor.stopProcess", "POST /api/v1/processes/web:web_0/stop").
// A request no server identified (no accounts, no peer_roles) leaves no
// line: the main log of a config without authentication stays the
// reference's.
func Audit(log *slog.Logger, ctx context.Context, what string, args ...string) {
	p := From(ctx)
	who := p.User
	if who == "" {
		return
	}
	msg := strings.Join(append([]string{what}, args...), " ") + fmt.Sprintf(" by %s (%s)", who, p.Role)
	if p.Remote != "" {
		msg += " from " + p.Remote
	}
	log.InfoContext(ctx, msg)
}
