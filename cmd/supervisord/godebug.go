// The runtime settings the daemon is built with.

// updatemaxprocs=0: the runtime does not re-read the cgroup's CPU limit
// every few seconds to adjust GOMAXPROCS. An idle supervisord should wake
// only when something is due (a TICK event, a child's output or exit, a
// client); it sizes GOMAXPROCS once at start, which is plenty for its
// work.

//go:debug updatemaxprocs=0

package main
