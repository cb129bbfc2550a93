// Package rpcinterface is the XML-RPC API of the daemon: the supervisor.*
// and system.* methods with the reference's names, arguments, result shapes
// and fault codes, served over HTTP at /RPC2, and the /logtail streams.
// It is an encoding layer and nothing more: each method reads its XML-RPC
// parameters, calls the tree's typed service API (actors.Daemon), and
// encodes the Go result, or the *actors.Error's Kind as a fault code
// (one table, in this file). It holds no process state of its own.
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

// codes maps each kind of failure the tree reports to its fault code.
var codes = map[actors.Kind]int{
	actors.Failed:         xmlrpc.FaultFailed,
	actors.BadName:        xmlrpc.FaultBadName,
	actors.BadArguments:   xmlrpc.FaultBadArguments,
	actors.AlreadyStarted: xmlrpc.FaultAlreadyStarted,
	actors.NotRunning:     xmlrpc.FaultNotRunning,
	actors.BadSignal:      xmlrpc.FaultBadSignal,
	actors.NoFile:         xmlrpc.FaultNoFile,
	actors.NotExecutable:  xmlrpc.FaultNotExecutable,
	actors.SpawnError:     xmlrpc.FaultSpawnError,
	actors.Abnormal:       xmlrpc.FaultAbnormalTermination,
	actors.StillRunning:   xmlrpc.FaultStillRunning,
	actors.AlreadyAdded:   xmlrpc.FaultAlreadyAdded,
	actors.ShuttingDown:   xmlrpc.FaultShutdownState,
}

// asFault words an error from the tree about name. Errors that carry their
// own detail (a spawn check's message) keep it; the rest name the subject.
func asFault(err error, name string) *Fault {
	var f *Fault
	if errors.As(err, &f) {
		return f
	}
	var ie *internalError
	if errors.As(err, &ie) {
		return fault(xmlrpc.FaultFailed, ie.msg)
	}
	var e *actors.Error
	if errors.As(err, &e) {
		// A bad signal is worded with the signal as given, even "".
		if e.Detail != "" || e.Kind == actors.BadSignal {
			return fault(codes[e.Kind], e.Detail)
		}
		return fault(codes[e.Kind], name)
	}
	return fault(xmlrpc.FaultFailed, err.Error())
}

// FaultOf is the fault code and text the API answers err with, about the
// process or group name: the web page words failures the way the
// reference's page, an XML-RPC client of its own daemon, shows them.
func FaultOf(err error, name string) (code int, text string) {
	f := asFault(err, name)
	return f.Code, f.Text
}
