package actors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/scheduler"

	"supervisord/conf"
)

// cronScheduler is the one owner of the scheduled programs' due times
// (schedule=): it arms a timer for each program's next due time and, when
// it fires, starts the program through the path a start request takes
// (Daemon.Start: depends_on, logging and events as usual), unless the
// previous run still goes on, where schedule_overlap decides.
//
// Accepts: *schedulePrograms (every scheduled process of the config that
// runs, from the supervisor at startup and after each add, remove and
// update), *stateChanged (every process transition, forwarded by the
// supervisor), *getSchedule (answered with *ScheduleInfo), its own
// *scheduleDue timers and *scheduleStarted (the outcome of a start).
// Emits *toProcess{*scheduledNext} to each scheduled process, so its
// status shows the next run, and start requests to the supervisor.
// Parent: the supervisor. Failure policy: the supervisor's default (a
// crash restarts it with no schedule; the next *schedulePrograms
// restores it).
type cronScheduler struct {
	rt    *runtime
	start func(ref conf.ProcessRef) error // Daemon.Start without waiting
	store scheduleStore                   // last due runs, for schedule_catchup

	entries map[string]*schedEntry
	states  map[conf.ProcessRef]State
	pending map[conf.ProcessRef]bool // a start asked for, its outcome not yet known
	timers  *scheduler.TimerScheduler
	gen     uint64 // numbers armed timers, so a stale one is told apart

	// lastRuns are the last due runs of the programs with catchup, by
	// key, as the store holds them; nil until first read.
	lastRuns map[string]time.Time
	saves    uint64
	first    bool // the first *schedulePrograms (daemon start) is still to come
}

// schedEntry is one schedule: of one process, or with
// schedule_overlap=allow of all the instances of a program, which take
// the due runs in turn.
type schedEntry struct {
	key    string
	sched  *conf.Schedule
	procs  []*conf.Process
	next   time.Time // the armed due time
	last   time.Time // the last due time handled (started, skipped or queued); zero before any
	gen    uint64
	cancel scheduler.CancelFunc
	queued bool // overlap=queue: a run waits for the current one to end
}

// ScheduleInfo is what the daemon knows of one scheduled process.
type ScheduleInfo struct {
	Schedule string // schedule= as written
	TimeZone string // schedule_timezone=; "" for local time
	Overlap  string // skip, queue or allow
	Catchup  bool
	NextRun  time.Time // zero when it is never due again
	LastRun  time.Time // the last due time, started or skipped; zero before any since the daemon started
	Queued   bool      // overlap=queue: a run waits for the current one to end
}

// Schedule is a scheduled process's schedule and its next and last due
// times; BadName when there is no such process or it has no schedule=.
func (d *Daemon) Schedule(ctx context.Context, group, name string) (ScheduleInfo, error) {
	v, err := d.ask(ctx, &getSchedule{ref: conf.ProcessRef{Group: group, Name: name}}, askTimeout)
	if err != nil {
		return ScheduleInfo{}, err
	}
	return *v.(*ScheduleInfo), nil
}

// Messages of the scheduler.
type (
	// schedulePrograms is every scheduled process of what runs.
	schedulePrograms struct{ procs []*conf.Process }
	// scheduleDue is an entry's timer.
	scheduleDue struct {
		key string
		gen uint64
	}
	// scheduleStarted is the outcome of a scheduled start.
	scheduleStarted struct {
		ref conf.ProcessRef
		err error
	}
	// getSchedule asks for one process's ScheduleInfo.
	getSchedule struct{ ref conf.ProcessRef }
	// scheduledNext tells a process its next due time, for its status.
	scheduledNext struct{ at time.Time }
)

func (*schedulePrograms) isMessage() {}
func (*scheduleDue) isMessage()      {}
func (*scheduleStarted) isMessage()  {}
func (*getSchedule) isMessage()      {}
func (*scheduledNext) isMessage()    {}
func (*ScheduleInfo) isMessage()     {}

// schedulerName is the scheduler's actor name, one no group can have.
const schedulerName = "schedule:cron"

