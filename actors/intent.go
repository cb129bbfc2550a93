package actors

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"supervisord/conf"
	"supervisord/internal/auth"
	"supervisord/internal/statefile"
)

// The operator's lasting intent: a process disabled (kept from starting
// until enabled) or stopped by hand (not started again by an update, an
// automatic reload or a daemon restart until a start asks for it). The
// supervisor owns it, as it owns every process's state: it is loaded from
// the state file when the tree starts (Options.Intent), consulted whenever
// the tree would start processes on its own (autostart at startup, a group
// added or reshaped by an update), changed by the requests below, and
// written back to the state file by a goroutine, one write at a time, the
// latest state winning (writes coalesce).

// Operator is who asked for a change of intent: the account and the
// address it came from, each empty when not known.
type Operator struct {
	User, From string
}

// OperatorFrom is the operator of a request, as its server identified the
// caller (auth.From).
func OperatorFrom(ctx context.Context) Operator {
	p := auth.From(ctx)
	return Operator{User: p.User, From: p.Remote}
}

// Messages of the intent (supervisor requests).
type (
	// setIntent disables or enables processes; answered with *Result
	// (ErrBadName when one does not exist; then none is changed).
	setIntent struct {
		refs    []conf.ProcessRef
		disable bool // else enable: the intent is cleared
		by      Operator
	}
	// stopTaken is a process's word that it took a stop asked by hand
	// (stopProcess.by): the supervisor remembers the stop.
	stopTaken struct {
		ref conf.ProcessRef
		by  Operator
	}
	// intentSaved is the writer goroutine's report of one write;
	// intentWrite says that changes have settled and are to be written.
	intentSaved struct{ err error }
	intentWrite struct{}
)

func (*setIntent) isMessage()   {}
func (*stopTaken) isMessage()   {}
func (*intentSaved) isMessage() {}

// intentStore is the supervisor's part: the intent and its writing.
type intentStore struct {
	state *statefile.State
	path  string // "" when it is not persisted

	writing  bool          // a write is under way
	settling bool          // a write is due after intentSettle
	dirty    bool          // changed since the write under way began
	wrote    chan struct{} // closed when the write under way ends
}

func newIntentStore(st *statefile.State, path string) *intentStore {
	if st == nil {
		st = statefile.New()
	} else {
		st = st.Clone()
	}
	return &intentStore{state: st, path: path}
}

func key(ref conf.ProcessRef) string { return ref.Group + ":" + ref.Name }

// of is a process's intent; zero when it has none.
func (s *intentStore) of(ref conf.ProcessRef) statefile.Intent { return s.state.Processes[key(ref)] }

// held names the processes of a group the tree must not start by itself.
func (s *intentStore) held(group string, procs []*conf.Process) map[string]bool {
	var out map[string]bool
	for _, p := range procs {
		if s.of(conf.ProcessRef{Group: group, Name: p.Name}).Held() {
			if out == nil {
				out = map[string]bool{}
			}
			out[p.Name] = true
		}
	}
	return out
}

// set records a process's intent (dropping it when it asks nothing) and
// reports whether it changed.
func (s *intentStore) set(ref conf.ProcessRef, in statefile.Intent) bool {
	old, had := s.state.Processes[key(ref)]
	if in.IsZero() {
		delete(s.state.Processes, key(ref))
		return had
	}
	s.state.Processes[key(ref)] = in
	return old != in
}

// intentSettle is how long a change waits for others before the state
// file is written: a stop of all 500 processes makes one write, not one
// a process (each write fsyncs, which stalls the log files' writes).
const intentSettle = 100 * time.Millisecond

// save has the intent written: after intentSettle, in a goroutine that
// reports back with *intentSaved; the changes made meanwhile, or while a
// write runs, go in one write.
func (s *intentStore) save(c actor.Context) {
	if s.path == "" {
		return
	}
	s.dirty = true
	if s.writing || s.settling {
		return
	}
	s.settling = true
	root, self := c.ActorSystem().Root, c.Self()
	time.AfterFunc(intentSettle, func() { root.Send(self, &intentWrite{}) })
}

// write starts the write of what changed (on *intentWrite).
func (s *intentStore) write(c actor.Context) {
	s.settling = false
	if s.writing || !s.dirty {
		return
	}
	s.writing, s.dirty = true, false
	s.wrote = make(chan struct{})
	st, path, wrote := s.state.Clone(), s.path, s.wrote
	root, self := c.ActorSystem().Root, c.Self()
	go func() {
		err := statefile.Write(path, st)
		close(wrote)
		root.Send(self, &intentSaved{err: err})
	}()
}

