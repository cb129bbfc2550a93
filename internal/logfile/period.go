package logfile

import (
	"fmt"
	"time"
)

// Period is how often a File is rotated besides its size rule.
type Period int

const (
	NoPeriod Period = iota // by size alone, as the reference
	Hourly                 // at the top of every hour of local time
	Daily                  // at every local midnight
)

func (p Period) String() string {
	switch p {
	case NoPeriod:
		return "none"
	case Hourly:
		return "hourly"
	case Daily:
		return "daily"
	}
	return fmt.Sprintf("Period(%d)", int(p))
}

// Next is the first boundary of the period strictly after t, in t's
// location: the next top of an hour, or the next midnight (where a
// daylight-saving change skips midnight, the first instant of that day).
// An hour is an hour of the clock on the wall: the repeated hour when
// clocks go back is rotated twice, the skipped one never. It is the zero
// time for NoPeriod.
func (p Period) Next(t time.Time) time.Time {
	switch p {
	case Hourly:
		into := time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second +
			time.Duration(t.Nanosecond())
		return t.Add(time.Hour - into)
	case Daily:
		y, m, d := t.Date()
		return time.Date(y, m, d+1, 0, 0, 0, 0, t.Location())
	}
	return time.Time{}
}

// Clock is what period rotation reads the time from and waits on; tests
// give a File their own (Options.Clock).
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc; *time.Timer is one.
type Timer interface{ Stop() bool }

type realClock struct{}

func (realClock) Now() time.Time                            { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// schedule works out the next period boundary for the file just opened
// and arms the timer for it: a file holding output from before the
// current period (by its modification time) is due at once. Callers hold
// mu.
func (lf *File) schedule() {
	if lf.every == NoPeriod || lf.special {
		return
	}
	now := lf.clock.Now()
	from := now
	if lf.size > 0 {
		if st, err := lf.f.Stat(); err == nil && st.ModTime().Before(now) {
			from = st.ModTime().In(now.Location())
		}
	}
	lf.next = lf.every.Next(from)
	lf.arm(now)
}

// arm (re)starts the timer for lf.next. Callers hold mu.
func (lf *File) arm(now time.Time) {
	if lf.timer != nil {
		lf.timer.Stop()
	}
	lf.timerID++
	id := lf.timerID
	lf.timer = lf.clock.AfterFunc(max(lf.next.Sub(now), 0), func() { lf.boundary(id) })
}

// boundary is the timer's work: rotate the file when its period is over,
// then wait for the next one. A write may have rotated it already, and a
// timer can fire early (the wall clock was set back): then it only waits
// again.
func (lf *File) boundary(id uint64) {
	lf.mu.Lock()
	if id != lf.timerID || lf.f == nil {
		lf.mu.Unlock()
		return
	}
	now := lf.clock.Now()
	var err error
	if !now.Before(lf.next) {
		err = lf.rotate()
		if !now.Before(lf.next) { // it failed before the boundary moved on
			lf.next = lf.every.Next(now)
		}
	}
	if lf.f != nil {
		lf.arm(now)
	}
	lf.mu.Unlock()
	lf.report(err)
}

// report hands a background failure to OnError. Callers do not hold mu:
// OnError may well write to another File, or log about this one.
func (lf *File) report(err error) {
	if err != nil && lf.onError != nil {
		lf.onError(err)
	}
}
