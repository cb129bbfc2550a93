package auth

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestRoles(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Role
		ok   bool
	}{
		{"read", Read, true}, {" Operate ", Operate, true}, {"ADMIN", Admin, true},
		{"none", None, false}, {"", None, false}, {"root", None, false},
	} {
		got, err := ParseRole(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseRole(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok && got.String() != strings.ToLower(strings.TrimSpace(tc.in)) {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
}

func TestAllowed(t *testing.T) {
	if !Allowed(context.Background(), Admin) {
		t.Error("a request without a principal (no authentication) must be admin")
	}
	ctx := With(context.Background(), Principal{User: "ro", Role: Read})
	for r, want := range map[Role]bool{None: true, Read: true, Operate: false, Admin: false} {
		if Allowed(ctx, r) != want {
			t.Errorf("read principal Allowed(%v) = %v", r, !want)
		}
	}
}

func TestAudit(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == slog.LevelKey {
				return slog.Attr{}
			}
			return a
		}}))
	ctx := With(context.Background(), Principal{User: "alice", Role: Operate, Remote: "127.0.0.1:4000"})
	Audit(log, ctx, "supervisor.stopProcess", "web:web_0")
	Audit(log, context.Background(), "supervisor.shutdown") // no principal: no line
	want := `msg="supervisor.stopProcess web:web_0 by alice (operate) from 127.0.0.1:4000"` + "\n" +
		""
	if buf.String() != want {
		t.Errorf("audit lines:\n%s\nwant:\n%s", buf.String(), want)
	}
}
