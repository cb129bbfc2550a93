// Package httpok is an event listener that restarts hung HTTP servers,
// like superlance's httpok: subscribe it to TICK_60 (or TICK_5) and on
// each tick it GETs a URL; when the request fails, times out, answers
// another status or lacks an expected string, it restarts the named
// processes over XML-RPC.
package httpok

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"supervisord/internal/getopt"
	"supervisord/listeners"
	"supervisord/listeners/internal/cli"
	"supervisord/listeners/notify"
	"supervisord/listeners/rpc"
)

// Usage is the -h text.
const Usage = `httpok [-p processname] [-a] [-t timeout] [-c status_code] [-b inbody]
       [-e | -E] [-w delay] [-g gcore] [-d coredir] [-m email] [-s sendmail]
       [--notify-command CMD] [--webhook URL2] URL

An event listener that GETs URL on each TICK event and restarts processes
when the answer is wrong or late. Run it from an [eventlistener:x] section
subscribed to TICK_60 (or TICK_5); the supervisord needs a
[unix_http_server] or [inet_http_server] and an [rpcinterface:supervisor]
section, since httpok restarts processes through the XML-RPC interface
(SUPERVISOR_SERVER_URL):

  [eventlistener:httpok]
  command=httpok -p web -t 5 http://localhost:8080/health
  events=TICK_60

Options:

-p, --program NAME   restart process NAME (if RUNNING) on a bad check;
                     "group:name" names a process of a group. May be
                     repeated.
-a, --any            restart every RUNNING process on a bad check
                     (overrides -p).
-t, --timeout SECS   how long to wait for the answer (default 10).
-c, --code CODE      the expected HTTP status (default 200); may be
                     repeated to accept several.
-b, --body TEXT      a string the answer's body must contain.
-e, --eager          check even when no watched process is RUNNING
                     (the default).
-E, --not-eager      check only when a watched process is RUNNING.
-w, --delay SECS     do not restart a process that has been RUNNING for
                     less than SECS seconds.
-g, --gcore CMD      the command writing a core file, given a file name and
                     a pid (default "/usr/bin/gcore -o").
-d, --coredir DIR    before restarting a process, dump its core into DIR
                     with the gcore command.
-m, --email ADDR     mail a report to ADDR when processes are restarted.
-s, --sendmail_program CMD
                     the sendmail command (default "/usr/sbin/sendmail -t -i").
--notify-command CMD run CMD with /bin/sh -c for each report, the report on
                     its stdin and the subject in $NOTIFY_SUBJECT.
--webhook URL2       POST each report to URL2 as a JSON object.
-h, --help           print this help.

While the server refuses connections, httpok retries every 10 seconds
within the timeout.
`

// Options are httpok's settings.
type Options struct {
	Programs  []string
	Any       bool
	URL       string
	Timeout   time.Duration
	Codes     []string
	InBody    string
	Eager     bool
	Delay     time.Duration
	Gcore     string
	CoreDir   string
	RetryTime time.Duration // between refused connections; 10s
	Notifier  notify.Notifier
}

// ErrHelp is returned by ParseArgs for -h.
var ErrHelp = cli.ErrHelp

// ParseArgs reads the command line (without the program name).
func ParseArgs(args []string) (Options, error) {
	o := Options{Timeout: 10 * time.Second, Eager: true, Gcore: "/usr/bin/gcore -o", RetryTime: 10 * time.Second}
	seconds := func(dst *time.Duration) func(string, string) error {
		return func(name, value string) error {
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 {
				return fmt.Errorf("%s needs a number of seconds, not %q", name, value)
			}
			*dst = time.Duration(n) * time.Second
			return nil
		}
	}
	rest, err := cli.Parse(args, nil, append([]cli.Flag{
		cli.Help,
		{Opt: getopt.Spec("p:", "program="), Set: cli.List(&o.Programs)},
		{Opt: getopt.Spec("a", "any"), Set: cli.Bool(&o.Any, true)},
		{Opt: getopt.Spec("t:", "timeout="), Set: seconds(&o.Timeout)},
		{Opt: getopt.Spec("c:", "code="), Set: cli.List(&o.Codes)},
		{Opt: getopt.Spec("b:", "body="), Set: cli.Text(&o.InBody)},
		{Opt: getopt.Spec("g:", "gcore="), Set: cli.Text(&o.Gcore)},
		{Opt: getopt.Spec("d:", "coredir="), Set: cli.Text(&o.CoreDir)},
		{Opt: getopt.Spec("e", "eager"), Set: cli.Bool(&o.Eager, true)},
		{Opt: getopt.Spec("E", "not-eager"), Set: cli.Bool(&o.Eager, false)},
		{Opt: getopt.Spec("w:", "delay="), Set: seconds(&o.Delay)},
	}, cli.NotifyFlags(&o.Notifier, getopt.Spec("", "notify-command="), getopt.Spec("", "webhook="))...)...)
	if err != nil {
		return Options{}, err
	}
	if len(o.Codes) == 0 {
		o.Codes = []string{"200"}
	}
	if len(rest) != 1 {
		return Options{}, errors.New("give exactly one URL")
	}
	o.URL = rest[0]
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Options{}, fmt.Errorf("bad URL %q: want http:// or https://", o.URL)
	}
	return o, nil
}

// Monitor handles events.
type Monitor struct {
	Options
	RPC    *rpc.Client
	HTTP   *http.Client // http.DefaultClient if nil
	Stderr io.Writer
	Notify func(context.Context, notify.Message) error // Options.Notifier.Notify if nil
}

