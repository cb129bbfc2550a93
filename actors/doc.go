// Package actors is the supervision tree: one actor per thing that runs,
// each the only owner of what it manages, talking by message.
//
//	supervisor                      what runs: groups, processes, their states
//	├── events:bus                  numbers events, hands them to pools and observers
//	├── config:watcher              config edits → reread and update (autoreload)
//	├── <group>                     a [program]/[group]: its children's PIDs,
//	│   └── <process>               one OS process and its state machine
//	│       ├── stdout, stderr      log files, syslog, capture mode, log events
//	└── <pool>                      an [eventlistener]: a group plus the event buffer
//	    └── <process>
//	        ├── listener-<n>        the READY/RESULT protocol of one run
//	        └── stderr
//
// Each actor's doc comment is its contract: the messages it accepts and
// emits, its parent and its failure policy. The messages are in
// messages.go; the process state machine (the documented states and the
// edges between them) in state.go.
//
// # One owner
//
// The supervisor alone knows which groups and processes exist and what
// state each is in: every process tells it of each transition
// (*stateChanged). A group keeps only the PIDs of its children, to reach
// them; the Daemon handle keeps nothing. Whatever asks "what is running"
// asks the supervisor.
//
// # The service API
//
// [Daemon] is the way in from outside the tree (service.go): Go methods
// that take a context and return Go values and *[Error], whose Kind callers
// branch on. The XML-RPC API (internal/rpcinterface) and the JSON API
// (internal/jsonapi) are encodings of it, the web page (internal/webui) and
// the config watcher call it directly.
//
// Following one call, supervisor.startProcess("web:w_0") over XML-RPC:
//
//  1. internal/httpserver accepts the connection and checks the password;
//  2. internal/rpcinterface.Handler.ServeHTTP decodes the call
//     (protocol/xmlrpc) and runs the method from its table, startProcess,
//     which resolves the name (Daemon.Resolve) and calls Daemon.Start;
//  3. Daemon.Start (service.go) asks the supervisor (Daemon.ask in
//     daemon.go) with *toProcess{group, name, *startProcess};
//  4. the supervisor checks its registry and hands the request to the
//     group's actor, keeping the asker as sender; the group hands it to the
//     process actor;
//  5. the process actor (process.go) spawns the child through
//     internal/child and answers the asker with *Result; with wait, a
//     second request, *awaitStarted, is answered once it is RUNNING;
//  6. back in rpcinterface the error, if any, becomes a fault (faults.go),
//     the result is encoded and written.
//
// Only the supervisor is ever addressed from outside, and inside the tree
// an actor is reached only through the PID its spawn returned: protoactor
// registers a name a moment before the actor's mailbox can take messages,
// and a message sent to the name in that moment breaks the mailbox
// (spawnrace_test.go shows the hazard is avoided).
package actors
