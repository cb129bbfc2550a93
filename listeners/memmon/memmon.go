// Package memmon is an event listener that restarts processes using too
// much memory, like superlance's memmon: subscribe it to TICK_60 (or
// TICK_5) and on each tick it reads the resident set size of the
// supervisord's processes and restarts, over XML-RPC, each one above its
// limit.
package memmon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"supervisord/conf"
	"supervisord/internal/getopt"
	"supervisord/listeners"
	"supervisord/listeners/internal/cli"
	"supervisord/listeners/notify"
	"supervisord/listeners/rpc"
	"supervisord/protocol/xmlrpc"
)

// Usage is the -h text.
const Usage = `memmon [-p processname=byte_size] [-g groupname=byte_size] [-a byte_size]
       [-c] [-u uptime] [-n name] [-m email] [-s sendmail]
       [--notify-command CMD] [--webhook URL]

An event listener that restarts processes whose resident memory (RSS)
passes a limit. Run it from an [eventlistener:x] section subscribed to
TICK_60 (or TICK_5); the supervisord needs a [unix_http_server] or
[inet_http_server] and an [rpcinterface:supervisor] section, since memmon
restarts processes through the XML-RPC interface (SUPERVISOR_SERVER_URL):

  [eventlistener:memmon]
  command=memmon -p web=200MB -g workers=100MB -a 1GB
  events=TICK_60

Options:

-p, --program NAME=SIZE   restart process NAME when its RSS passes SIZE;
                          "group:name" names a process of a group.
-g, --group NAME=SIZE     restart any process of group NAME whose RSS
                          passes SIZE.
-a, --any SIZE            restart any process whose RSS passes SIZE.
-c, --cumulative          count the RSS of a process and all its
                          descendants together.
-u, --uptime SECONDS      only send a notification when the restarted
                          process had been up at most this long (to hear
                          only of processes restarted too often); a plain
                          number or one with an s, m, h or d suffix.
-n, --name NAME           name this memmon in notification subjects.
-m, --email ADDR          mail a notification to ADDR on each restart.
-s, --sendmail_program CMD
                          the sendmail command (default
                          "/usr/sbin/sendmail -t -i").
--notify-command CMD      run CMD with /bin/sh -c on each restart, the
                          message on its stdin, the subject in
                          $NOTIFY_SUBJECT.
--webhook URL             POST a JSON notification to URL on each restart.
-h, --help                print this help.

-p and -g may be repeated. A SIZE is a number of bytes, or one with a KB,
MB or GB suffix (powers of 1024). When several limits cover a process the
most specific applies: -p group:name, -p name, -g, then -a. Only RUNNING
processes are checked; RSS is read from /proc/<pid>/status (VmRSS).
`

// Options are memmon's settings.
type Options struct {
	Programs    map[string]int64 // by name or group:name
	Groups      map[string]int64
	Any         int64 // -1 for none
	Cumulative  bool
	UptimeLimit int64 // seconds; notify only for restarts of processes up at most this long
	Name        string
	Notifier    notify.Notifier
}

// ErrHelp is returned by ParseArgs for -h.
var ErrHelp = cli.ErrHelp

// ParseArgs reads the command line (without the program name).
func ParseArgs(args []string) (Options, error) {
	o := Options{Programs: map[string]int64{}, Groups: map[string]int64{}, Any: -1, UptimeLimit: math.MaxInt64}
	// number stores in dst the value read by parse, named what in errors.
	number := func(parse func(string) (int64, error), what string, dst func(int64)) func(string, string) error {
		return func(opt, value string) error {
			n, err := parse(value)
			if err != nil {
				return fmt.Errorf("unparseable %s %q for %s", what, value, opt)
			}
			dst(n)
			return nil
		}
	}
	limit := func(limits map[string]int64) func(string, string) error {
		return func(opt, value string) error {
			name, size, ok := strings.Cut(value, "=")
			if !ok || name == "" || strings.Contains(size, "=") {
				return fmt.Errorf("unparseable value %q for %s (want name=size)", value, opt)
			}
			return number(cli.ByteSize, "byte size", func(n int64) { limits[name] = n })(opt, size)
		}
	}
	_, err := cli.Parse(args, cli.NoArgs, append([]cli.Flag{
		cli.Help,
		{Opt: getopt.Spec("p:", "program="), Set: limit(o.Programs)},
		{Opt: getopt.Spec("g:", "group="), Set: limit(o.Groups)},
		{Opt: getopt.Spec("a:", "any="), Set: number(cli.ByteSize, "byte size", func(n int64) { o.Any = n })},
		{Opt: getopt.Spec("c", "cumulative"), Set: cli.Bool(&o.Cumulative, true)},
		{Opt: getopt.Spec("u:", "uptime="), Set: number(cli.Seconds, "time", func(n int64) { o.UptimeLimit = n })},
		{Opt: getopt.Spec("n:", "name="), Set: cli.Text(&o.Name)},
	}, cli.NotifyFlags(&o.Notifier, getopt.Spec("", "notify-command="), getopt.Spec("", "webhook="))...)...)
	if err != nil {
		return Options{}, err
	}
	if len(o.Programs) == 0 && len(o.Groups) == 0 && o.Any < 0 {
		return Options{}, errors.New("nothing to watch: give -p, -g or -a")
	}
	return o, nil
}

