package actors

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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

// WatchOptions are what the config watcher needs.
type WatchOptions struct {
	Running *conf.Config                 // the config the tree runs
	Reread  func() (*conf.Config, error) // reads the config files again
	Log     *slog.Logger
}

// Watch starts the config watcher: when the config file, an included file,
// or a new file matching an [include] pattern changes, it reads the config
// again and applies it as `supervisorctl update` would. An invalid config
// is logged and not applied; changes that only a restart can apply
// ([supervisord], the servers) are logged as such. Watching has begun when
// Watch returns; Shutdown stops the watcher first.
func (d *Daemon) Watch(ctx context.Context, opts WatchOptions) error {
	_, err := d.ask(ctx, &startWatcher{opts: opts, d: d}, askTimeout)
	return err
}

// startWatcher spawns the watcher as the supervisor's child and lets it
// answer the request once it watches.
func (s *supervisor) startWatcher(c actor.Context, m *startWatcher) {
	if s.watcher != nil || s.stopping {
		c.Respond(&Result{errorf(Failed, "the config watcher cannot start now")})
		return
	}
	props := actor.PropsFromProducer(func() actor.Actor { return newWatcher(m.d, m.opts) },
		actor.WithReceiverMiddleware(panicStacks(s.rt.log)))
	pid, err := c.SpawnNamed(props, "config:watcher")
	if err != nil {
		c.Respond(&Result{errorf(Failed, "cannot start the config watcher: %v", err)})
		return
	}
	s.watcher = pid
	c.RequestWithCustomSender(pid, &ping{}, c.Sender())
}

// watcher is the config watcher: it owns the fsnotify watch and the reload
// status.
//
// Accepts: *ping (answered once it watches, or with why it cannot),
// *fsnotify.Event (from its reader goroutine), its own *watchSettled timer,
// *watchApplied (from the goroutine that rereads and updates, blocking work
// kept off the mailbox), *getReloadStatus (answered with *reloadIs).
// Parent: the supervisor, which stops it first on shutdown. Failure policy:
// the supervisor's default (restart); each incarnation is a fresh watcher
// that watches again from the config it was started with.
type watcher struct {
	d    *Daemon
	opts WatchOptions
	log  *slog.Logger

	fw       *fsnotify.Watcher
	err      error        // why it could not watch
	running  *conf.Config // the config last applied
	status   ReloadStatus
	timers   *scheduler.TimerScheduler
	cancel   scheduler.CancelFunc
	changed  string // a file that changed, for the log
	applying bool   // a reread and update is under way
	again    bool   // files changed while applying
	dirs     map[string]bool
}

func newWatcher(d *Daemon, opts WatchOptions) actor.Actor {
	return &watcher{d: d, opts: opts, log: opts.Log, running: opts.Running,
		status: ReloadStatus{Watching: true, Files: opts.Running.Files}}
}

func (w *watcher) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		fw, err := fsnotify.NewWatcher()
		if err != nil {
			w.err = errorf(Failed, "cannot watch the config: %v", err)
			w.status.Watching = false
			return
		}
		w.fw = fw
		w.watch(w.running)
		w.timers = scheduler.NewTimerScheduler(c.ActorSystem().Root)
		self, root, log := c.Self(), c.ActorSystem().Root, w.log
		go func() {
			for ev := range fw.Events {
				root.Send(self, &ev)
			}
		}()
		go func() {
			for err := range fw.Errors {
				log.Warn("autoreload: watching the config: " + err.Error())
			}
		}()
	case *actor.Stopping, *actor.Restarting:
		if w.fw != nil {
			w.fw.Close() // ends both goroutines
		}
	case *ping:
		c.Respond(&Result{w.err})
	case *getReloadStatus:
		st := w.status
		st.Files = slices.Clone(st.Files)
		c.Respond(&reloadIs{status: st})
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
		d, opts, running, status := w.d, w.opts, w.running, w.status
		go func() { root.Send(self, apply(d, opts, running, status)) }()
	case *watchApplied:
		w.applying = false
		w.status = m.status
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

// apply rereads and updates; it runs outside the actor on what it is
// handed. It reports the config applied (nil when none was) and the new
// reload status.
func apply(d *Daemon, opts WatchOptions, running *conf.Config, status ReloadStatus) *watchApplied {
	log := opts.Log
	ctx := context.Background()
	cfg, err := opts.Reread()
	read := time.Now()
	if err != nil {
		// conf's errors name the file, line, section and option.
		log.Error("autoreload: the changed config is not applied: " + err.Error())
		status.Read, status.Err = read, err
		return &watchApplied{status: status}
	}
	if err := d.SetConfig(ctx, cfg); err != nil {
		status.Read, status.Err = read, err
		return &watchApplied{status: status}
	}
	if !reflect.DeepEqual(cfg.Supervisord, running.Supervisord) ||
		!reflect.DeepEqual(cfg.UnixHTTPServers, running.UnixHTTPServers) ||
		!reflect.DeepEqual(cfg.InetHTTPServers, running.InetHTTPServers) ||
		!reflect.DeepEqual(cfg.Users, running.Users) ||
		!reflect.DeepEqual(cfg.Fleet, running.Fleet) {
		// The servers (their ports, TLS files and accounts) and the
		// fleet's membership are made at startup and are not remade by
		// an update.
		log.Warn("autoreload: [supervisord], server, [user:] or [fleet] settings changed; they apply on restart (SIGHUP)")
	}
	added, changed, removed, err := d.Update(ctx, cfg)
	for _, g := range removed {
		log.Info("autoreload: removed process group " + g)
	}
	for _, g := range changed {
		log.Info("autoreload: updated process group " + g)
	}
	for _, g := range added {
		log.Info("autoreload: added process group " + g)
	}
	if err != nil {
		log.Error("autoreload: " + err.Error())
	}
	return &watchApplied{cfg: cfg, status: ReloadStatus{Watching: true, Files: cfg.Files, Read: read, Err: err,
		Applied: time.Now(), Added: added, Changed: changed, Removed: removed}}
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