// spawnScheduler starts the scheduler, which starts programs as a start
// request does: through the supervisor, as Daemon.Start.
func (s *supervisor) spawnScheduler(c actor.Context) *actor.PID {
	var store scheduleStore = &memoryScheduleStore{}
	if pf := s.cfg.Supervisord.Pidfile; pf != "" {
		store = &fileScheduleStore{path: filepath.Join(filepath.Dir(pf), "supervisord.schedule")}
	}
	inner := &Daemon{rt: s.rt, sys: c.ActorSystem(), root: c.Self(), done: s.done}
	start := func(ref conf.ProcessRef) error {
		return inner.Start(context.Background(), ref.Group, ref.Name, false)
	}
	pid, err := c.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return newCronScheduler(s.rt, start, store) }), schedulerName)
	if err != nil {
		panic(err)
	}
	return pid
}

// scheduleChanged tells the scheduler which scheduled processes there are
// now; called whenever the groups change.
func (s *supervisor) scheduleChanged(c actor.Context) {
	if s.sched == nil {
		return
	}
	var procs []*conf.Process
	s.scheduled = map[conf.ProcessRef]bool{}
	for _, e := range s.groups {
		for _, p := range e.cfg.Processes {
			if p.Schedule != nil {
				procs = append(procs, p)
				s.scheduled[refOf(p)] = true
			}
		}
	}
	c.Send(s.sched, &schedulePrograms{procs: procs})
}

func newCronScheduler(rt *runtime, start func(conf.ProcessRef) error, store scheduleStore) *cronScheduler {
	return &cronScheduler{rt: rt, start: start, store: store, entries: map[string]*schedEntry{},
		states: map[conf.ProcessRef]State{}, pending: map[conf.ProcessRef]bool{}, first: true}
}

func refOf(p *conf.Process) conf.ProcessRef { return conf.ProcessRef{Group: p.Group, Name: p.Name} }

// scheduleKey names an entry: the process, or with overlap=allow the
// program (a name no process can have: names hold no space).
func scheduleKey(p *conf.Process) string {
	if p.Schedule.Overlap == conf.OverlapAllow {
		return "program " + p.Group + ":" + p.Program
	}
	return refOf(p).String()
}

func (s *cronScheduler) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		s.timers = scheduler.NewTimerScheduler(c.ActorSystem().Root)
	case *schedulePrograms:
		s.setPrograms(c, m.procs)
	case *stateChanged:
		r := conf.ProcessRef{Group: m.group, Name: m.name}
		if _, ok := s.states[r]; !ok {
			return
		}
		s.states[r] = m.to
		if m.to.IsStopped() {
			s.ended(c, r, m.to)
		}
	case *scheduleDue:
		if e := s.entries[m.key]; e != nil && e.gen == m.gen {
			s.due(c, e)
		}
	case *scheduleStarted:
		delete(s.pending, m.ref)
		switch {
		case m.err == nil:
		case errors.Is(m.err, ErrAlreadyStarted):
			s.rt.log.Info(fmt.Sprintf("scheduled run of %s skipped: it was started meanwhile", m.ref))
		case errors.Is(m.err, ErrShuttingDown):
		default:
			s.rt.log.Warn(fmt.Sprintf("scheduled run of %s did not start: %v", m.ref, m.err))
		}
	case *getSchedule:
		for _, e := range s.entries {
			if slices.ContainsFunc(e.procs, func(p *conf.Process) bool { return refOf(p) == m.ref }) {
				c.Respond(&ScheduleInfo{Schedule: e.sched.Spec, TimeZone: e.sched.TimeZone, Overlap: e.sched.Overlap.String(),
					Catchup: e.sched.Catchup, NextRun: e.next, LastRun: e.last, Queued: e.queued})
				return
			}
		}
		c.Respond(&Result{errorf(BadName, "%s has no schedule", m.ref)})
	}
}

