// Package rpc calls supervisord's XML-RPC interface from an event listener,
// the way the reference's childutils.getRPCInterface does: supervisord
// gives its children SUPERVISOR_SERVER_URL (unix:///path/to/socket or
// http://host:port) and, when the server needs them, SUPERVISOR_USERNAME
// and SUPERVISOR_PASSWORD.
package rpc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"supervisord/conf"
	"supervisord/internal/rpcclient"
	"supervisord/protocol/xmlrpc"
)

// Client calls one supervisord.
type Client struct {
	rpc *rpcclient.Client
}

// ErrNoServerURL means the program does not run under supervisord.
var ErrNoServerURL = errors.New("SUPERVISOR_SERVER_URL is not set: run this as a supervisor event listener")

// FromEnv builds a Client from the variables supervisord sets for its
// children; getenv is usually os.Getenv.
func FromEnv(getenv func(string) string) (*Client, error) {
	u := getenv("SUPERVISOR_SERVER_URL")
	if u == "" {
		return nil, ErrNoServerURL
	}
	return New(u, getenv("SUPERVISOR_USERNAME"), getenv("SUPERVISOR_PASSWORD"))
}

// New builds a Client for serverURL, unix://<socket path> or
// http://host[:port] (port 80 by default; any path is ignored, requests go
// to /RPC2 as the reference's do). Basic authentication is sent when user
// or password is set.
func New(serverURL, user, password string) (*Client, error) {
	s, err := rpcclient.ParseURL(serverURL)
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", serverURL, err)
	}
	if s.Network == "tcp" && s.Host == "" {
		return nil, fmt.Errorf("server URL %q names no host", serverURL)
	}
	return &Client{rpc: rpcclient.New(s, rpcclient.Options{Auth: user != "" || password != "",
		Username: user, Password: password, IdleConns: 1})}, nil
}

// Call invokes method with params and returns its parsed result; a fault
// comes back as a *xmlrpc.Fault error.
func (c *Client) Call(ctx context.Context, method string, params ...any) (any, error) {
	return c.rpc.Call(ctx, method, params...)
}

// IsFault reports whether err is a fault with the given code.
func IsFault(err error, code int) bool {
	var f *xmlrpc.Fault
	return errors.As(err, &f) && f.Code == code
}

// Process states as getProcessInfo reports them.
const (
	StateStopped  = 0
	StateStarting = 10
	StateRunning  = 20
	StateBackoff  = 30
	StateStopping = 40
	StateExited   = 100
	StateFatal    = 200
	StateUnknown  = 1000
)

// ProcessInfo is one process as getProcessInfo and getAllProcessInfo
// describe it.
type ProcessInfo struct {
	Name, Group   string
	State         int
	StateName     string
	PID           int
	Start, Stop   int64 // epoch seconds, 0 if never
	Now           int64 // the server's clock
	ExitStatus    int
	Description   string
	SpawnErr      string
	Logfile       string
	StdoutLogfile string
	StderrLogfile string
}

// Namespec is how supervisord names the process in calls: "name" when it
// is alone in a group of the same name, else "group:name".
func (p ProcessInfo) Namespec() string { return conf.Namespec(p.Group, p.Name) }

// Uptime is how long the process has been up, by the server's clock.
func (p ProcessInfo) Uptime() time.Duration {
	if p.Start == 0 || p.Now < p.Start {
		return 0
	}
	return time.Duration(p.Now-p.Start) * time.Second
}

func processInfo(v any) (ProcessInfo, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return ProcessInfo{}, fmt.Errorf("process info is a %T", v)
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	num := func(k string) int64 { n, _ := m[k].(int); return int64(n) }
	return ProcessInfo{
		Name: str("name"), Group: str("group"), State: int(num("state")), StateName: str("statename"),
		PID: int(num("pid")), Start: num("start"), Stop: num("stop"), Now: num("now"),
		ExitStatus: int(num("exitstatus")), Description: str("description"), SpawnErr: str("spawnerr"),
		Logfile: str("logfile"), StdoutLogfile: str("stdout_logfile"), StderrLogfile: str("stderr_logfile"),
	}, nil
}

// GetAllProcessInfo is supervisor.getAllProcessInfo.
func (c *Client) GetAllProcessInfo(ctx context.Context) ([]ProcessInfo, error) {
	v, err := c.Call(ctx, "supervisor.getAllProcessInfo")
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("getAllProcessInfo returned a %T", v)
	}
	infos := make([]ProcessInfo, 0, len(list))
	for _, x := range list {
		info, err := processInfo(x)
		if err != nil {
			return nil, err
		}
		infos = append(infos, info)
	}
	return infos, nil
}

// GetProcessInfo is supervisor.getProcessInfo(namespec).
func (c *Client) GetProcessInfo(ctx context.Context, namespec string) (ProcessInfo, error) {
	v, err := c.Call(ctx, "supervisor.getProcessInfo", namespec)
	if err != nil {
		return ProcessInfo{}, err
	}
	return processInfo(v)
}

// StopProcess is supervisor.stopProcess(namespec, wait).
func (c *Client) StopProcess(ctx context.Context, namespec string, wait bool) error {
	_, err := c.Call(ctx, "supervisor.stopProcess", namespec, wait)
	return err
}

// StartProcess is supervisor.startProcess(namespec, wait).
func (c *Client) StartProcess(ctx context.Context, namespec string, wait bool) error {
	_, err := c.Call(ctx, "supervisor.startProcess", namespec, wait)
	return err
}

// Restart stops namespec (waiting for it to stop) and starts it again,
// the way superlance's listeners restart a process. A process that was not
// running is just started.
func (c *Client) Restart(ctx context.Context, namespec string) error {
	if err := c.StopProcess(ctx, namespec, true); err != nil && !IsFault(err, xmlrpc.FaultNotRunning) {
		return fmt.Errorf("stopping %s: %w", namespec, err)
	}
	if err := c.StartProcess(ctx, namespec, true); err != nil {
		return fmt.Errorf("starting %s: %w", namespec, err)
	}
	return nil
}
