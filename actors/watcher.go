package actors

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/scheduler"
	"github.com/fsnotify/fsnotify"

	"supervisord/conf"
)

// settle is how long the config files must stay quiet before a change is
// read: editors and config management write in bursts (truncate, write,
// rename over), and one update should follow one edit.
const settle = 500 * time.Millisecond

// Watch starts the config watcher: when the config file, an included file,
// or a new file matching an [include] pattern changes, it reads the config
// again with reread and applies it as `supervisorctl update` would. An
// invalid config is logged and not applied; changes that only a restart
// can apply ([supervisord], the servers) are logged as such. Shutdown
// stops the watcher first.
func (d *Daemon) Watch(running *conf.Config, reread func() (*conf.Config, error), log *slog.Logger) error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("supervisor: cannot watch the config: %w", err)
	}
	w := &watcher{d: d, fw: fw, running: running, reread: reread, log: log}
	// Watching starts before Watch returns, so no edit made after it is
	// missed while the actor starts.
	w.watch(running)
	props := actor.PropsFromProducer(func() actor.Actor { return w })
	pid, err := d.sys.Root.SpawnNamed(props, "config:watcher")
	if err != nil {
		fw.Close()
		return err
	}
	d.mu.Lock()
	d.watcher = pid
	d.reload = ReloadStatus{Watching: true, Files: running.Files}
	d.mu.Unlock()
	return nil
}

// watcher is the actor behind Watch.
//
// Accepts: *fsnotify.Event (from its reader goroutine), its own
// *watchSettled timer and *watchApplied (from the goroutine that rereads
// and updates, blocking work kept off the mailbox). Parent: the root.
type watcher struct {
	d       *Daemon
	fw      *fsnotify.Watcher
	running *conf.Config
	reread  func() (*conf.Config, error)
	log     *slog.Logger

	timers   *scheduler.TimerScheduler
	cancel   scheduler.CancelFunc
	changed  string // a file that changed, for the log
	applying bool   // a reread and update is under way
	again    bool   // files changed while applying
	dirs     map[string]bool
}

type (
	watchSettled struct{}
	watchApplied struct{ cfg *conf.Config }
)

func (*watchSettled) isMessage() {}
func (*watchApplied) isMessage() {}

func (w *watcher) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		w.timers = scheduler.NewTimerScheduler(c.ActorSystem().Root)
		self, root := c.Self(), c.ActorSystem().Root
		go func() {
			for ev := range w.fw.Events {
				root.Send(self, &ev)
			}
		}()
		go func() {
			for err := range w.fw.Errors {
				w.log.Warn("autoreload: watching the config: " + err.Error())
			}
		}()
	case *actor.Stopping:
		w.fw.Close()
	case *fsnotify.Event:
		if !w.relevant(m.Name) {
			return
		}
		w.changed = m.Name
		if w.cancel != nil {
			w.cancel()
		}
		w.cancel = w.timers.SendOnce(settle, c.Self(), &watchSettled{})
	case *watchSettled:
		if w.applying {
			w.again = true
			return
		}
		w.applying = true
		w.log.Info("autoreload: " + w.changed + " changed, reading the config again")
		root, self := c.ActorSystem().Root, c.Self()
		go func() { root.Send(self, &watchApplied{cfg: w.apply()}) }()
	case *watchApplied:
		w.applying = false
		if m.cfg != nil {
			w.running = m.cfg
			w.watch(m.cfg)
		}
		if w.again {
			w.again = false
			c.Send(c.Self(), &watchSettled{})
		}
	}
}

// apply rereads and updates; it runs outside the actor and reads only what
// the actor does not change while it runs. It returns the config applied,
// nil when none was.
func (w *watcher) apply() *conf.Config {
	cfg, err := w.reread()
	read := time.Now()
	if err != nil {
		// conf's errors name the file, line, section and option.
		w.log.Error("autoreload: the changed config is not applied: " + err.Error())
		w.d.recordReload(func(r *ReloadStatus) { r.Read, r.Err = read, err })
		return nil
	}
	w.d.SetConfig(cfg)
	if !reflect.DeepEqual(cfg.Supervisord, w.running.Supervisord) ||
		!reflect.DeepEqual(cfg.UnixHTTPServers, w.running.UnixHTTPServers) ||
		!reflect.DeepEqual(cfg.InetHTTPServers, w.running.InetHTTPServers) {
		w.log.Warn("autoreload: [supervisord] or server settings changed; they apply on restart (SIGHUP)")
	}
	added, changed, removed, err := w.d.Update(context.Background(), cfg)
	for _, g := range removed {
		w.log.Info("autoreload: removed process group " + g)
	}
	for _, g := range changed {
		w.log.Info("autoreload: updated process group " + g)
	}
	for _, g := range added {
		w.log.Info("autoreload: added process group " + g)
	}
	if err != nil {
		w.log.Error("autoreload: " + err.Error())
	}
	w.d.recordReload(func(r *ReloadStatus) {
		*r = ReloadStatus{Watching: true, Files: cfg.Files, Read: read, Err: err,
			Applied: time.Now(), Added: added, Changed: changed, Removed: removed}
	})
	return cfg
}

// watch watches the directories of the config's files and include
// patterns: editors replace files by renaming over them, which a watch on
// the file itself would lose.
func (w *watcher) watch(cfg *conf.Config) {
	want := map[string]bool{}
	for _, f := range cfg.Files {
		want[filepath.Dir(f)] = true
	}
	for _, g := range cfg.IncludeGlobs {
		if dir := filepath.Dir(g); !strings.ContainsAny(dir, "*?[") {
			// A directory that does not exist yet is noticed from the
			// nearest one that does.
			for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
				if _, err := os.Stat(dir); err == nil {
					break
				}
			}
			want[dir] = true
		}
	}
	for dir := range w.dirs {
		if !want[dir] {
			w.fw.Remove(dir)
		}
	}
	for dir := range want {
		if !w.dirs[dir] {
			if err := w.fw.Add(dir); err != nil {
				w.log.Warn("autoreload: cannot watch " + dir + ": " + err.Error())
			}
		}
	}
	w.dirs = want
}

// relevant reports whether a change to path may change the config.
func (w *watcher) relevant(path string) bool {
	for _, f := range w.running.Files {
		if f == path {
			return true
		}
	}
	for _, g := range w.running.IncludeGlobs {
		if ok, _ := filepath.Match(g, path); ok {
			return true
		}
		// The include directory, or one above it, appearing.
		if dir := filepath.Dir(g); dir == path || strings.HasPrefix(dir, path+string(filepath.Separator)) {
			return true
		}
	}
	return false
}