// setPrograms takes the scheduled processes of what runs now: an entry
// whose schedule and processes are unchanged keeps its due time, others
// are armed afresh, and those gone are dropped. At daemon start, a
// program with schedule_catchup whose last due run is older than a due
// time that has passed runs once at once.
func (s *cronScheduler) setPrograms(c actor.Context, procs []*conf.Process) {
	first := s.first
	s.first = false
	byKey := map[string][]*conf.Process{}
	var keys []string
	for _, p := range procs {
		k := scheduleKey(p)
		if byKey[k] == nil {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], p)
	}
	for k, e := range s.entries {
		if _, ok := byKey[k]; !ok {
			s.disarm(e)
			delete(s.entries, k)
		}
	}
	refs := map[conf.ProcessRef]bool{}
	for _, p := range procs {
		refs[refOf(p)] = true
		if _, ok := s.states[refOf(p)]; !ok {
			s.states[refOf(p)] = Stopped
		}
	}
	for r := range s.states {
		if !refs[r] {
			delete(s.states, r)
			delete(s.pending, r)
		}
	}
	now := s.rt.now()
	for _, k := range keys {
		ps := byKey[k]
		if e := s.entries[k]; e != nil && e.sched.Equal(ps[0].Schedule) &&
			slices.EqualFunc(e.procs, ps, func(a, b *conf.Process) bool { return a.Name == b.Name }) {
			e.procs = ps
			s.tellNext(c, e)
			continue
		} else if e != nil {
			s.disarm(e)
		}
		e := &schedEntry{key: k, sched: ps[0].Schedule, procs: ps}
		s.entries[k] = e
		if e.sched.Catchup {
			s.catchup(c, e, now, first)
		}
		s.arm(c, e, now, now)
	}
}

// catchup runs e once now when, at daemon start, a due time has passed
// since its last due run; and keeps its last due run for the next start.
func (s *cronScheduler) catchup(c actor.Context, e *schedEntry, now time.Time, first bool) {
	if s.lastRuns == nil {
		runs, err := s.store.load()
		if err != nil {
			s.rt.log.Warn(fmt.Sprintf("cannot read the last scheduled runs (schedule_catchup): %v; no missed run is made up", err))
		}
		if runs == nil {
			runs = map[string]time.Time{}
		}
		s.lastRuns = runs
	}
	last, ok := s.lastRuns[e.key]
	if !ok {
		// Nothing known: from now on, what is missed is known.
		s.remember(e, now)
		return
	}
	if missed := e.sched.Next(last); first && !missed.IsZero() && !missed.After(now) {
		s.rt.log.Info(fmt.Sprintf("catching up the scheduled run of %s due at %s, missed while the daemon was down",
			e.procs[0].Program, missed.In(e.sched.Location).Format(time.DateTime)))
		e.last = now
		s.remember(e, now)
		s.run(c, e, now)
	}
}

// remember records e's last due run, for schedule_catchup.
func (s *cronScheduler) remember(e *schedEntry, at time.Time) {
	if !e.sched.Catchup || s.lastRuns == nil {
		return
	}
	s.lastRuns[e.key] = at
	runs := make(map[string]time.Time, len(s.lastRuns))
	for k, v := range s.lastRuns {
		runs[k] = v
	}
	s.saves++
	seq, store, log := s.saves, s.store, s.rt.log
	go func() { // a write and an fsync: not on the actor's goroutine
		if err := store.save(seq, runs); err != nil {
			log.Warn(fmt.Sprintf("cannot record the last scheduled runs (schedule_catchup): %v", err))
		}
	}()
}

// arm sets e's timer for its next due time after from (its last due
// time, so that @every does not drift by the timers' lateness), or after
// now when that one has passed already (the machine slept).
func (s *cronScheduler) arm(c actor.Context, e *schedEntry, from, now time.Time) {
	s.disarm(e)
	if e.next = e.sched.Next(from); !e.next.After(now) {
		e.next = e.sched.Next(now)
	}
	s.tellNext(c, e)
	if e.next.IsZero() {
		return
	}
	s.gen++
	e.gen = s.gen
	e.cancel = s.timers.SendOnce(e.next.Sub(now), c.Self(), &scheduleDue{key: e.key, gen: e.gen})
}

func (s *cronScheduler) disarm(e *schedEntry) {
	if e.cancel != nil {
		e.cancel()
		e.cancel = nil
	}
	e.gen = 0
}

// tellNext shows e's next due time in its processes' status.
func (s *cronScheduler) tellNext(c actor.Context, e *schedEntry) {
	for _, p := range e.procs {
		c.Send(c.Parent(), &toProcess{group: p.Group, name: p.Name, msg: &scheduledNext{at: e.next}})
	}
}

// busy says whether r's previous run goes on (or is being started).
func (s *cronScheduler) busy(r conf.ProcessRef) bool {
	return s.pending[r] || !s.states[r].IsStopped()
}

