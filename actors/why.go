package actors

import (
	"context"
	"fmt"
	"strings"
	"time"

	"supervisord/conf"
)

// Explanation is why a process is in its state, in words and facts, and
// whether that is where its config wants it.
type Explanation struct {
	Group, Name string
	Text        string
	// OK: an autostarted process is RUNNING (and not unhealthy); any other
	// is not in BACKOFF or FATAL.
	OK bool
}

// Why explains the processes specs name ("name", "group:name",
// "group:*"; "all" or none: every process), in start order. disk, when
// given, is the config as it is on disk now: an explanation then says
// which of a process's options differ from what it runs with.
func (d *Daemon) Why(ctx context.Context, specs []string, disk *conf.Config) ([]Explanation, error) {
	var ps []*conf.Process
	if len(specs) == 0 || len(specs) == 1 && specs[0] == "all" {
		all, err := d.allProcesses(ctx)
		if err != nil {
			return nil, err
		}
		ps = all
	}
	for _, spec := range specs {
		if spec == "all" {
			continue
		}
		t, err := d.Resolve(ctx, spec)
		if err != nil {
			return nil, err
		}
		if t.Process != nil {
			ps = append(ps, t.Process)
		} else {
			ps = append(ps, t.Group.Processes...)
		}
	}
	// A group scaled at runtime runs another number of instances than
	// its config's numprocs, which update keeps.
	scaled := map[string]string{}
	if groups, err := d.Groups(ctx); err == nil {
		for _, g := range groups {
			if g.Scale != nil && len(g.Processes) != g.Numprocs {
				scaled[g.Name] = fmt.Sprintf("Its group is scaled to %d instances where the config says numprocs=%d (scale; update keeps it).",
					len(g.Processes), g.Numprocs)
			}
		}
	}
	out := make([]Explanation, 0, len(ps))
	for _, p := range ps {
		in, err := d.Info(ctx, p.Group, p.Name)
		if err != nil {
			return nil, err
		}
		dp := onDisk(disk, p)
		if dp != nil && !dp.found && scaled[p.Group] != "" {
			dp = nil // an instance of the scale: not the config's, not removed by update
		}
		text, ok := explain(in, p, dp)
		if note := scaled[p.Group]; note != "" {
			text += " " + note
		}
		out = append(out, Explanation{Group: p.Group, Name: p.Name, Text: text, OK: ok})
	}
	return out, nil
}

// onDisk is process p as the config on disk has it: nil when disk is nil
// (not compared); found false when disk no longer has it.
func onDisk(disk *conf.Config, p *conf.Process) *diskProcess {
	if disk == nil {
		return nil
	}
	for _, g := range disk.Groups {
		if g.Name != p.Group {
			continue
		}
		for _, q := range g.Processes {
			if q.Name == p.Name {
				return &diskProcess{q, true}
			}
		}
	}
	return &diskProcess{nil, false}
}

type diskProcess struct {
	p     *conf.Process
	found bool
}

