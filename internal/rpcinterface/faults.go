// Package rpcinterface is the XML-RPC API of the daemon: the supervisor.*
// and system.* methods with the reference's names, arguments, result shapes
// and fault codes, served over HTTP at /RPC2, and the /logtail streams.
// It is an encoding layer and nothing more: each method reads its XML-RPC
// parameters, calls the tree's typed service API (actors.Daemon), and
// encodes the Go result, or the *actors.Error's Kind as a fault code
// (one table, internal/faults, that the JSON API and the page share). It holds no process state of its own.
package rpcinterface

import (
	"errors"
	"fmt"

	"supervisord/internal/faults"
	"supervisord/protocol/xmlrpc"
)

// Fault is an API error (package faults words them for every surface).
type Fault = faults.Fault

// fault makes a Fault: the code's name, then ": " and the detail if one is
// given.
func fault(code int, detail ...string) *Fault { return faults.New(code, detail...) }

// noFile is NO_FILE naming path, or bare when there is no path at all.
func noFile(path string) *Fault { return faults.NoFile(path) }

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

// asFault words an error from the tree about name (faults.Of); an argument
// the reference's code could not handle is FAILED with its message.
func asFault(err error, name string) *Fault {
	var ie *internalError
	if errors.As(err, &ie) {
		return fault(xmlrpc.FaultFailed, ie.msg)
	}
	return faults.Of(err, name)
}

// FaultOf is the fault code and text the API answers err with, about the
// process or group name: the web page words failures the way the
// reference's page, an XML-RPC client of its own daemon, shows them.
func FaultOf(err error, name string) (code int, text string) {
	f := asFault(err, name)
	return f.Code, f.Text
}