// Limit is the RSS limit covering a process, if any.
func (o *Options) Limit(group, name string) (int64, bool) {
	if n, ok := o.Programs[conf.Namespec(group, name)]; ok {
		return n, true
	}
	if n, ok := o.Programs[name]; ok {
		return n, true
	}
	if n, ok := o.Groups[group]; ok {
		return n, true
	}
	if o.Any >= 0 {
		return o.Any, true
	}
	return 0, false
}

// Monitor handles events.
type Monitor struct {
	Options
	RPC    *rpc.Client
	Stderr io.Writer
	// RSS measures a pid; RSS("/proc", pid, Cumulative) if nil.
	RSS func(pid int) (int64, error)
	// Notify sends a notification; Options.Notifier.Notify if nil.
	Notify func(context.Context, notify.Message) error
	Now    func() time.Time // time.Now if nil
}

func (m *Monitor) status() string {
	var lines []string
	list := func(what string, limits map[string]int64) {
		if len(limits) == 0 {
			return
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(limits)) {
			parts = append(parts, fmt.Sprintf("%s=%d", k, limits[k]))
		}
		lines = append(lines, "Checking "+what+" "+strings.Join(parts, ", "))
	}
	list("programs", m.Programs)
	list("groups", m.Groups)
	if m.Any >= 0 {
		lines = append(lines, fmt.Sprintf("Checking any=%d", m.Any))
	}
	return strings.Join(lines, "\n") + "\n"
}

// Handle checks the processes on TICK events and ignores other events. It
// always returns nil: the event is acknowledged.
func (m *Monitor) Handle(ev *listeners.Event) error {
	if !strings.HasPrefix(ev.Name(), "TICK") {
		return nil
	}
	ctx := context.Background()
	io.WriteString(m.Stderr, m.status())
	infos, err := m.RPC.GetAllProcessInfo(ctx)
	if err != nil {
		fmt.Fprintf(m.Stderr, "memmon: cannot list processes: %v\n", err)
		return nil
	}
	for _, info := range infos {
		limit, ok := m.Limit(info.Group, info.Name)
		if !ok || info.PID == 0 || info.State != rpc.StateRunning {
			continue
		}
		rss, err := m.rss(info.PID)
		if err != nil {
			continue // gone meanwhile, or no RSS to read
		}
		fmt.Fprintf(m.Stderr, "RSS of %s is %d\n", info.Namespec(), rss)
		if rss > limit {
			m.restart(ctx, info, rss)
		}
	}
	return nil
}

func (m *Monitor) rss(pid int) (int64, error) {
	if m.RSS != nil {
		return m.RSS(pid)
	}
	return RSS("/proc", pid, m.Cumulative)
}

func (m *Monitor) restart(ctx context.Context, info rpc.ProcessInfo, rss int64) {
	spec := info.Namespec()
	id := ""
	if m.Name != "" {
		id = " [" + m.Name + "]"
	}
	fmt.Fprintf(m.Stderr, "Restarting %s\n", spec)
	fail := func(what string, err error) {
		msg := fmt.Sprintf("Failed to %s process %s (RSS %d): %v", what, spec, rss, err)
		fmt.Fprintln(m.Stderr, msg)
		m.notify(ctx, notify.Message{Subject: fmt.Sprintf("memmon%s: failed to %s process %s", id, what, spec), Body: msg,
			Fields: map[string]any{"processname": info.Name, "groupname": info.Group, "rss": rss, "action": "failed to " + what}})
	}
	if err := m.RPC.StopProcess(ctx, spec, true); err != nil && !rpc.IsFault(err, xmlrpc.FaultNotRunning) {
		fail("stop", err)
		return
	}
	if err := m.RPC.StartProcess(ctx, spec, true); err != nil {
		fail("start", err)
		return
	}
	if int64(info.Uptime()/time.Second) > m.UptimeLimit {
		return
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	m.notify(ctx, notify.Message{
		Subject: fmt.Sprintf("memmon%s: process %s restarted", id, spec),
		Body: fmt.Sprintf("memmon restarted the process named %s at %s because it was consuming too much memory (%d bytes RSS)",
			spec, now().Format(time.ANSIC), rss),
		Fields: map[string]any{"processname": info.Name, "groupname": info.Group, "rss": rss, "action": "restarted",
			"uptime": int64(info.Uptime() / time.Second)},
	})
}

func (m *Monitor) notify(ctx context.Context, msg notify.Message) {
	cli.Notify(ctx, m.Notify, &m.Notifier, msg, m.Stderr, "memmon: could not send a notification")
}

// Main runs memmon and returns its exit status; getenv gives
// SUPERVISOR_SERVER_URL and the credentials.
func Main(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	m := &Monitor{Stderr: stderr}
	return cli.Program{Name: "memmon", Usage: Usage, RPC: &m.RPC, Getenv: getenv, Handle: m.Handle,
		Parse: func() (err error) { m.Options, err = ParseArgs(args); return err }}.Main(stdin, stdout, stderr)
}
