package actors

import (
	"log/slog"

	"supervisord/conf"
)

// Options are what the daemon's main hands the supervision tree.
type Options struct {
	Log *slog.Logger // the main log; never nil
	// ServerURL is exported to children as SUPERVISOR_SERVER_URL when a
	// program sets no serverurl of its own.
	ServerURL string
}

// Daemon is a running supervision tree.
type Daemon struct {
	done chan struct{}
}

// Start spawns the supervision tree for cfg and starts the autostart programs
// in priority order. It returns once the tree is up, not when programs run.
func Start(cfg *conf.Config, opts Options) (*Daemon, error) {
	panic("in progress")
}

// Shutdown begins the stop sequence (every process, reverse priority order) and
// returns at once; Done is closed when it has finished.
func (d *Daemon) Shutdown() { panic("in progress") }

// Done is closed once every process has stopped and the tree is down.
func (d *Daemon) Done() <-chan struct{} { return d.done }

// ReopenLogs closes and reopens every child log file (SIGUSR2).
func (d *Daemon) ReopenLogs() { panic("in progress") }
