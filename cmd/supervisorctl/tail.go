package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"

	"supervisord/conf"
	"supervisord/protocol/xmlrpc"
)

func (c *CLI) doTail(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	args := fields(arg)
	switch {
	case len(args) < 1:
		c.badArgs("Error: too few arguments", helpTail)
		return false, nil
	case len(args) > 3:
		c.badArgs("Error: too many arguments", helpTail)
		return false, nil
	}
	modifier := ""
	if strings.HasPrefix(args[0], "-") {
		modifier, args = args[0], args[1:]
	}
	var name, channel string
	switch {
	case len(args) == 1:
		name, channel = args[0], "stdout"
	case len(args) > 1:
		name, channel = args[0], strings.ToLower(args[len(args)-1])
		if channel != "stdout" && channel != "stderr" {
			c.badArgs("Error: bad channel "+conf.PyRepr(channel), nil)
			return false, nil
		}
	default:
		c.badArgs("Error: tail requires process name", nil)
		return false, nil
	}
	bytes, follow := 1600, false
	if modifier != "" {
		if what := modifier[1:]; what == "f" {
			follow = true
		} else if n, ok := pyInt(what); ok {
			bytes = n
		} else {
			c.badArgs("Error: bad argument "+modifier, nil)
			return false, nil
		}
	}
	if _, err := c.client(); err != nil {
		return false, err
	}
	if follow {
		return false, c.tailf("/logtail/" + name + "/" + channel)
	}
	method := "readProcessStdoutLog"
	if channel == "stderr" {
		method = "readProcessStderrLog"
	}
	v, err := c.call(method, name, -bytes, 0)
	if err != nil {
		return false, c.sayFault(err, map[int]string{xmlrpc.FaultNoFile: name + ": ERROR (no log file)",
			xmlrpc.FaultFailed: name + ": ERROR (unknown error reading log)", xmlrpc.FaultBadName: name + ": ERROR (no such process name)"})
	}
	c.output(pyStr(v))
	return false, nil
}

func (c *CLI) doMaintail(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	args := fields(arg)
	bytes := 1600
	switch {
	case len(args) > 1:
		c.badArgs("Error: too many arguments", helpMaintail)
		return false, nil
	case len(args) == 1:
		what, ok := strings.CutPrefix(args[0], "-")
		if ok && what == "f" {
			return false, c.tailf("/mainlogtail")
		}
		n, isInt := pyInt(what)
		if !ok || !isInt {
			c.badArgs("Error: bad argument "+args[0], nil)
			return false, nil
		}
		bytes = n
	}
	v, err := c.call("readLog", -bytes, 0)
	if err != nil {
		return false, c.sayFault(err, map[int]string{xmlrpc.FaultNoFile: "supervisord: ERROR (no log file)",
			xmlrpc.FaultFailed: "supervisord: ERROR (unknown error reading log)"})
	}
	c.output(pyStr(v))
	return false, nil
}