// explain words a process's state for `why`: what it is and since when,
// what it waits for, its backoff, failing checks, its last exit, and how
// the config on disk differs (disk nil: not compared). ok says whether it
// is where its config wants it.
func explain(in ProcessInfo, cfg *conf.Process, disk *diskProcess) (text string, ok bool) {
	var b strings.Builder
	name := conf.Namespec(in.Group, in.Name)
	say := func(format string, args ...any) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, format, args...)
	}
	at := func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") }
	ago := func(t time.Time) string {
		return (in.Now.Sub(t)).Truncate(time.Second).String() + " ago"
	}
	say("%s is %s", name, in.State)
	if d := in.Description(); d != "" && in.State != Stopped && in.State != Exited {
		say("(%s).", d)
	} else {
		b.WriteByte('.')
	}
	lc := cfg.Lifecycle
	switch in.State {
	case Starting:
		if lc.Ready.Kind != conf.ProbeNone {
			say("It becomes RUNNING once it is ready (ready=%s) and has stayed up startsecs=%d.", lc.Ready, int(cfg.StartSecs/time.Second))
		} else {
			say("It becomes RUNNING once it has stayed up startsecs=%d.", int(cfg.StartSecs/time.Second))
		}
		if in.CheckErr != "" {
			say("The last readiness check failed: %s.", in.CheckErr)
		}
		if in.Attempt > 0 {
			say("This is retry %d of startretries=%d.", in.Attempt, in.StartRetries)
		}
	case Backoff:
		say("It failed to start %d time(s) in a row, of startretries=%d;", in.Attempt, in.StartRetries)
		if !in.NextTry.IsZero() {
			say("the next try is at %s (in %s).", at(in.NextTry), max(in.NextTry.Sub(in.Now), 0).Truncate(100*time.Millisecond))
		} else {
			say("the next try is due.")
		}
	case Fatal:
		say("It gave up starting after more than startretries=%d failed tries in a row; it stays FATAL until started by hand.", in.StartRetries)
	case Running:
		if strings.HasPrefix(in.Health, "unhealthy") {
			say("Its health checks fail (health=%s): %s.", lc.Health, strings.TrimPrefix(in.Health, "unhealthy: "))
		} else if in.Health != "" {
			say("Its health: %s (health=%s).", in.Health, lc.Health)
		}
	}
	if in.WaitingFor != "" {
		say("It waits for %s before it starts.", in.WaitingFor)
	}
	if it := in.Intent; it.Disabled || it.Stopped {
		what := "stopped by hand, and is not started again by update, a reload or a restart of the daemon until a start asks for it"
		if it.Disabled {
			what = "disabled: nothing starts it until it is enabled"
		}
		by := ""
		if it.User != "" {
			by += " by " + it.User
		}
		if it.From != "" {
			by += " from " + it.From
		}
		if !it.At.IsZero() {
			by += " at " + at(it.At)
		}
		say("An operator%s has it %s.", by, what)
	}
	if in.SpawnErr != "" && (in.State == Backoff || in.State == Fatal) {
		say("The last start failed: %s.", in.SpawnErr)
	}
	if e := in.LastExit; e != nil {
		how := fmt.Sprintf("exit status %d", e.Code)
		if e.Signal != 0 {
			how = "signal " + conf.SignalName(e.Signal)
		}
		expected := "expected"
		if !e.Expected {
			expected = "not expected"
		}
		if e.Signal != 0 {
			expected = "killed"
		}
		say("Its last run ended at %s (%s) with %s (%s).", at(e.At), ago(e.At), how, expected)
	} else if in.Start.IsZero() {
		say("It has not run since the daemon started.")
	}
	if in.Intent.Disabled || in.Intent.Stopped {
		// Where the operator wants it is where it is meant to be.
		ok = in.State.IsStopped()
		if !ok {
			say("It is not stopped, as its operator wants it.")
		}
	} else if cfg.Schedule != nil {
		ok = in.State != Backoff && in.State != Fatal
		if !in.NextRun.IsZero() {
			say("Its schedule (schedule=%s) starts it next at %s (in %s).", cfg.Schedule.Spec, at(in.NextRun),
				max(in.NextRun.Sub(in.Now), 0).Truncate(time.Second))
		} else {
			say("It runs on its schedule (schedule=%s).", cfg.Schedule.Spec)
		}
	} else if cfg.AutoStart {
		// A program that is not restarted after an expected exit (a
		// one-shot job) is done once it ran and ended so.
		done := in.State == Exited && in.LastExit != nil && in.LastExit.Expected && cfg.AutoRestart != conf.RestartAlways
		ok = in.State == Running && !strings.HasPrefix(in.Health, "unhealthy") || done
		switch {
		case done:
			say("Its config starts it once (autostart=true, and no restart after an expected exit): it ran and ended as expected.")
		case ok:
			say("Its config wants it running (autostart=true), and it is.")
		default:
			say("Its config wants it running (autostart=true), and it is not.")
		}
	} else {
		ok = in.State != Backoff && in.State != Fatal
		say("Its config starts it only when asked (autostart=false).")
	}
	switch {
	case disk == nil:
	case !disk.found:
		say("The config on disk no longer has it: update would remove it.")
	default:
		if diff := cfg.Differences(disk.p); len(diff) > 0 {
			say("The config on disk differs in %s: update would restart it with them.", strings.Join(diff, ", "))
		} else {
			say("The config on disk is what it runs with.")
		}
	}
	return b.String(), ok
}