// due handles e's due time: a run starts, is skipped or is queued.
func (s *cronScheduler) due(c actor.Context, e *schedEntry) {
	now := s.rt.now()
	if now.Before(e.next) { // the wall clock went back meanwhile
		e.cancel = s.timers.SendOnce(e.next.Sub(now), c.Self(), &scheduleDue{key: e.key, gen: e.gen})
		return
	}
	at := e.next
	e.last = at
	s.remember(e, at)
	s.run(c, e, at)
	s.arm(c, e, at, now)
}

// run starts e's run due at at, or skips or queues it while the previous
// one goes on.
func (s *cronScheduler) run(c actor.Context, e *schedEntry, at time.Time) {
	when := at.In(e.sched.Location).Format(time.DateTime)
	if e.sched.Overlap == conf.OverlapAllow {
		for _, p := range e.procs {
			if !s.busy(refOf(p)) {
				s.startRun(c, refOf(p))
				return
			}
		}
		s.rt.log.Info(fmt.Sprintf("scheduled run of %s due at %s skipped: every instance is still running (schedule_overlap=allow)", e.procs[0].Program, when))
		return
	}
	r := refOf(e.procs[0])
	switch {
	case !s.busy(r):
		s.startRun(c, r)
	case e.sched.Overlap == conf.OverlapQueue && !e.queued:
		e.queued = true
		s.rt.log.Info(fmt.Sprintf("scheduled run of %s due at %s queued: the previous run is still %s", r, when, s.states[r]))
	case e.sched.Overlap == conf.OverlapQueue:
		s.rt.log.Info(fmt.Sprintf("scheduled run of %s due at %s skipped: a run is already queued", r, when))
	default:
		s.rt.log.Info(fmt.Sprintf("scheduled run of %s due at %s skipped: the previous run is still %s (schedule_overlap=skip)", r, when, s.states[r]))
	}
}

// ended starts the queued run of r's entry once its run has ended by
// itself; a stop asked for drops it.
func (s *cronScheduler) ended(c actor.Context, r conf.ProcessRef, to State) {
	for _, e := range s.entries {
		if !e.queued || refOf(e.procs[0]) != r {
			continue
		}
		e.queued = false
		if to == Stopped {
			s.rt.log.Info(fmt.Sprintf("queued scheduled run of %s dropped: it was stopped", r))
			return
		}
		s.startRun(c, r)
	}
}

// startRun starts r as a start request does, off the actor's goroutine
// (the start may wait for dependencies to be asked).
func (s *cronScheduler) startRun(c actor.Context, r conf.ProcessRef) {
	s.pending[r] = true
	root, self, start := c.ActorSystem().Root, c.Self(), s.start
	go func() {
		root.Send(self, &scheduleStarted{ref: r, err: start(r)})
	}()
}

// scheduleStore keeps the last due run of each program with
// schedule_catchup across daemon restarts. save is handed increasing
// sequence numbers and ignores one older than what it has written.
type scheduleStore interface {
	load() (map[string]time.Time, error)
	save(seq uint64, runs map[string]time.Time) error
}

// memoryScheduleStore keeps nothing past the tree: for a tree with no
// pidfile (made in code).
type memoryScheduleStore struct{}

func (*memoryScheduleStore) load() (map[string]time.Time, error)     { return nil, nil }
func (*memoryScheduleStore) save(uint64, map[string]time.Time) error { return nil }

// fileScheduleStore is supervisord.schedule beside the pidfile: JSON,
// written atomically (a temporary file, fsync, rename).
type fileScheduleStore struct {
	path string
	mu   sync.Mutex
	seq  uint64
}

type scheduleFile struct {
	LastRun map[string]time.Time `json:"last_run"`
}

func (f *fileScheduleStore) load() (map[string]time.Time, error) {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var sf scheduleFile
	if err := json.Unmarshal(data, &sf); err != nil {
		return nil, fmt.Errorf("%s: %w", f.path, err)
	}
	return sf.LastRun, nil
}

func (f *fileScheduleStore) save(seq uint64, runs map[string]time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if seq <= f.seq {
		return nil
	}
	f.seq = seq
	data, err := json.MarshalIndent(scheduleFile{LastRun: runs}, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomically(f.path, append(data, '\n'))
}

// writeAtomically replaces path with data: never a half-written file,
// whenever the daemon or the machine stops.
func writeAtomically(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