// saved takes a write's report: a failure is logged, changes made
// meanwhile are written now.
func (s *intentStore) saved(c actor.Context, rt *runtime, err error) {
	s.writing = false
	if err != nil {
		rt.log.Warn(fmt.Sprintf("cannot write the state file %s: %v", s.path, err))
	}
	if s.dirty {
		s.save(c)
	}
}

// flush finishes writing once the supervisor has stopped and takes no
// more messages: it waits for the write under way, then writes what
// changed after it began.
func (s *intentStore) flush(rt *runtime) {
	if s.writing {
		<-s.wrote
	}
	if s.dirty && s.path != "" {
		if err := statefile.Write(s.path, s.state); err != nil {
			rt.log.Warn(fmt.Sprintf("cannot write the state file %s: %v", s.path, err))
		}
	}
}

// stamp is an intent's record of who asked and when.
func (s *supervisor) stamp(in statefile.Intent, by Operator) statefile.Intent {
	in.User, in.From, in.At = by.User, by.From, s.rt.now().UTC()
	return in
}

// setIntent disables or enables processes.
func (s *supervisor) setIntent(c actor.Context, m *setIntent) {
	for _, ref := range m.refs {
		if p, _ := s.lookup(ref); p == nil {
			c.Respond(&Result{ErrBadName})
			return
		}
	}
	changed := false
	for _, ref := range m.refs {
		in := statefile.Intent{}
		if m.disable {
			in = s.stamp(s.intent.of(ref), m.by)
			in.Disabled = true
		}
		if s.intent.set(ref, in) {
			changed = true
		}
		verb := "enabled"
		if m.disable {
			verb = "disabled"
		}
		s.rt.log.Info(verb + " " + ref.String() + byWhom(m.by))
	}
	if changed {
		s.intent.save(c)
	}
	c.Respond(&Result{})
}

// byWhom is the main log's " by USER from ADDR", empty when not known.
func byWhom(by Operator) string {
	out := ""
	if by.User != "" {
		out += " by " + by.User
	}
	if by.From != "" {
		out += " from " + by.From
	}
	return out
}

// stopTaken remembers a stop asked by hand that the process took (one
// of a process that was not running is not remembered). The process
// answered the asker itself: the stop costs no round trip more.
func (s *supervisor) stopTaken(c actor.Context, m *stopTaken) {
	in := s.intent.of(m.ref)
	if in.Stopped || in.Disabled { // disabled says more already
		return
	}
	in = s.stamp(in, m.by)
	in.Stopped = true
	s.intent.set(m.ref, in)
	s.intent.save(c)
}

// startAllowed checks a start asked by hand of ref, which pulls in deps:
// Disabled when it or one of them is disabled. Otherwise the start clears
// their remembered stops.
func (s *supervisor) startAllowed(c actor.Context, ref conf.ProcessRef, deps []*conf.Process) error {
	if s.intent.of(ref).Disabled {
		return ErrDisabled
	}
	for _, d := range deps {
		dref := conf.ProcessRef{Group: d.Group, Name: d.Name}
		if s.intent.of(dref).Disabled {
			return &Error{Kind: Disabled, Detail: dref.String()}
		}
	}
	changed := false
	for _, r := range append([]conf.ProcessRef{ref}, refsOf(deps)...) {
		if in := s.intent.of(r); in.Stopped {
			in.Stopped = false
			s.intent.set(r, in)
			changed = true
		}
	}
	if changed {
		s.intent.save(c)
	}
	return nil
}

func refsOf(ps []*conf.Process) []conf.ProcessRef {
	out := make([]conf.ProcessRef, len(ps))
	for i, p := range ps {
		out[i] = conf.ProcessRef{Group: p.Group, Name: p.Name}
	}
	return out
}

// Disable marks a process disabled and stops it (and, first, what runs
// depending on it) as Stop does, waiting until it has stopped: from then
// on nothing starts it (autostart, start all, start of its group, an
// update, an automatic reload, a daemon restart or a reboot, through the
// state file) until Enable; a start naming it fails with Disabled. A
// process that was not running is disabled all the same.
func (d *Daemon) Disable(ctx context.Context, group, name string, who Operator) error {
	ref := conf.ProcessRef{Group: group, Name: name}
	if _, err := d.ask(ctx, &setIntent{refs: []conf.ProcessRef{ref}, disable: true, by: who}, askTimeout); err != nil {
		return err
	}
	if err := d.Stop(ctx, group, name, true); err != nil && !errors.Is(err, ErrNotRunning) {
		return err
	}
	return nil
}