func (m *Monitor) watched(info rpc.ProcessInfo) bool {
	return m.Any || slices.Contains(m.Programs, info.Name) || slices.Contains(m.Programs, info.Namespec())
}

// Handle checks the URL on TICK events and ignores other events. It always
// returns nil: the event is acknowledged.
func (m *Monitor) Handle(ev *listeners.Event) error {
	if !strings.HasPrefix(ev.Name(), "TICK") {
		return nil
	}
	ctx := context.Background()
	if !m.Eager {
		infos, err := m.RPC.GetAllProcessInfo(ctx)
		if err != nil {
			fmt.Fprintf(m.Stderr, "httpok: cannot list processes: %v\n", err)
			return nil
		}
		if !slices.ContainsFunc(infos, func(i rpc.ProcessInfo) bool { return m.watched(i) && i.State == rpc.StateRunning }) {
			return nil
		}
	}
	status, body, err := m.get(ctx)
	switch {
	case err != nil:
		m.act(ctx, "httpok for "+m.URL+": bad status returned", fmt.Sprintf("error contacting %s:\n\n %v", m.URL, err))
	case !slices.Contains(m.Codes, strconv.Itoa(status)):
		m.act(ctx, "httpok for "+m.URL+": bad status returned",
			fmt.Sprintf("status contacting %s: %d %s", m.URL, status, http.StatusText(status)))
	case m.InBody != "" && !strings.Contains(body, m.InBody):
		m.act(ctx, "httpok for "+m.URL+": bad body returned",
			fmt.Sprintf("status contacting %s: %d %s", m.URL, status, http.StatusText(status)))
	}
	return nil
}

// get fetches the URL within the timeout, retrying refused connections.
func (m *Monitor) get(ctx context.Context) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, m.Timeout)
	defer cancel()
	client := m.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL, nil)
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("User-Agent", "httpok")
		resp, err := client.Do(req)
		if err != nil {
			if errors.Is(err, syscall.ECONNREFUSED) && m.RetryTime > 0 {
				if dl, _ := ctx.Deadline(); time.Until(dl) > m.RetryTime {
					select {
					case <-time.After(m.RetryTime):
						continue
					case <-ctx.Done():
					}
				}
			}
			return 0, "", err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, "", err
		}
		return resp.StatusCode, string(b), nil
	}
}

func (m *Monitor) act(ctx context.Context, subject, msg string) {
	messages := []string{msg}
	write := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		fmt.Fprintln(m.Stderr, s)
		messages = append(messages, s)
	}
	fmt.Fprintln(m.Stderr, msg)
	infos, err := m.RPC.GetAllProcessInfo(ctx)
	if err != nil {
		write("Exception retrieving process info %v, not acting", err)
		m.notify(ctx, subject, messages)
		return
	}
	waiting := slices.Clone(m.Programs)
	if m.Any {
		write("Restarting all running processes")
	} else {
		write("Restarting selected processes %s", strings.Join(m.Programs, ", "))
	}
	for _, info := range infos {
		if !m.watched(info) {
			continue
		}
		waiting = slices.DeleteFunc(waiting, func(p string) bool { return p == info.Name || p == info.Namespec() })
		m.restart(ctx, info, write)
	}
	if len(waiting) > 0 {
		write("Programs not restarted because they did not exist: %s", strings.Join(waiting, ", "))
	}
	m.notify(ctx, subject, messages)
}

func (m *Monitor) restart(ctx context.Context, info rpc.ProcessInfo, write func(string, ...any)) {
	spec := info.Namespec()
	if info.State != rpc.StateRunning {
		write("%s not in RUNNING state, NOT restarting", spec)
		return
	}
	if up := info.Uptime(); m.Delay > 0 && up < m.Delay {
		write("%s is in RUNNING state %d seconds (<%d), delay restarting", spec, int(up/time.Second), int(m.Delay/time.Second))
		return
	}
	if m.CoreDir != "" && m.Gcore != "" {
		core := filepath.Join(m.CoreDir, spec)
		out, _ := exec.CommandContext(ctx, "/bin/sh", "-c",
			fmt.Sprintf("%s %s %d", m.Gcore, shellQuote(core), info.PID)).CombinedOutput()
		write("gcore output for %s:\n\n %s", spec, out)
	}
	write("%s is in RUNNING state, restarting", spec)
	if err := m.RPC.StopProcess(ctx, spec, true); err != nil {
		write("Failed to stop process %s: %v", spec, err)
	}
	if err := m.RPC.StartProcess(ctx, spec, true); err != nil {
		write("Failed to start process %s: %v", spec, err)
	} else {
		write("%s restarted", spec)
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (m *Monitor) notify(ctx context.Context, subject string, messages []string) {
	msg := notify.Message{Subject: subject, Body: strings.Join(messages, "\n"),
		Fields: map[string]any{"url": m.URL}}
	cli.Notify(ctx, m.Notify, &m.Notifier, msg, m.Stderr, "httpok: could not send a notification")
}

// Main runs httpok and returns its exit status; getenv gives
// SUPERVISOR_SERVER_URL and the credentials.
func Main(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	m := &Monitor{Stderr: stderr}
	return cli.Program{Name: "httpok", Usage: Usage, RPC: &m.RPC, Getenv: getenv, Handle: m.Handle,
		Parse: func() (err error) { m.Options, err = ParseArgs(args); return err }}.Main(stdin, stdout, stderr)
}
