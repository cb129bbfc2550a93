package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/child"
	"supervisord/internal/fleet"
	"supervisord/internal/fsutil"
	"supervisord/internal/handoff"
	"supervisord/internal/httpserver"
	"supervisord/internal/jsonapi"
	"supervisord/internal/mainlog"
	"supervisord/internal/metrics"
	"supervisord/internal/notify"
	"supervisord/internal/rpcinterface"
	"supervisord/internal/statefile"
	"supervisord/internal/webui"
	"supervisord/protocol/sdnotify"
)

// serve runs the daemon in this process until it is told to exit, starting
// a fresh supervision tree on every SIGHUP. status is the daemon copy's
// startup report, nil in the foreground; ho is what a daemon that upgraded
// into this program handed over, nil otherwise.
func (c *CLI) serve(o *options, cfg *conf.Config, status *statusPipe, ho *handoff.State) int {
	// Programs get stdin, stdout and stderr from us, nothing else we were
	// started with.
	if err := child.CloseInheritedOnExec(); err != nil {
		fmt.Fprintln(c.err, "supervisor: cannot mark inherited descriptors close-on-exec:", err)
	}
	c.manager = notify.FromEnv()
	sigs := make(chan os.Signal, 16)
	// SIGPIPE is caught rather than ignored: an ignored signal would stay
	// ignored in every program we exec.
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT,
		syscall.SIGHUP, syscall.SIGUSR2, syscall.SIGPIPE)
	defer signal.Stop(sigs)
	up := newUpgrader(ho)
	for first := true; ; first = false {
		reread := func() (*conf.Config, error) { return c.load(o, false) }
		code, restart := c.runOnce(cfg, first, status, sigs, reread, ho, up)
		ho = nil
		if !restart {
			return code
		}
		// Like the reference, a config that went bad meanwhile ends the
		// daemon rather than leaving it running nothing.
		status = nil
		var err error
		if cfg, err = c.load(o, false); err != nil {
			return c.fail(err)
		}
	}
}

