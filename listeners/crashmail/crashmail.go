// Package crashmail is an event listener that reports processes exiting
// unexpectedly, like superlance's crashmail: subscribe it to
// PROCESS_STATE (or PROCESS_STATE_EXITED, plus PROCESS_STATE_FATAL with
// -f) and it sends a message for each PROCESS_STATE_EXITED with
// expected:0, through a command, a webhook or sendmail.
package crashmail

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"supervisord/conf"
	"supervisord/internal/getopt"
	"supervisord/listeners"
	"supervisord/listeners/internal/cli"
	"supervisord/listeners/notify"
	"supervisord/protocol/events"
)

// Usage is the -h text.
const Usage = `crashmail [-p processname] [-a] [-f] [-o prefix] [-c command] [-w url]
          [-m email] [-s sendmail]

An event listener that sends a message when a process exits unexpectedly
(a PROCESS_STATE_EXITED event with expected:0). Run it from an
[eventlistener:x] section subscribed to PROCESS_STATE:

  [eventlistener:crashmail]
  command=crashmail -a -w https://hooks.example.com/supervisor
  events=PROCESS_STATE

Options:

-p, --program NAME   report this process; "group:name" names a process of
                     a group. May be repeated.
-a, --any            report every process (the default when no -p is given).
-f, --fatal          also report processes entering the FATAL state (they
                     could not be started).
-o, --optionalheader PREFIX
                     put "PREFIX:" before the subject.
-c, --command CMD    run CMD with /bin/sh -c for each report, the message
                     on its stdin and the subject in $NOTIFY_SUBJECT.
-w, --webhook URL    POST each report to URL as a JSON object: subject,
                     message, eventname, processname, groupname,
                     from_state, pid, expected, serial, time.
-m, --email ADDR     mail each report to ADDR through the sendmail command.
-s, --sendmail_program CMD
                     the sendmail command, given "To:" and "Subject:"
                     headers then the message on stdin (default
                     "/usr/sbin/sendmail -t -i").
-h, --help           print this help.

With no -c, -w or -m, reports only go to stderr (the listener's log).
A report that cannot be delivered is logged to stderr; the event is still
acknowledged, so that a dead webhook does not make supervisord resend it
in a loop.
`

// Options are crashmail's settings.
type Options struct {
	Programs []string // process names or group:name
	Any      bool
	Fatal    bool
	Prefix   string
	Notifier notify.Notifier
}

// ErrHelp is returned by ParseArgs for -h.
var ErrHelp = cli.ErrHelp

// ParseArgs reads the command line (without the program name).
func ParseArgs(args []string) (Options, error) {
	var o Options
	_, err := cli.Parse(args, cli.NoArgs, append([]cli.Flag{
		cli.Help,
		{Opt: getopt.Spec("p:", "program="), Set: cli.List(&o.Programs)},
		{Opt: getopt.Spec("a", "any"), Set: cli.Bool(&o.Any, true)},
		{Opt: getopt.Spec("f", "fatal"), Set: cli.Bool(&o.Fatal, true)},
		{Opt: getopt.Spec("o:", "optionalheader="), Set: cli.Text(&o.Prefix)},
	}, cli.NotifyFlags(&o.Notifier, getopt.Spec("c:", "command="), getopt.Spec("w:", "webhook="))...)...)
	if err != nil {
		return Options{}, err
	}
	return o, nil
}

// Monitor handles events.
type Monitor struct {
	Options
	Notify func(context.Context, notify.Message) error // Options.Notifier.Notify if nil
	Stderr io.Writer
	Now    func() time.Time // time.Now if nil
}

// Watches reports whether the options cover process name of group.
func (o *Options) Watches(group, name string) bool {
	return o.Any || len(o.Programs) == 0 || slices.Contains(o.Programs, name) ||
		slices.Contains(o.Programs, conf.Namespec(group, name))
}

// Asctime formats t like the reference's childutils.get_asctime.
func Asctime(t time.Time) string {
	return t.Format("2006-01-02 15:04:05") + fmt.Sprintf(",%03d", t.Nanosecond()/1e6)
}

// Handle looks at one event and reports it if it is a crash. It always
// returns nil: the event is acknowledged.
func (m *Monitor) Handle(ev *listeners.Event) error {
	name := ev.Name()
	if name != "PROCESS_STATE_EXITED" && !(m.Fatal && name == "PROCESS_STATE_FATAL") {
		return nil
	}
	st, ok := ev.ProcessState()
	if !ok {
		fmt.Fprintf(m.Stderr, "crashmail: cannot read %s payload %q\n", name, ev.Payload)
		return nil
	}
	if (st.State == events.StateExited && st.Expected) || !m.Watches(st.Group, st.Process) {
		return nil
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	t := now()
	var msg notify.Message
	if st.State == events.StateExited {
		msg.Body = fmt.Sprintf("Process %s in group %s exited unexpectedly (pid %d) from state %s",
			st.Process, st.Group, st.PID, st.From)
		msg.Subject = fmt.Sprintf(" %s crashed at %s", st.Process, Asctime(t))
	} else {
		msg.Body = fmt.Sprintf("Process %s in group %s entered the FATAL state from state %s: supervisord gave up starting it",
			st.Process, st.Group, st.From)
		msg.Subject = fmt.Sprintf(" %s is FATAL at %s", st.Process, Asctime(t))
	}
	if m.Prefix != "" {
		msg.Subject = m.Prefix + ":" + msg.Subject
	}
	msg.Fields = map[string]any{
		"eventname": name, "processname": st.Process, "groupname": st.Group, "from_state": st.From,
		"pid": st.PID, "expected": st.Expected, "serial": ev.Header.Serial, "time": t.UTC().Format(time.RFC3339),
	}
	fmt.Fprintf(m.Stderr, "crashmail: %s\n", msg.Body)
	cli.Notify(context.Background(), m.Notify, &m.Notifier, msg, m.Stderr, "crashmail: could not send the report")
	return nil
}

// Main runs crashmail and returns its exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	m := &Monitor{Stderr: stderr}
	return cli.Program{Name: "crashmail", Usage: Usage, Handle: m.Handle,
		Parse: func() (err error) { m.Options, err = ParseArgs(args); return err }}.Main(stdin, stdout, stderr)
}