// pyInt is Python's int() of a command argument: optional sign, decimal
// digits, single underscores between digits. A number too big for an int
// comes back as the largest one, which the XML-RPC call then refuses, as
// Python's would.
func pyInt(s string) (int, bool) {
	t := strings.TrimSpace(s)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg, t = t[0] == '-', t[1:]
	}
	if t == "" || t[0] == '_' || t[len(t)-1] == '_' || strings.Contains(t, "__") {
		return 0, false
	}
	n := 0
	for _, r := range t {
		if r == '_' {
			continue
		}
		if r < '0' || r > '9' {
			return 0, false
		}
		if n > (math.MaxInt-9)/10 {
			n = math.MaxInt
			continue
		}
		n = n*10 + int(r-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// catchInterrupt returns a context that Ctrl-C (SIGINT) cancels, for the
// commands that Ctrl-C only stops: tail -f, maintail -f and fg. release
// puts back what Ctrl-C did before.
func (c *CLI) catchInterrupt() (ctx context.Context, release func()) {
	ctx, cancel := context.WithCancel(context.Background())
	if c.intr != nil {
		c.intr.set(cancel)
		return ctx, func() { c.intr.set(nil); cancel() }
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			cancel()
		case <-done:
		}
	}()
	return ctx, func() { signal.Stop(ch); close(done); cancel() }
}

// tailf follows a log stream until the server ends it or Ctrl-C.
func (c *CLI) tailf(path string) error {
	// Ctrl-C is caught before the banner invites it.
	ctx, release := c.catchInterrupt()
	defer release()
	c.output("==> Press Ctrl-C to exit <==")
	c.follow(ctx, path)
	if ctx.Err() != nil {
		c.output("")
	}
	return nil
}

// follow copies a log stream to stdout until it ends or ctx is done.
// Failures are reported on stderr with the stream's URL, the way the
// reference's tailer does, and end the stream.
func (c *CLI) follow(ctx context.Context, path string) {
	url := c.opts.ServerURL + path
	resp, ok := c.openStream(ctx, path)
	if !ok {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(c.err, "%s Cannot read, status code %d\n", url, resp.StatusCode)
		return
	}
	buf := make([]byte, 32*1024)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			c.out.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// openStream opens the stream at path; a failure to connect is reported
// on stderr with the stream's URL, the way the reference's tailer does
// (nothing when ctx ended), and is false.
func (c *CLI) openStream(ctx context.Context, path string) (*http.Response, bool) {
	cl, err := c.client()
	if err != nil {
		return nil, false
	}
	resp, err := cl.stream(ctx, path)
	if err != nil {
		if ctx.Err() == nil {
			var pe *pyError
			errors.As(connError(err, cl.unix()), &pe)
			fmt.Fprintf(c.err, "%s Cannot connect, error: <class '%s'> (%s)\n", c.opts.ServerURL+path, pe.class, pe.msg)
		}
		return nil, false
	}
	return resp, true
}

func (c *CLI) doFg(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	names := fields(arg)
	switch {
	case len(names) == 0:
		c.badArgs("ERROR: no process name supplied", helpFg)
		return false, nil
	case len(names) > 1:
		c.badArgs("ERROR: too many process names supplied", nil)
		return false, nil
	}
	name := names[0]
	v, err := c.call("getProcessInfo", name)
	if err != nil {
		f := asFault(err)
		switch {
		case f == nil:
			return false, err
		case f.Code == xmlrpc.FaultBadName:
			c.output("ERROR: bad process name supplied")
			c.exitStatus = exitGeneric
		default:
			c.output("ERROR: " + faultRepr(f))
		}
		return false, nil
	}
	if procInfo(asMap(v)).num("state") != stateRunning {
		c.output("ERROR: process not running")
		c.exitStatus = exitGeneric
		return false, nil
	}
	ctx, release := c.catchInterrupt()
	defer release()
	c.output("==> Press Ctrl-C to exit <==")
	// The process's output is shown while we wait for lines to send it.
	streams, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, channel := range []string{"stdout", "stderr"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.follow(streams, "/logtail/"+name+"/"+channel)
		}()
	}
	defer func() { stop(); wg.Wait() }()
	for {
		line, err := c.lines.readLineCtx(ctx, "")
		if err != nil {
			c.output("Exiting foreground")
			return false, nil
		}
		if _, err := c.call("sendProcessStdin", name, line+"\n"); err != nil {
			f := asFault(err)
			if f == nil {
				return false, err
			}
			if f.Code == xmlrpc.FaultNotRunning {
				c.output("Process got killed")
			} else {
				c.output("ERROR: " + faultRepr(f))
			}
			c.output("Exiting foreground")
			return false, nil
		}
		v, err := c.call("getProcessInfo", name)
		if err != nil {
			return false, err
		}
		if procInfo(asMap(v)).num("state") != stateRunning {
			c.output("Process got killed")
			c.output("Exiting foreground")
			return false, nil
		}
	}
}

// interrupts routes SIGINT in the shell: to the command that catches it
// (tail -f, fg), or else to ending the shell as the reference's does.
type interrupts struct {
	mu      sync.Mutex
	handler func()
	ch      chan os.Signal
}

func (i *interrupts) set(h func()) {
	i.mu.Lock()
	i.handler = h
	i.mu.Unlock()
}

// start catches SIGINT until stop; otherwise is called for an interrupt
// no command catches.
func (i *interrupts) start(otherwise func()) {
	i.ch = make(chan os.Signal, 1)
	signal.Notify(i.ch, os.Interrupt)
	go func() {
		for range i.ch {
			i.mu.Lock()
			h := i.handler
			i.mu.Unlock()
			if h != nil {
				h()
			} else {
				otherwise()
			}
		}
	}()
}

func (i *interrupts) stop() {
	signal.Stop(i.ch)
	close(i.ch)
}
