package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"supervisord/protocol/xmlrpc"
)

// CLI is one run of supervisorctl.
type CLI struct {
	in       io.Reader
	out, err io.Writer
	rawOut   io.Writer // out as given, to tell whether it is a terminal
	prog     string    // how we were invoked, for the help hint
	env      []string

	opts       *Options
	exitStatus int

	// completeInfo caches getAllProcessInfo for tab completion between
	// two commands; nil when not fetched yet.
	completeInfo []procInfo

	lines *lineSource // where typed lines come from
	intr  *interrupts // routes Ctrl-C while the shell runs; nil otherwise

	now func() time.Time // the clock fleet nodes' "last seen" is told by
}

// lockedWriter serialises writes: fg shows a process's stdout and stderr
// from two goroutines while the command itself reports.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// NewCLI returns a CLI reading typed input from in and writing to out and
// err.
func NewCLI(in io.Reader, out, err io.Writer) *CLI {
	return &CLI{in: in, out: &lockedWriter{w: out}, err: &lockedWriter{w: err}, rawOut: out, prog: os.Args[0], env: os.Environ(),
		now: time.Now}
}

// Run runs the command line args (without the program name) and returns
// the exit status.
func (c *CLI) Run(args []string) (status int) {
	opts, err := parseOptions(args, c.env)
	var usage *usageError
	var syntax *iniSyntaxError
	switch {
	case errors.Is(err, errHelp):
		fmt.Fprintf(c.out, usageText, c.prog)
		return 0
	case errors.As(err, &usage):
		fmt.Fprintf(c.err, "Error: %s\nFor help, use %s -h\n", usage.msg, c.prog)
		return 2
	case errors.As(err, &syntax):
		// The reference dies of an uncaught exception here.
		fmt.Fprintf(c.err, "Traceback (most recent call last):\n  (supervisorctl reading its config)\n%s\n", syntax.text)
		return 1
	case err != nil:
		fmt.Fprintf(c.err, "Error: %s\n", err)
		return 1
	}
	c.opts = opts
	c.lines = newLineSource(c.in, c.out, c.err, c.rawOut)
	defer c.lines.close()
	defer func() {
		// Ctrl-C at a prompt of a command ends the shell quietly; in a
		// one-shot command it ends supervisorctl as an interrupt would.
		if r := recover(); r != nil {
			if _, ok := r.(interrupted); !ok {
				panic(r)
			}
			c.output("")
			status = 0
			if len(opts.Args) > 0 {
				status = 130
			}
		}
	}()

	if len(opts.Args) > 0 {
		// The words are joined and split again, as the reference does.
		c.onecmd(strings.Join(opts.Args, " "))
		return c.exitStatus
	}
	c.shell()
	return 0 // the shell always exits 0
}

// usageText is what -h prints; %s is the program name.
const usageText = `supervisorctl: talk to a running supervisord and control its processes.

Usage: %s [options] [action [arguments]]

Options:
-c/--configuration FILENAME -- read FILENAME instead of searching for supervisord.conf
-h/--help -- show this text and exit
-i/--interactive -- ask before shutdown or reload, and prompt for credentials
     when the server wants them; with no action, the shell starts anyway
-s/--serverurl URL -- where supervisord listens: unix:///path/to/socket or
     http://host:port (default "http://localhost:9001")
-u/--username USERNAME -- user name to authenticate with
-p/--password PASSWORD -- password to authenticate with
-r/--history-file FILENAME -- keep the shell's command history in FILENAME

action [arguments] -- one command to run, such as "status" or "tail -f name".
Without an action an interactive shell starts; type "help" in it for the
list of actions.
`

// LSB init script exit statuses, which the reference's commands use.
const (
	exitGeneric       = 1
	exitInvalidArgs   = 2
	exitUnimplemented = 3
	exitNoPrivileges  = 4
	exitNotInstalled  = 5
	exitNotRunning    = 7

	// status uses the LSB status codes instead.
	statusNotRunning = 3
	statusUnknown    = 4
)

// output writes one line to stdout: everything the commands say goes
// there, errors included, as in the reference.
func (c *CLI) output(s string) { io.WriteString(c.out, s+"\n") }

// client returns an XML-RPC client for the current server URL.
func (c *CLI) client() (*Client, error) {
	return newClient(c.opts.ServerURL, c.opts.Username, c.opts.Password, c.opts.TLS)
}

// call is one XML-RPC call to the supervisor namespace.
func (c *CLI) call(method string, params ...any) (any, error) {
	cl, err := c.client()
	if err != nil {
		return nil, err
	}
	return cl.Call("supervisor."+method, params...)
}

