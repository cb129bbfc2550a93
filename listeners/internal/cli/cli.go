// Package cli is what the built-in listeners (memmon, httpok, crashmail)
// share around their monitors: reading the command line (with Python's
// getopt semantics, as superlance's do), the main that runs a monitor
// under supervisord, sending a notification, and the size and duration
// values their options take.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"supervisord/internal/getopt"
	"supervisord/listeners"
	"supervisord/listeners/notify"
	"supervisord/listeners/rpc"
)

// ErrHelp is what parsing returns for -h: print the usage and exit 0.
var ErrHelp = errors.New("help requested")

// Flag is one option of a listener's command line and what it does with
// its value; set is given the option as written ("-p" or "--program").
type Flag struct {
	Opt getopt.Option
	Set func(name, value string) error
}

// Parse reads args, calling each option's Set in command-line order. A
// syntax error anywhere comes first, as in superlance; then check, when
// not nil, judges the arguments after the options; then the first Set to
// fail ends it. rest is what follows the options.
func Parse(args []string, check func(rest []string) error, flags ...Flag) (rest []string, err error) {
	table := make([]getopt.Option, len(flags))
	for i, f := range flags {
		table[i] = f.Opt
	}
	opts, rest, err := getopt.Parse(args, table)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(rest); err != nil {
			return nil, err
		}
	}
	for _, o := range opts {
		if err := flags[o.Index].Set(o.Name, o.Value); err != nil {
			return nil, err
		}
	}
	return rest, nil
}

// NoArgs is a Parse check for a command line of options only.
func NoArgs(rest []string) error {
	if len(rest) > 0 {
		return fmt.Errorf("unexpected argument %q", rest[0])
	}
	return nil
}

// Help is the -h/--help every built-in listener has.
var Help = Flag{getopt.Spec("h", "help"), func(string, string) error { return ErrHelp }}

// Text stores the value in dst.
func Text(dst *string) func(string, string) error {
	return func(_, v string) error { *dst = v; return nil }
}

// List appends the value to dst.
func List(dst *[]string) func(string, string) error {
	return func(_, v string) error { *dst = append(*dst, v); return nil }
}

// Bool sets dst to b.
func Bool(dst *bool, b bool) func(string, string) error {
	return func(string, string) error { *dst = b; return nil }
}

// NotifyFlags are the options that say where notifications go: -m/--email
// and -s/--sendmail_program, as in superlance, and the listener's own
// spellings of the command and webhook options.
func NotifyFlags(n *notify.Notifier, command, webhook getopt.Option) []Flag {
	return []Flag{
		{getopt.Spec("m:", "email="), Text(&n.Email)},
		{getopt.Spec("s:", "sendmail_program="), Text(&n.Sendmail)},
		{command, Text(&n.Command)},
		{webhook, Text(&n.Webhook)},
	}
}

// Program is a built-in listener as Main runs it.
type Program struct {
	Name  string // in messages: "memmon: ..."
	Usage string // the -h text, also printed after a command line error
	// Parse reads the command line; ErrHelp asks for Usage.
	Parse func() error
	// RPC, when set, receives a client of the supervisord that runs the
	// listener, from Getenv's SUPERVISOR_SERVER_URL and credentials.
	RPC    **rpc.Client
	Getenv func(string) string
	// Handle is given each event.
	Handle func(*listeners.Event) error
}

// Main runs p on stdin and stdout (the event listener protocol) and
// returns its exit status: 0 after -h or at the end of input, 2 for a bad
// command line or no supervisord to talk to, 1 when the protocol fails.
func (p Program) Main(stdin io.Reader, stdout, stderr io.Writer) int {
	err := p.Parse()
	if errors.Is(err, ErrHelp) {
		io.WriteString(stdout, p.Usage)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n\n%s", p.Name, err, p.Usage)
		return 2
	}
	if p.RPC != nil {
		if *p.RPC, err = rpc.FromEnv(p.Getenv); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", p.Name, err)
			return 2
		}
	}
	if err := listeners.New(stdin, stdout).Run(p.Handle); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", p.Name, err)
		return 1
	}
	return 0
}

// Notify sends msg with send, or with n's Notify when send is nil (tests
// set send), and writes a failure to stderr after failed: a listener
// acknowledges its event whether or not the message went out.
func Notify(ctx context.Context, send func(context.Context, notify.Message) error, n *notify.Notifier,
	msg notify.Message, stderr io.Writer, failed string) {
	if send == nil {
		send = n.Notify
	}
	if err := send(ctx, msg); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", failed, err)
	}
}

// ByteSize reads a size like supervisor's byte_size: an integer with an
// optional case-insensitive KB, MB or GB suffix (powers of 1024).
func ByteSize(s string) (int64, error) {
	return multiplied(s, map[string]int64{"kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30})
}

// Seconds reads a duration in seconds with an optional s, m, h or d
// suffix, as superlance's memmon -u.
func Seconds(s string) (int64, error) {
	return multiplied(s, map[string]int64{"s": 1, "m": 60, "h": 3600, "d": 86400})
}

func multiplied(s string, suffixes map[string]int64) (int64, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for suf, m := range suffixes {
		if strings.HasSuffix(l, suf) {
			l, mult = strings.TrimSpace(l[:len(l)-len(suf)]), m
			break
		}
	}
	n, err := strconv.ParseInt(l, 10, 64)
	if err != nil || n < 0 || n > (1<<63-1)/mult {
		return 0, fmt.Errorf("not a valid size: %q", s)
	}
	return n * mult, nil
}
