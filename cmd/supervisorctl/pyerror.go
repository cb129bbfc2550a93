package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"supervisord/conf"
	"supervisord/protocol/xmlrpc"
)

// When a command fails in a way it has no message for, the reference
// prints the Python exception that ended it: its class, its text, and the
// source file and line it was raised at. Those are shown the same way
// here, the location being where the reference's own client (on Debian's
// Python 3.11) raises the same exception, so transcripts compare equal.
const (
	pySupervisor     = "/usr/lib/python3/dist-packages/supervisor/"
	pyLib            = "/usr/lib/python3.11/"
	whereTransport   = "file: " + pySupervisor + "xmlrpc.py line: 505"
	whereProtocol    = "file: " + pySupervisor + "xmlrpc.py line: 539"
	whereUnixConnect = "file: " + pySupervisor + "xmlrpc.py line: 557"
	whereTCPConnect  = "file: " + pyLib + "socket.py line: 836"
	whereResolve     = "file: " + pyLib + "socket.py line: 962"
	whereFault       = "file: " + pyLib + "xmlrpc/client.py line: 668"
	whereMarshalInt  = "file: " + pyLib + "xmlrpc/client.py line: 552"
	whereParse       = "file: " + pyLib + "xmlrpc/client.py line: 451"
	wherePortCast    = "file: " + pyLib + "urllib/parse.py line: 182"
	wherePortRange   = "file: " + pyLib + "urllib/parse.py line: 184"
	whereHTTPRead    = "file: " + pyLib + "http/client.py line: 287"
	whereCtl         = "file: " + pySupervisor + "supervisorctl.py line: 717"
	whereInput       = "file: " + pySupervisor + "supervisorctl.py line: 1006"
	whereGetpass     = "file: " + pyLib + "getpass.py line: 148"
)

// pyError is a failure shown as the Python exception the reference would
// have raised.
type pyError struct {
	class string // the exception's class, as repr(type(e)) names it
	msg   string // str(e)
	where string // "file: F line: N"
	errno int    // for OSErrors, errno (negative for resolver errors)
}

func (e *pyError) Error() string { return e.msg }

// errorLine is how an unexpected failure of a command is reported.
func errorLine(err error) string {
	class, msg, where := "Exception", err.Error(), whereCtl
	var (
		pe    *pyError
		fault *xmlrpc.Fault
		proto *protocolError
	)
	switch {
	case errors.As(err, &pe):
		class, msg, where = pe.class, pe.msg, pe.where
	case errors.As(err, &fault):
		class, msg, where = "xmlrpc.client.Fault", faultRepr(fault), whereFault
	case errors.As(err, &proto):
		class, msg, where = "xmlrpc.client.ProtocolError", proto.Error(), whereProtocol
	}
	return fmt.Sprintf("error: <class '%s'>, %s: %s", class, msg, where)
}

// faultRepr is str() of a Python xmlrpc Fault.
func faultRepr(f *xmlrpc.Fault) string {
	return fmt.Sprintf("<Fault %d: %s>", f.Code, conf.PyRepr(f.String))
}

// errnoOf is the errno behind a connection failure, 0 if there is none.
func errnoOf(err error) int {
	var pe *pyError
	if errors.As(err, &pe) {
		return pe.errno
	}
	return 0
}

// pyErrnoClasses are the OSError subclasses Python raises for an errno.
var pyErrnoClasses = map[syscall.Errno]string{
	syscall.ENOENT:       "FileNotFoundError",
	syscall.ECONNREFUSED: "ConnectionRefusedError",
	syscall.ECONNRESET:   "ConnectionResetError",
	syscall.ECONNABORTED: "ConnectionAbortedError",
	syscall.EPIPE:        "BrokenPipeError",
	syscall.EACCES:       "PermissionError",
	syscall.EPERM:        "PermissionError",
	syscall.ETIMEDOUT:    "TimeoutError",
	syscall.EISDIR:       "IsADirectoryError",
	syscall.ENOTDIR:      "NotADirectoryError",
	syscall.EINTR:        "InterruptedError",
	syscall.EAGAIN:       "BlockingIOError",
}

// connError turns a failure to reach the server into the exception the
// reference's client raises for it.
func connError(err error, unix bool) error {
	where := whereTCPConnect
	if unix {
		where = whereUnixConnect
	}
	var dnsErr *net.DNSError
	var errno syscall.Errno
	switch {
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return &pyError{class: "socket.gaierror", msg: "[Errno -2] Name or service not known", where: whereResolve, errno: -2}
		}
		return &pyError{class: "socket.gaierror", msg: "[Errno -3] Temporary failure in name resolution", where: whereResolve, errno: -3}
	case errors.As(err, &errno):
		class := pyErrnoClasses[errno]
		if class == "" {
			class = "OSError"
		}
		return &pyError{class: class, msg: fmt.Sprintf("[Errno %d] %s", int(errno), strerror(errno)), where: where, errno: int(errno)}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return &pyError{class: "http.client.RemoteDisconnected", msg: "Remote end closed connection without response", where: whereHTTPRead}
	}
	return &pyError{class: "OSError", msg: err.Error(), where: where}
}

// strerror is the C library's text for errno, which Python shows (Go's
// own texts are the same, lower-cased).
func strerror(errno syscall.Errno) string {
	s := errno.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