// parseLine splits a typed line into its command word and the rest, the
// way Python's cmd module does: "?" stands for help, and the command is
// the leading run of letters, digits and underscores.
func parseLine(line string) (cmd, arg, whole string, ok bool) {
	line = strings.TrimSpace(line)
	switch {
	case line == "":
		return "", "", "", false
	case line[0] == '?':
		line = "help " + line[1:]
	case line[0] == '!':
		return "", "", line, false
	}
	i := 0
	for i < len(line) && isIdentChar(line[i]) {
		i++
	}
	return line[:i], strings.TrimSpace(line[i:]), line, true
}

func isIdentChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_'
}

// onecmd runs one command line and reports whether the shell should end.
func (c *CLI) onecmd(line string) (stop bool) {
	name, arg, line, ok := parseLine(line)
	if line == "" {
		return false
	}
	cmd := commands[name]
	if !ok || name == "" || cmd == nil {
		c.output("*** Unknown syntax: " + line)
		c.exitStatus = exitGeneric
		return false
	}
	c.completeInfo = nil
	stop, err := cmd.run(c, arg)
	if err == nil {
		return stop
	}
	var proto *protocolError
	if errors.As(err, &proto) && proto.code == 401 {
		c.output("Server requires authentication")
		if c.opts.Interactive {
			return c.askCredentials(line)
		}
		c.exitStatus = exitGeneric
		// The reference then runs the command once more, which fails the
		// same way and is reported as an error.
		if _, err = cmd.run(c, arg); err == nil {
			return false
		}
	}
	c.output(errorLine(err))
	c.exitStatus = exitGeneric
	return false
}

// askCredentials prompts for a username and password after the server
// refused the ones it had, then runs line again with them.
func (c *CLI) askCredentials(line string) bool {
	user, err := c.lines.readLine("Username:")
	if err != nil {
		return c.inputFailed(err)
	}
	pass, err := c.lines.readPassword("Password:")
	if err != nil {
		return c.inputFailed(err)
	}
	c.output("")
	c.opts.Username, c.opts.Password = some(user), some(pass)
	return c.onecmd(line)
}

// inputFailed reports a prompt that got no answer: end of input, or
// Ctrl-C, which ends the shell.
func (c *CLI) inputFailed(err error) bool {
	if errors.Is(err, errInterrupt) {
		panic(interrupted{})
	}
	msg, where := "EOF when reading a line", whereInput
	if errors.Is(err, errPasswordEOF) {
		msg, where = "", whereGetpass
	}
	c.output(errorLine(&pyError{class: "EOFError", msg: msg, where: where}))
	c.exitStatus = exitGeneric
	return false
}

// interrupted unwinds a command that Ctrl-C stopped, up to the shell (or
// to Run), which then ends as the reference does.
type interrupted struct{}

// setExitFromFault sets the exit status for one result of a multi-process
// command: dead-process faults give 7, other failures 1; SUCCESS and the
// one fault the command expects (already started, say) leave it alone.
func (c *CLI) setExitFromFault(code, ignored int) {
	switch code {
	case ignored, xmlrpc.FaultSuccess:
	case xmlrpc.FaultSpawnError, xmlrpc.FaultAbnormalTermination, xmlrpc.FaultNotRunning:
		c.exitStatus = exitNotRunning
	default:
		c.exitStatus = exitGeneric
	}
}

// noArgs reports a command given arguments it takes none of, with its
// help, and says whether to go on.
func (c *CLI) noArgs(cmd, arg string, help func(*CLI)) bool {
	if arg == "" {
		return true
	}
	c.badArgs("Error: "+cmd+" accepts no arguments", help)
	return false
}

// badArgs says what is wrong with a command's arguments, shows its help
// when there is one, and sets exit status 1.
func (c *CLI) badArgs(msg string, help func(*CLI)) {
	c.output(msg)
	c.exitStatus = exitGeneric
	if help != nil {
		help(c)
	}
}

// sayFault ends a command on a fault that words has a line for: the line
// is printed and the exit status is 1. Any other error is returned (a
// fault setting exit status 1 too).
func (c *CLI) sayFault(err error, words map[int]string) error {
	f := asFault(err)
	if f == nil {
		return err
	}
	c.exitStatus = exitGeneric
	if line, ok := words[f.Code]; ok {
		c.output(line)
		return nil
	}
	return err
}

// asFault returns err as a fault, or nil.
func asFault(err error) *xmlrpc.Fault {
	var f *xmlrpc.Fault
	if errors.As(err, &f) {
		return f
	}
	return nil
}
