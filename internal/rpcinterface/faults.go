// Package rpcinterface is the XML-RPC API of the daemon: the supervisor.*
// and system.* methods with the reference's names, arguments, result shapes
// and fault codes, served over HTTP at /RPC2. Every call becomes requests
// to the supervision tree's actors (package actors); nothing here blocks
// the tree.
package rpcinterface

import (
	"errors"
	"fmt"

	"supervisord/protocol/xmlrpc"

	"supervisord/actors"
)

// Fault is an API error: a code and the text the reference sends, the code's
// name optionally followed by ": " and a detail.
type Fault struct {
	Code int
	Text string
}

func (f *Fault) Error() string { return f.Text }

// fault makes a Fault: the code's name, then ": " and the detail if one is
// given, even an empty one, as the reference words them.
func fault(code int, detail ...string) *Fault {
	text := xmlrpc.FaultName(code)
	if len(detail) > 0 {
		text += ": " + detail[0]
	}
	return &Fault{Code: code, Text: text}
}

// noFile is NO_FILE naming path, or bare when there is no path at all.
func noFile(path string) *Fault {
	if path == "" {
		return fault(xmlrpc.FaultNoFile)
	}
	return fault(xmlrpc.FaultNoFile, path)
}

// internalError is a call the reference fails with an HTTP 500 rather than
// a fault: arguments of a type its code cannot handle.
type internalError struct{ msg string }

func (e *internalError) Error() string { return e.msg }

func internal(format string, args ...any) error {
	return &internalError{fmt.Sprintf(format, args...)}
}

// pyStr is how Python's str() shows an XML-RPC value in a fault text.
func pyStr(v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	}
	return fmt.Sprint(v)
}

// sentinels maps the tree's outcomes to fault codes.
var sentinels = []struct {
	err  error
	code int
}{
	{actors.ErrBadName, xmlrpc.FaultBadName},
	{actors.ErrAlreadyStarted, xmlrpc.FaultAlreadyStarted},
	{actors.ErrNotRunning, xmlrpc.FaultNotRunning},
	{actors.ErrSpawn, xmlrpc.FaultSpawnError},
	{actors.ErrAbnormal, xmlrpc.FaultAbnormalTermination},
	{actors.ErrNoFile, xmlrpc.FaultNoFile},
	{actors.ErrNotExecutable, xmlrpc.FaultNotExecutable},
	{actors.ErrShuttingDown, xmlrpc.FaultShutdownState},
	{actors.ErrStillRunning, xmlrpc.FaultStillRunning},
	{actors.ErrAlreadyAdded, xmlrpc.FaultAlreadyAdded},
}

// asFault words an error from the tree about name. Errors that carry their
// own detail (a spawn check's message) keep it; the rest name the process.
func asFault(err error, name string) *Fault {
	var f *Fault
	if errors.As(err, &f) {
		return f
	}
	var ie *internalError
	if errors.As(err, &ie) {
		return fault(xmlrpc.FaultFailed, ie.msg)
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			if d := detail(err, s.err); d != "" {
				return fault(s.code, d)
			}
			return fault(s.code, name)
		}
	}
	if d := detail(err, actors.ErrFailed); d != "" {
		return fault(xmlrpc.FaultFailed, d)
	}
	return fault(xmlrpc.FaultFailed, err.Error())
}

// detail is what an error wrapped as "%w: detail" adds to its sentinel.
func detail(err, sentinel error) string {
	prefix := sentinel.Error() + ": "
	if msg := err.Error(); len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		return msg[len(prefix):]
	}
	return ""
}
