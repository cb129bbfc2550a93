package cli

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"supervisord/internal/getopt"
	"supervisord/listeners"
	"supervisord/listeners/listenertest"
	"supervisord/listeners/notify"
	"supervisord/listeners/rpc"
	"supervisord/protocol/events"
)

type parsed struct {
	programs []string
	any      bool
	name     string
	n        notify.Notifier
}

func flags(p *parsed) []Flag {
	return append([]Flag{
		Help,
		{getopt.Spec("p:", "program="), List(&p.programs)},
		{getopt.Spec("a", "any"), Bool(&p.any, true)},
		{getopt.Spec("x", "none"), Bool(&p.any, false)},
		{getopt.Spec("n:", "name="), func(opt, v string) error {
			if v == "" {
				return errors.New("empty " + opt)
			}
			p.name = v
			return nil
		}},
	}, NotifyFlags(&p.n, getopt.Spec("c:", "command="), getopt.Spec("", "webhook="))...)
}

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		check   func([]string) error
		want    parsed
		rest    []string
		wantErr string
	}{
		{args: []string{"-ap", "x", "-pgrp:y", "--prog=z", "-n", "me", "url"},
			want: parsed{programs: []string{"x", "grp:y", "z"}, any: true, name: "me"}, rest: []string{"url"}},
		{args: []string{"-a", "-x"}, want: parsed{}},
		{args: []string{"-m", "root", "-s", "mail -t", "-c", "cmd", "--web", "http://h", "--email=ops", "--sendmail_program=x"},
			want: parsed{n: notify.Notifier{Email: "ops", Sendmail: "x", Command: "cmd", Webhook: "http://h"}}},
		{args: []string{"-a", "-h", "-n", ""}, wantErr: "help requested"},
		{args: []string{"-n", "", "-h"}, wantErr: "empty -n"},
		{args: []string{"--name=", "-h"}, wantErr: "empty --name"},
		{args: []string{"-h", "-q"}, wantErr: "option -q not recognized"},
		{args: []string{"--n", "x"}, wantErr: "option --n not a unique prefix"},
		{args: []string{"-h", "x"}, check: NoArgs, wantErr: `unexpected argument "x"`},
		{args: []string{"-a", "--", "-h"}, check: NoArgs, wantErr: `unexpected argument "-h"`},
		{args: []string{"-a"}, check: NoArgs, want: parsed{any: true}},
	} {
		var p parsed
		rest, err := Parse(tt.args, tt.check, flags(&p)...)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Parse(%q) error = %v, want %s", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(rest, tt.rest) || !slices.Equal(p.programs, tt.want.programs) ||
			p.any != tt.want.any || p.name != tt.want.name || p.n != tt.want.n {
			t.Errorf("Parse(%q) = %+v, %q, %v; want %+v, %q", tt.args, p, rest, err, tt.want, tt.rest)
		}
	}
}

// TestMain runs a Program the way cmd/memmon and the others do, on a real
// event stream, and with the command lines and environments that stop it.
func TestProgramMain(t *testing.T) {
	srv := listenertest.New(&listenertest.Process{Name: "web", Group: "web", State: rpc.StateRunning})
	defer srv.Close()
	env := map[string]string{"SUPERVISOR_SERVER_URL": srv.URL}
	tick := listenertest.Stream(events.Tick{Period: 5, When: 5}, events.Tick{Period: 5, When: 10})
	for _, tt := range []struct {
		name    string
		args    []string
		rpc     bool
		env     map[string]string
		stdin   string
		code    int
		stdout  string // a prefix
		stderr  string
		handled int
	}{
		{name: "events", args: nil, rpc: true, env: env, stdin: tick, code: 0,
			stdout: "READY\nRESULT 2\nOKREADY\nRESULT 2\nOKREADY\n", handled: 2},
		{name: "no rpc needed", args: nil, stdin: tick, code: 0, stdout: "READY\nRESULT 2\nOK", handled: 2},
		{name: "help", args: []string{"-h"}, rpc: true, code: 0, stdout: "usage text\n"},
		{name: "bad option", args: []string{"-z"}, rpc: true, code: 2, stderr: "lis: option -z not recognized\n\nusage text\n"},
		{name: "no server", args: nil, rpc: true, env: map[string]string{}, code: 2,
			stderr: "lis: " + rpc.ErrNoServerURL.Error() + "\n"},
		{name: "broken stream", args: nil, stdin: "garbage\n", code: 1,
			stderr: "lis: listeners: bad header line \"garbage\\n\": "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var client *rpc.Client
			handled := 0
			p := Program{Name: "lis", Usage: "usage text\n",
				Parse:  func() error { _, err := Parse(tt.args, NoArgs, Help); return err },
				Getenv: func(k string) string { return tt.env[k] },
				Handle: func(ev *listeners.Event) error {
					handled++
					if client != nil {
						if _, err := client.GetAllProcessInfo(context.Background()); err != nil {
							t.Error(err)
						}
					}
					return nil
				}}
			if tt.rpc {
				p.RPC = &client
			}
			var stdout, stderr strings.Builder
			code := p.Main(strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.code || !strings.HasPrefix(stdout.String(), tt.stdout) || !strings.HasPrefix(stderr.String(), tt.stderr) ||
				(tt.stderr == "") != (stderr.Len() == 0) || handled != tt.handled {
				t.Errorf("Main = %d, stdout %q, stderr %q, %d events handled", code, stdout.String(), stderr.String(), handled)
			}
			if tt.rpc && tt.code == 0 && tt.handled > 0 && client == nil {
				t.Error("no RPC client was made")
			}
		})
	}
}

func TestNotify(t *testing.T) {
	msg := notify.Message{Subject: "s", Body: "b"}
	var got []notify.Message
	var stderr strings.Builder
	Notify(context.Background(), func(_ context.Context, m notify.Message) error { got = append(got, m); return nil },
		&notify.Notifier{Command: "exit 1"}, msg, &stderr, "x: could not")
	if len(got) != 1 || got[0].Subject != "s" || stderr.Len() != 0 {
		t.Errorf("with send: %v, %q", got, stderr.String())
	}
	// Without send, the Notifier's destinations are used.
	stderr.Reset()
	Notify(context.Background(), nil, &notify.Notifier{Command: "cat >/dev/null; echo down >&2; exit 1"}, msg, &stderr, "x: could not")
	if want := "x: could not: notify command: exit status 1: down\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
	stderr.Reset()
	Notify(context.Background(), nil, &notify.Notifier{}, msg, &stderr, "x: could not")
	if stderr.Len() != 0 {
		t.Errorf("no destination: %q", stderr.String())
	}
}

func TestSizes(t *testing.T) {
	for in, want := range map[string]int64{"10": 10, "1kb": 1024, "2MB": 2 << 20, "1Gb": 1 << 30, " 3 KB ": 3072} {
		if n, err := ByteSize(in); err != nil || n != want {
			t.Errorf("ByteSize(%q) = %d, %v", in, n, err)
		}
	}
	for _, bad := range []string{"", "kb", "1TB", "-1", "1.5MB", "99999999999GB"} {
		if n, err := ByteSize(bad); err == nil {
			t.Errorf("ByteSize(%q) = %d", bad, n)
		}
	}
	for in, want := range map[string]int64{"10": 10, "10s": 10, "2m": 120, "1h": 3600, "1d": 86400} {
		if n, err := Seconds(in); err != nil || n != want {
			t.Errorf("Seconds(%q) = %d, %v", in, n, err)
		}
	}
	if _, err := Seconds("1w"); err == nil {
		t.Error("1w")
	}
}