// runOnce is one life of the daemon, from dropping privileges to the tree
// being down again: the reference's Supervisor.main. restart reports a
// SIGHUP; otherwise code is the exit status.
func (c *CLI) runOnce(cfg *conf.Config, first bool, status *statusPipe, sigs <-chan os.Signal,
	reread func() (*conf.Config, error), ho *handoff.State, up *upgrader) (code int, restart bool) {
	s := &cfg.Supervisord
	var crits, infos []string
	warns := cfg.Warnings
	infos = append(infos, cfg.Infos...)
	if s.User == "" && os.Getuid() == 0 {
		crits = append(crits, rootWarning)
	}
	info, err := switchUser(s.User)
	if err != nil {
		return c.fail(err), false
	}
	if info != "" {
		infos = append(infos, info)
	}
	if first {
		raised, err := raiseLimits(s.Minfds, s.Minprocs)
		if err != nil {
			return c.fail(err), false
		}
		infos = append(infos, raised...)
	}

	logOpts := mainlog.Options{Path: s.Logfile, MaxBytes: s.LogfileMaxBytes,
		Backups: s.LogfileBackups, Level: s.LogLevel, Format: s.LogFormat}
	if s.Nodaemon && !s.Silent {
		logOpts.Stderr = c.out
		logOpts.Color = isTerminal(c.out)
	}
	ml, err := mainlog.New(logOpts)
	if err != nil {
		return c.fail(fmt.Errorf("supervisor: cannot open the main log: %w", err)), false
	}
	defer ml.Close()
	log := ml.Logger
	for _, m := range crits {
		log.Log(context.Background(), mainlog.LevelCritical, m)
	}
	for _, m := range warns {
		log.Warn(m)
	}
	for _, m := range infos {
		log.Info(m)
	}
	if !s.NoCleanup && ho == nil { // adopted processes write on to their AUTO logs
		for _, m := range clearChildLogDir(s.ChildLogDir, s.Identifier) {
			log.Warn(m)
		}
	}
	// The servers are bound before anything starts, so a port in use ends
	// the daemon before it has spawned a child; a call that comes early
	// waits for the tree, as it would wait for the reference's main loop.
	var (
		ready   = make(chan struct{}) // closed once api, jsonAPI, mx and ui are set
		api     *rpcinterface.Handler
		jsonAPI *jsonapi.Handler
		ui      *webui.Handler // nil when the page could not be made
		mx      *metrics.Metrics
	)
	started := func(r *http.Request) bool {
		select {
		case <-ready:
			return true
		case <-r.Context().Done():
			return false
		}
	}
	mux := http.NewServeMux()
	route := func(pattern string, serve func(*rpcinterface.Handler, http.ResponseWriter, *http.Request)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if started(r) {
				serve(api, w, r)
			}
		})
	}
	route("/RPC2", (*rpcinterface.Handler).ServeHTTP)
	route("/logtail/", (*rpcinterface.Handler).LogTail)
	route("/mainlogtail", (*rpcinterface.Handler).MainLogTail)
	mux.HandleFunc(jsonapi.Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		if started(r) {
			jsonAPI.ServeHTTP(w, r)
		}
	})
	// Prometheus metrics and the processes' recent history (read role).
	for _, path := range []string{"/metrics", "/metrics/history"} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if started(r) {
				mx.ServeHTTP(w, r)
			}
		})
	}
	// Everything else is the web page (index.html, tail.html and its own
	// resources).
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if !started(r) {
			return
		}
		if ui == nil {
			http.Error(w, "no web interface", http.StatusServiceUnavailable)
			return
		}
		ui.ServeHTTP(w, r)
	})
	// Like the reference, each fcgi-program's socket is bound (and closed
	// again) before anything is served, and one that cannot be ends the
	// daemon.
	// (Not after an upgrade: an adopted fcgi-program holds its socket.)
	if ho == nil {
		if err := actors.CheckSockets(cfg, log); err != nil {
			return c.fail(err), false
		}
	}
	serveOn := func(inherited []httpserver.Socket) (*httpserver.Servers, error) {
		return httpserver.StartInherited(cfg, mux, log, inherited)
	}
	servers, err := serveOn(inheritedSockets(ho))
	if err != nil {
		return c.fail(&usageError{err: err}), false // the reference's usage exit
	}
	defer func() { servers.Close() }() // the servers a failed upgrade started again
	if first && status != nil {
		becomeDaemon(log, s)
	}
	pidfileWritten := false
	if err := writePidfile(s.Pidfile); err != nil {
		log.Log(context.Background(), mainlog.LevelCritical, "could not write pidfile "+s.Pidfile)
	} else {
		pidfileWritten = true
		log.Info(fmt.Sprintf("supervisord started with pid %d", os.Getpid()))
	}
	defer func() {
		if pidfileWritten {
			fsutil.Unlink(s.Pidfile) // never a directory put in its place
		}
	}()

	// The daemon reaps every child of the process, not only the programs it
	// started: as PID 1 in a container, orphans are re-parented to it.
	var adopted []int
	if ho != nil {
		adopted = actors.AdoptedPIDs(ho)
	}
	reaper := child.NewReaper(log, child.ReapAll, adopted...)
	defer reaper.Close()
	// The history watches the tree from its first event on.
	history := metrics.NewHistory(metrics.HistoryOptions{Log: log})
	defer history.Close()
	d, err := actors.Start(cfg, actors.Options{Log: log, ServerURL: serverURL(cfg), Spawner: actors.ReaperSpawner(reaper),
		Handoff: ho, Observers: []actors.Observer{history.Observer()},
		Intent: readIntent(s.StateFile, log), StateFile: s.StateFile})
	if err != nil {
		log.Log(context.Background(), mainlog.LevelCritical, err.Error())
		return c.fail(err), false
	}
	if ho != nil {
		logAdoption(log, d, ho, up)
	}
	_, ended := d.Exit() // an essential program may have ended it already
	if s.AutoReload && !ended {
		if err := d.Watch(context.Background(), actors.WatchOptions{Running: cfg, Reread: reread, Log: log}); err != nil {
			log.Warn(err.Error())
		}
	}
	history.Sample(d)
	mx = metrics.New(d, metrics.Options{Log: log, History: history})
	// A fleet's node, when [fleet] says so: a node that cannot start
	// (its address is taken) stops the daemon, as a server would.
	var gateway fleet.Gateway
	if fl, err := startFleet(cfg, d, log); err != nil {
		log.Log(context.Background(), mainlog.LevelCritical, err.Error())
		d.Shutdown()
		<-d.Done()
		return c.fail(&usageError{err: err}), false
	} else if fl != nil {
		defer fl.Close()
		gateway = fl
	}
	requests := make(chan syscall.Signal, 1)
	ask := func(sig syscall.Signal) func() {
		return func() {
			select {
			case requests <- sig:
			default: // one is already on its way
			}
		}
	}
	api = rpcinterface.New(rpcinterface.Options{
		Tree: d, Config: cfg, PID: os.Getpid(), Log: log,
		ReopenMainLog: ml.Reopen, RotateMainLog: ml.Rotate,
		// A shutdown or restart asked over XML-RPC takes the signal's path.
		Shutdown: ask(syscall.SIGTERM), Restart: ask(syscall.SIGHUP),
		Reread:  reread,
		Upgrade: up.ask, UpgradeStatus: up.Status,
		Observe: func(method, result string, took time.Duration) { mx.ObserveAPI("xmlrpc", method, result, took) },
		Fleet:   gateway,
	})
	// The JSON API shares the XML-RPC API's view of the daemon: its state,
	// shutdown and restart.
	jsonAPI = jsonapi.New(jsonapi.Options{Tree: d, Control: api, Config: cfg, PID: os.Getpid(), Log: log,
		Reread: reread, Fleet: gateway,
		Observe: func(route, result string, took time.Duration) { mx.ObserveAPI("json", route, result, took) }})
	defer jsonAPI.Close() // before the servers close: its streams end
	if page, err := webui.New(context.Background(), webui.Options{Tree: d, Log: log,
		Identifier: s.Identifier, Reread: reread, History: func(group, name string) (any, bool) { return history.Series(group, name) },
		Fleet: gateway}); err != nil {
		if !ended {
			log.Warn("no web interface: " + err.Error())
		}
	} else {
		ui = page
		defer page.Close() // before the servers close: its streams end
	}
	close(ready)
	c.manager.Notify(sdnotify.Field{Key: "READY", Value: "1"},
		sdnotify.Field{Key: "STATUS", Value: fmt.Sprintf("running %d program groups", len(cfg.Groups))},
		sdnotify.Field{Key: "MAINPID", Value: strconv.Itoa(os.Getpid())})
	if status != nil {
		status.done()
		c.err = os.Stderr
	}
	h := &handover{log: log, cfg: cfg, tree: d, reaper: reaper, servers: &servers, serve: serveOn}
	return c.waitSignals(d, api, ml, sigs, requests, up, h)
}

