// Package faults words the tree's failures as the API answers them: the
// reference's fault codes (protocol/xmlrpc) and texts, in one table that the
// XML-RPC API (internal/rpcinterface), the JSON API (internal/jsonapi) and
// the web page share, so that a failure reads the same on every surface.
package faults

import (
	"errors"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/protocol/xmlrpc"
)

// Fault is an API error: a code and the text the reference sends, the
// code's name optionally followed by ": " and a detail.
type Fault struct {
	Code int
	Text string
}

func (f *Fault) Error() string { return f.Text }

// Name is the code's name ("BAD_NAME").
func (f *Fault) Name() string { return xmlrpc.FaultName(f.Code) }

// New makes a Fault: the code's name, then ": " and the detail if one is
// given, even an empty one, as the reference words them.
func New(code int, detail ...string) *Fault {
	text := xmlrpc.FaultName(code)
	if len(detail) > 0 {
		text += ": " + detail[0]
	}
	return &Fault{Code: code, Text: text}
}

// NoFile is NO_FILE naming path, or bare when there is no path at all.
func NoFile(path string) *Fault {
	if path == "" {
		return New(xmlrpc.FaultNoFile)
	}
	return New(xmlrpc.FaultNoFile, path)
}

// CantReread is CANT_REREAD for a config that could not be read again,
// worded as the reference words its own config errors.
func CantReread(err error) *Fault {
	msg := err.Error()
	var ce *conf.Error
	if errors.As(err, &ce) {
		msg = ce.Reference()
	}
	return New(xmlrpc.FaultCantReread, msg)
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
	// A start of a disabled process: FAILED, the reference's code for a
	// request it refuses for a reason of its own.
	actors.Disabled: xmlrpc.FaultFailed,
}

// Of words an error from the tree about name. A Fault stays as it is;
// errors that carry their own detail (a spawn check's message) keep it; the
// rest name the subject. Anything else is FAILED with its text.
func Of(err error, name string) *Fault {
	var f *Fault
	if errors.As(err, &f) {
		return f
	}
	var e *actors.Error
	if errors.As(err, &e) {
		if e.Kind == actors.Disabled {
			return New(codes[e.Kind], Disabled(e.Detail))
		}
		// A bad signal is worded with the signal as given, even "".
		if e.Detail != "" || e.Kind == actors.BadSignal {
			return New(codes[e.Kind], e.Detail)
		}
		return New(codes[e.Kind], name)
	}
	return New(xmlrpc.FaultFailed, err.Error())
}

// Disabled is the text of a refused start: "disabled; enable it first",
// or, when dep (a dependency the start would pull in) is the disabled
// one, "depends on DEP, which is disabled".
func Disabled(dep string) string {
	if dep != "" {
		return "depends on " + dep + ", which is disabled; enable it first"
	}
	return "disabled; enable it first"
}

// OfRead words a failed log read as readLog and readProcessStdoutLog do:
// FAILED and BAD_ARGUMENTS bare, NO_FILE naming the file (if there is one
// at all), anything else as Of does.
func OfRead(err error, name string) *Fault {
	var e *actors.Error
	if errors.As(err, &e) {
		switch e.Kind {
		case actors.Failed:
			return New(xmlrpc.FaultFailed)
		case actors.NoFile:
			return NoFile(e.Detail)
		case actors.BadArguments:
			return New(xmlrpc.FaultBadArguments)
		}
	}
	return Of(err, name)
}
