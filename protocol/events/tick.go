package events

import "time"

// TimeSlice is the start, in epoch seconds, of the period-second slice
// holding t (the reference's timeslice(), floored for times before 1970
// too).
func TimeSlice(period int64, t time.Time) int64 {
	s := t.Unix()
	r := s % period
	if r < 0 {
		r += period
	}
	return s - r
}

// TickClock decides when TICK_* events are due, as the reference's main
// loop does on each pass: the first look at the clock only notes the
// current slice of each period; later, each period whose slice differs
// from the one noted (forwards or, if the clock was set back, backwards)
// yields one Tick for the new slice. The zero value is ready.
type TickClock struct {
	last map[int64]int64
}

// Due returns the ticks to emit at now, shortest period first.
func (c *TickClock) Due(now time.Time) []Tick {
	if c.last == nil {
		c.last = make(map[int64]int64, len(TickPeriods))
	}
	var due []Tick
	for _, p := range TickPeriods {
		this := TimeSlice(p, now)
		last, ok := c.last[p]
		if !ok {
			c.last[p] = this
			continue
		}
		if this != last {
			c.last[p] = this
			due = append(due, Tick{Period: p, When: this})
		}
	}
	return due
}
