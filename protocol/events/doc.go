// Package events holds the pure parts of Supervisor's event system, with
// the reference's (Supervisor 4.2.5) exact wire formats: the event type
// tree, the payload of each event kind, the envelope the daemon writes to
// a listener's stdin, the daemon's reading of what a listener writes back,
// and the TICK clock. It does no I/O and keeps no global state.
//
// # Daemon to listener
//
// For each event a pool sends, one listener of the pool reads a header line
// then exactly len characters of payload:
//
//	ver:3.0 server:supervisor serial:21 pool:listener poolserial:10 eventname:PROCESS_STATE_RUNNING len:58
//	processname:cat groupname:cat from_state:STARTING pid:2766
//
// Envelope builds it from an Event (ProcessState, ProcessLog,
// ProcessCommunication, RemoteCommunication, SupervisorRunning,
// SupervisorStopping, Tick, ProcessGroupAdded, ProcessGroupRemoved, and
// the extension ProcessHealth). ParseHeader and ParsePayload read it back
// on the listener's side. "len" is the payload's length in characters,
// not bytes (see Header).
//
// # Extensions
//
// PROCESS_HEALTH and its members (READY, HEALTHY, UNHEALTHY) are this
// project's, not the reference's. They are not under EVENT: only a
// listener that names them gets them, so one subscribed to EVENT sees
// exactly what the reference would send it. Types lists the reference's
// types only; ExtensionTypes lists these.
//
// # Listener to daemon
//
// A listener writes "READY\n" when it can take an event, then answers each
// event with "RESULT <n>\n" and n bytes, "OK" or "FAIL". ListenerOutput
// follows that as the reference does, quirks included:
//
//   - In ACKNOWLEDGED, nothing is decided until six bytes are buffered;
//     if they are not "READY\n" the listener becomes UNKNOWN ("READY\r\n"
//     and "ready\n" are errors, a lone "XYZ" just waits).
//   - In READY, any byte at all (a second READY, a stray newline left over
//     after a result) makes the listener UNKNOWN.
//   - In BUSY, a result line is whatever comes before the first newline,
//     however long; its first seven bytes are skipped unread (they need
//     not be "RESULT ") and the rest goes through Python's int(): white
//     space around, a sign, underscores between digits are fine. Anything
//     else logs "bad result line", rejects the event and makes the
//     listener UNKNOWN. The body is the next n bytes whatever they are;
//     bytes after it are the next token ("RESULT 2\nOK\n" leaves a "\n"
//     that spoils the next READY).
//   - Any body but exactly "OK" (FAIL, ok, OK\n) rejects the event, which
//     goes back to the head of the pool's buffer; the listener is
//     ACKNOWLEDGED either way.
//   - "RESULT 0\n" completes only when the listener writes again.
//   - A negative length stalls the listener for good once more output
//     comes (Stalled).
//   - Once UNKNOWN, output is dropped until the process is restarted.
//
// Each Signal gives the main-log lines the reference writes for it.
package events
