package actors

import (
	"slices"
	"time"

	"supervisord/conf"
)

// ReloadStatus is what the config watcher has done: whether it runs, what
// it watches, and how the last change it read ended.
type ReloadStatus struct {
	Watching bool
	Files    []string  // the config files watched
	Read     time.Time // when a change was last read; zero when none was
	// Err is why the change last read was not applied (naming the file,
	// line and option); nil when it was applied.
	Err error
	// Applied is when a change was last applied, with the groups it
	// added, changed and removed.
	Applied                 time.Time
	Added, Changed, Removed []string
}

// Config is the config last read: the one the tree started with, or a
// newer one from reloadConfig or the watcher. addProcessGroup and
// getAllConfigInfo use it, as the reference uses its last reread.
func (d *Daemon) Config() *conf.Config {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.config
}

// SetConfig records cfg as the config last read.
func (d *Daemon) SetConfig(cfg *conf.Config) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.config = cfg
}

// ReloadStatus reports what the config watcher has done.
func (d *Daemon) ReloadStatus() ReloadStatus {
	d.mu.RLock()
	defer d.mu.RUnlock()
	r := d.reload
	r.Files = slices.Clone(r.Files)
	return r
}

func (d *Daemon) recordReload(change func(*ReloadStatus)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	change(&d.reload)
}
