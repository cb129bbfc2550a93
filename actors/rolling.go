package actors

import (
	"context"
	"sync"

	"supervisord/conf"
)

// ErrNotReached is the outcome of a process a rolling restart did not
// get to, because one before it did not come back.
var ErrNotReached = errorf(Failed, "not restarted: the rolling restart stopped before it")

// RollingRestart restarts the processes specs name ("name",
// "group:name", "group:*" for a group's processes in their start order;
// each process once, in the order named) at most maxUnavailable at a
// time (1 when less): each batch is restarted at once and waited for
// until RUNNING (ready, with ready=), and only then does the next batch
// begin, so no more than maxUnavailable of them are ever down. When one
// of a batch does not come back, the restart stops there: its outcome
// says why, those after it are left as they are (running) with
// ErrNotReached. A spec that names nothing fails with BadName before
// anything is restarted. progress, when not nil, is told each outcome as
// it is known.
func (d *Daemon) RollingRestart(ctx context.Context, specs []string, maxUnavailable int, progress func(Outcome)) ([]Outcome, error) {
	if maxUnavailable < 1 {
		maxUnavailable = 1
	}
	var ps []*conf.Process
	seen := map[conf.ProcessRef]bool{}
	for _, spec := range specs {
		t, err := d.Resolve(ctx, spec)
		if err != nil {
			return nil, err
		}
		members := t.Group.Processes
		if t.Process != nil {
			members = []*conf.Process{t.Process}
		}
		for _, p := range members {
			ref := conf.ProcessRef{Group: p.Group, Name: p.Name}
			if !seen[ref] {
				seen[ref] = true
				ps = append(ps, p)
			}
		}
	}
	tell := func(o Outcome) {
		if progress != nil {
			progress(o)
		}
	}
	var out []Outcome
	for start := 0; start < len(ps); start += maxUnavailable {
		batch := ps[start:min(start+maxUnavailable, len(ps))]
		results := make([]Outcome, len(batch))
		var wg sync.WaitGroup
		for i, p := range batch {
			wg.Go(func() {
				results[i] = Outcome{Group: p.Group, Name: p.Name, Err: d.Restart(ctx, p.Group, p.Name, true)}
			})
		}
		wg.Wait()
		failed := false
		for _, o := range results {
			tell(o)
			failed = failed || o.Err != nil
		}
		out = append(out, results...)
		if failed || ctx.Err() != nil {
			for _, p := range ps[start+len(batch):] {
				o := Outcome{Group: p.Group, Name: p.Name, Err: ErrNotReached}
				tell(o)
				out = append(out, o)
			}
			break
		}
	}
	return out, nil
}
