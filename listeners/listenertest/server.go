// Package listenertest helps test event listeners: Server is a stand-in
// supervisord XML-RPC server serving getAllProcessInfo, getProcessInfo,
// stopProcess and startProcess over a table of processes and recording
// every call; Stream is what supervisord writes to a listener's stdin;
// Daemons and Start run real supervisords (ours and the reference), for tests that check a listener
// against it.
package listenertest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"supervisord/conf"
	"supervisord/protocol/events"
	"supervisord/protocol/xmlrpc"
)

// Process is one process of the fake server.
type Process struct {
	Name, Group string
	State       int // rpc.State* codes
	PID         int
	Start, Now  int64
}

// Server is a running fake supervisord.
type Server struct {
	*httptest.Server
	mu        sync.Mutex
	procs     []*Process
	calls     []string
	nextPID   int
	FailStart map[string]bool // namespecs whose startProcess faults
	User      string          // when set, require basic auth User:Password
	Password  string
}

// New starts a server over procs.
func New(procs ...*Process) *Server {
	s := &Server{procs: procs, nextPID: 5000, FailStart: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Calls returns the calls so far, as "method arg1 arg2".
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// Process returns the process called namespec.
func (s *Server) Process(namespec string) *Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.find(namespec)
}

// find is the process namespec names, nil for none or a whole group
// (the stand-in serves no group calls).
func (s *Server) find(namespec string) *Process {
	group, name := conf.SplitNamespec(namespec)
	for _, p := range s.procs {
		if name != "" && p.Group == group && p.Name == name {
			return p
		}
	}
	return nil
}

var stateNames = map[int]string{0: "STOPPED", 10: "STARTING", 20: "RUNNING", 30: "BACKOFF", 40: "STOPPING",
	100: "EXITED", 200: "FATAL", 1000: "UNKNOWN"}

func info(p *Process) xmlrpc.Struct {
	return xmlrpc.Struct{
		{Name: "name", Value: p.Name}, {Name: "group", Value: p.Group},
		{Name: "start", Value: p.Start}, {Name: "stop", Value: 0}, {Name: "now", Value: p.Now},
		{Name: "state", Value: p.State}, {Name: "statename", Value: stateNames[p.State]},
		{Name: "spawnerr", Value: ""}, {Name: "exitstatus", Value: 0}, {Name: "logfile", Value: ""},
		{Name: "stdout_logfile", Value: ""}, {Name: "stderr_logfile", Value: ""},
		{Name: "pid", Value: p.PID}, {Name: "description", Value: ""},
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if s.User != "" {
		u, pw, ok := r.BasicAuth()
		if !ok || u != s.User || pw != s.Password {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
	}
	if r.URL.Path != "/RPC2" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	method, params, err := xmlrpc.ParseCall(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	call := method
	for _, p := range params {
		call += " " + fmt.Sprint(p)
	}
	s.calls = append(s.calls, call)
	w.Header().Set("Content-Type", "text/xml")
	fault := func(code int, name string) { w.Write(xmlrpc.EncodeFault(code, name)) }
	switch method {
	case "supervisor.getAllProcessInfo":
		var all []any
		for _, p := range s.procs {
			all = append(all, info(p))
		}
		w.Write(xmlrpc.EncodeResponse(all))
	case "supervisor.getProcessInfo", "supervisor.stopProcess", "supervisor.startProcess":
		name, _ := params[0].(string)
		p := s.find(name)
		if p == nil {
			fault(10, "BAD_NAME: "+name)
			return
		}
		switch {
		case strings.HasSuffix(method, "getProcessInfo"):
			w.Write(xmlrpc.EncodeResponse(info(p)))
		case strings.HasSuffix(method, "stopProcess"):
			if p.State != 20 && p.State != 10 && p.State != 30 {
				fault(70, "NOT_RUNNING: "+name)
				return
			}
			p.State, p.PID = 0, 0
			w.Write(xmlrpc.EncodeResponse(true))
		default:
			if s.FailStart[name] {
				fault(50, "SPAWN_ERROR: "+name)
				return
			}
			if p.State == 20 {
				fault(60, "ALREADY_STARTED: "+name)
				return
			}
			s.nextPID++
			p.State, p.PID, p.Start = 20, s.nextPID, p.Now
			w.Write(xmlrpc.EncodeResponse(true))
		}
	default:
		fault(1, "UNKNOWN_METHOD")
	}
}

// Stream is what supervisord would write to a listener's stdin for evs,
// one after the other (a listener reads each only after saying READY).
func Stream(evs ...events.Event) string {
	var b strings.Builder
	for i, ev := range evs {
		b.Write(events.Envelope("supervisor", int64(i), "pool", int64(i), ev))
	}
	return b.String()
}
