// Command supervisord is the daemon: it reads supervisord.conf, becomes a
// daemon unless told to stay in the foreground, and runs the supervision
// tree until a signal says stop. Its command line, messages, exit codes and
// startup order follow Supervisor 4.2.5's supervisord.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"supervisord/conf"
	"supervisord/internal/child"
	"supervisord/internal/notify"
)

// version is what -v prints: the reference release we are a drop-in for.
const version = "4.2.5"

// The main thread forks every program, so that a program's parent-death
// signal fires only when the daemon dies, and an in-place re-exec keeps
// the programs (child.Main).
func init() { child.LockMainThread() }

func main() { child.Main(func() int { return NewCLI(os.Stdout, os.Stderr).Run(os.Args[1:]) }) }

// CLI is one run of the command.
type CLI struct {
	out, err io.Writer
	prog     string // how we were invoked, for the help hint
	// manager is the service manager that started us (systemd's
	// Type=notify), told when we are ready, reloading and stopping.
	manager notify.Manager
}

// NewCLI returns a CLI printing results to out and diagnostics to err.
func NewCLI(out, err io.Writer) *CLI {
	return &CLI{out: out, err: err, prog: os.Args[0]}
}

// Run runs the command with args (without the program name) and returns the
// process exit status.
func (c *CLI) Run(args []string) int {
	o, err := parseArgs(args)
	if err != nil {
		return c.fail(err)
	}
	switch o.action {
	case actHelp:
		fmt.Fprintf(c.out, usageText, c.prog)
		return 0
	case actVersion:
		fmt.Fprintln(c.out, version)
		return 0
	case actEchoConfig:
		fmt.Fprint(c.out, conf.Sample())
		return 0
	case actRun:
	}
	if o.testConfig {
		return c.testConfig(o)
	}
	// A daemon that upgraded into this program: it adopts what that one
	// ran (upgrade.go), with the config file it ran.
	ho, err := takeHandoff()
	if err != nil {
		return c.fail(err)
	}
	if ho != nil {
		o.configFile = ho.Config
	}
	status, err := daemonStatusPipe()
	if err != nil {
		return c.fail(err)
	}
	inChild := status != nil || ho != nil
	if inChild {
		// Until startup has finished, diagnostics go to the parent, which
		// prints them on the terminal that started us.
		c.err = status
	}
	// The daemon copy stays quiet about searching: the parent has warned.
	cfg, err := c.load(o, !inChild)
	if err != nil {
		return c.fail(err)
	}
	// A SIGHUP reload must find the same file after directory= took effect.
	o.configFile = cfg.Path
	if !cfg.Supervisord.Nodaemon && !inChild {
		return c.daemonize(args)
	}
	return c.serve(o, cfg, status, ho)
}

// fail prints err the way the reference does and returns the exit status:
// 2 with the help hint for usage and config mistakes, 1 otherwise.
func (c *CLI) fail(err error) int {
	msg := err.Error()
	if ce := (*conf.Error)(nil); errors.As(err, &ce) {
		msg = ce.Reference()
	}
	fmt.Fprintf(c.err, "Error: %s\n", msg)
	if ue := (*usageError)(nil); errors.As(err, &ue) {
		fmt.Fprintf(c.err, "For help, use %s -h\n", c.prog)
		return 2
	}
	return 1
}

// load finds and reads the config and lays the command line over it. Its
// errors are usage errors, as every failure of the reference's option and
// config processing is. warn allows the reference's warning about searching
// for the config as root.
func (c *CLI) load(o *options, warn bool) (*conf.Config, error) {
	cfg, err := c.loadConfig(o, warn)
	if err != nil {
		return nil, &usageError{err: err}
	}
	return cfg, nil
}

func (c *CLI) loadConfig(o *options, warn bool) (*conf.Config, error) {
	path := o.configFile
	if path == "" {
		if warn && os.Getuid() == 0 {
			fmt.Fprintln(c.err, "UserWarning: Supervisord is running as root and it is searching "+
				"for its configuration file in default locations (including its current "+
				"working directory); you probably want to specify a \"-c\" argument "+
				"specifying an absolute path to a configuration file for improved security.")
		}
		var err error
		if path, err = conf.Search(); err != nil {
			return nil, err
		}
	}
	cfg, err := conf.Load(path)
	if err != nil {
		return nil, err
	}
	s := &cfg.Supervisord
	o.apply(s)
	// Like the reference, the main log and pidfile are pinned to absolute
	// paths against the directory we were started in.
	if s.Logfile != "" && s.Logfile != "syslog" {
		if s.Logfile, err = filepath.Abs(s.Logfile); err != nil {
			return nil, err
		}
	}
	if s.Pidfile != "" {
		if s.Pidfile, err = filepath.Abs(s.Pidfile); err != nil {
			return nil, err
		}
	}
	if s.User != "" {
		// Again, since -u may have replaced the file's user.
		if s.UID, s.GID, err = lookupUser(s.User); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// serverURL is SUPERVISOR_SERVER_URL for children: the unix socket when
// there is one, else the inet server, as the reference prefers.
func serverURL(cfg *conf.Config) string {
	if u := cfg.UnixHTTPServer; u != nil {
		return "unix://" + u.File
	}
	if in := cfg.InetHTTPServer; in != nil {
		host := in.Host
		if host == "" {
			host = "localhost"
		}
		scheme := "http"
		if in.CertFile != "" {
			scheme = "https" // for our own clients; the reference's have no TLS
		}
		return fmt.Sprintf("%s://%s:%d", scheme, host, in.Port)
	}
	return ""
}