// Enable lifts a process's disable, and its remembered stop if any. It
// does not start it: a start does, and so do autostart at the next daemon
// start and an update that changes it. Enabling a process that is not
// disabled does nothing.
func (d *Daemon) Enable(ctx context.Context, group, name string, who Operator) error {
	ref := conf.ProcessRef{Group: group, Name: name}
	_, err := d.ask(ctx, &setIntent{refs: []conf.ProcessRef{ref}, by: who}, askTimeout)
	return err
}

// DisableGroup is Disable for every process of a group: all are marked,
// then stopped together (StopGroup), waiting. The outcomes are one per
// process, in priority order; one that was not running is disabled too
// and reported as such.
func (d *Daemon) DisableGroup(ctx context.Context, name string, who Operator) ([]Outcome, error) {
	t, err := d.Resolve(ctx, name+":*")
	if err != nil {
		return nil, err
	}
	ps := byPriority(t.Group.Processes)
	if _, err := d.ask(ctx, &setIntent{refs: refsOf(ps), disable: true, by: who}, askTimeout); err != nil {
		return nil, err
	}
	stops, err := d.stopInLevels(ctx, ps, true)
	if err != nil {
		return nil, err
	}
	failed := map[conf.ProcessRef]error{}
	for _, o := range stops {
		if o.Err != nil && !errors.Is(o.Err, ErrNotRunning) {
			failed[conf.ProcessRef{Group: o.Group, Name: o.Name}] = o.Err
		}
	}
	outs := make([]Outcome, len(ps))
	for i, p := range ps {
		outs[i] = Outcome{Group: p.Group, Name: p.Name, Err: failed[conf.ProcessRef{Group: p.Group, Name: p.Name}]}
	}
	return outs, nil
}

// EnableGroup is Enable for every process of a group; one outcome per
// process, in priority order.
func (d *Daemon) EnableGroup(ctx context.Context, name string, who Operator) ([]Outcome, error) {
	t, err := d.Resolve(ctx, name+":*")
	if err != nil {
		return nil, err
	}
	ps := byPriority(t.Group.Processes)
	if _, err := d.ask(ctx, &setIntent{refs: refsOf(ps), by: who}, askTimeout); err != nil {
		return nil, err
	}
	outs := make([]Outcome, len(ps))
	for i, p := range ps {
		outs[i] = Outcome{Group: p.Group, Name: p.Name}
	}
	return outs, nil
}

// startRefused answers a start of ref (pulling in deps) with Disabled
// when that is what it must be, and reports whether it did.
func (s *supervisor) startRefused(c actor.Context, ref conf.ProcessRef, deps []*conf.Process) bool {
	if err := s.startAllowed(c, ref, deps); err != nil {
		c.Respond(&Result{err})
		return true
	}
	return false
}

// infoWithIntent asks a process for its info and answers with its intent
// added.
func (s *supervisor) infoWithIntent(c actor.Context, e *groupEntry, m *toProcess) {
	ref := conf.ProcessRef{Group: m.group, Name: m.name}
	replyTo := c.Sender()
	c.ReenterAfter(c.RequestFuture(e.pid, m, askTimeout), func(res any, err error) {
		if in, ok := res.(*ProcessInfo); ok && err == nil {
			out := *in
			out.Intent = s.intent.of(ref)
			c.Send(replyTo, &out)
			return
		}
		if err != nil {
			res = &Result{errorf(Failed, "%s did not answer: %v", ref, err)}
		}
		c.Send(replyTo, res)
	})
}

// forgetStops drops the remembered stops of a removed group's processes;
// a disable stays, should the group come back.
func (s *supervisor) forgetStops(c actor.Context, group string) {
	changed := false
	for k, in := range s.intent.state.Processes {
		if g, _, _ := strings.Cut(k, ":"); g == group && in.Stopped {
			in.Stopped = false
			s.intent.state.Processes[k] = in
			if in.IsZero() {
				delete(s.intent.state.Processes, k)
			}
			changed = true
		}
	}
	if changed {
		s.intent.save(c)
	}
}