// becomeDaemon finishes what the reference does after its fork: change into
// directory= and apply umask=. Both apply only to a daemonized supervisord.
func becomeDaemon(log *slog.Logger, s *conf.Supervisord) {
	log.Info("daemonizing the supervisord process")
	if s.Directory != "" {
		if err := os.Chdir(s.Directory); err != nil {
			log.Log(context.Background(), mainlog.LevelCritical, fmt.Sprintf("can't chdir into %s: %s",
				conf.PyRepr(s.Directory), err))
		} else {
			log.Info("set current directory: " + conf.PyRepr(s.Directory))
		}
	}
	syscall.Umask(int(s.Umask))
}

// waitSignals runs the signal loop of a started tree. It returns once the
// tree is down after an exit or restart request.
func (c *CLI) waitSignals(d *actors.Daemon, api *rpcinterface.Handler, ml *mainlog.Logger,
	sigs <-chan os.Signal, requests <-chan syscall.Signal, up *upgrader, h *handover) (code int, restart bool) {
	log := ml.Logger
	stopping := false
	for {
		select {
		case req := <-up.requests:
			if stopping {
				up.failed(req.attempt, errors.New("the daemon is shutting down"))
				continue
			}
			h.upgrade(up, req) // returns only if the exec failed
		case sig := <-requests:
			if stopping {
				continue
			}
			stopping, restart = true, sig == syscall.SIGHUP
			if restart {
				c.manager.Notify(sdnotify.Field{Key: "RELOADING", Value: "1"})
			} else {
				c.manager.Notify(sdnotify.Field{Key: "STOPPING", Value: "1"})
			}
			d.Shutdown()
		case <-d.Done():
			// An essential program's end or exit_when_all_done stops the
			// tree by itself, and decides the exit status, even when a
			// signal came in while it was stopping.
			if e, ok := d.Exit(); ok {
				return e.Code, false
			}
			if !stopping {
				log.Log(context.Background(), mainlog.LevelCritical, "the supervision tree stopped on its own")
				return 1, false
			}
			return 0, restart
		case sig := <-sigs:
			name := conf.SignalName(sig.(syscall.Signal))
			switch sig {
			case syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT:
				log.Warn("received " + name + " indicating exit request")
				c.manager.Notify(sdnotify.Field{Key: "STOPPING", Value: "1"})
				api.SetState(rpcinterface.StateShutdown)
				restart = false
				if !stopping {
					stopping = true
					d.Shutdown()
				}
			case syscall.SIGHUP:
				if stopping {
					log.Warn("ignored " + name + " indicating restart request (shutdown in progress)")
					continue
				}
				log.Warn("received " + name + " indicating restart request")
				c.manager.Notify(sdnotify.Field{Key: "RELOADING", Value: "1"})
				api.SetState(rpcinterface.StateRestarting)
				stopping, restart = true, true
				d.Shutdown()
			case syscall.SIGUSR2:
				log.Info("received " + name + " indicating log reopen request")
				log.Info("supervisord logreopen")
				if err := ml.Reopen(); err != nil {
					log.Error("could not reopen the main log: " + err.Error())
				}
				d.ReopenLogs()
			default:
				log.Log(context.Background(), mainlog.LevelBlather, "received "+name+" indicating nothing")
			}
		}
	}
}

// isTerminal reports whether w is a terminal, where colour helps.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// readIntent reads the state file: what cannot be read or parsed is
// logged and left aside (the daemon starts as if there were none, and the
// next change of intent writes the file anew).
func readIntent(path string, log *slog.Logger) *statefile.State {
	st, err := statefile.Read(path)
	if err != nil {
		log.Warn("ignoring the state file: " + err.Error()) // the error names the file
		return statefile.New()
	}
	return st
}
