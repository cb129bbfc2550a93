// Package sdnotify reads the datagrams a program sends to $NOTIFY_SOCKET,
// the sd_notify protocol of systemd, which the daemon speaks so that a
// program written for systemd's Type=notify can report its readiness
// (ready=notify), its status and its watchdog keep-alives unchanged.
//
// # Format
//
// A datagram is a list of assignments in the style of an environment
// block, one per line:
//
//	READY=1
//	STATUS=Processing requests...
//
// Well-known keys include READY=1 (start-up is complete), STATUS=<text> (a
// single-line status), STOPPING=1, RELOADING=1, WATCHDOG=1 (a keep-alive),
// WATCHDOG=trigger (the program reports itself failed), MAINPID=<pid>,
// ERRNO=<n> and EXTEND_TIMEOUT_USEC=<µs>; any other key is allowed and
// means nothing to the receiver.
//
// Parse reads a datagram the way systemd's service manager does:
//
//   - Lines end at '\n' or '\r'; a trailing newline is optional, and empty
//     lines (so "\r\n" line ends, and runs of newlines) are skipped.
//   - A line is split at its first '=': the key is what comes before it,
//     the value everything after, further '=' included. Nothing is
//     trimmed and there is no quoting or escaping: "STATUS= a\b " has the
//     value " a\b ".
//   - A line with no '=', or with nothing before it, assigns nothing.
//     systemd keeps such a line as a tag that matches none of the keys it
//     looks for, so it has no effect, and the rest of the datagram still
//     counts; Parse drops it likewise.
//   - A datagram holding a NUL byte is refused as a whole (ErrNUL), as is
//     one longer than MaxDatagram bytes (ErrTooLong): systemd ignores
//     both.
//   - An empty datagram is well formed and assigns nothing.
//
// Values are bytes as sent; whether they are UTF-8 is the reader's
// concern (systemd checks that only of STATUS=).
//
// A key may be assigned more than once in a datagram. Lookup returns the
// last assignment, the one a program that appends overrides means.
package sdnotify
