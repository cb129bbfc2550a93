package conf

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule is a program's schedule= and its kin (an extension the
// reference ignores): the program is started at each due time instead of
// at startup, and a run that ends stays EXITED until the next one.
type Schedule struct {
	// Spec is schedule= as written, stripped: five cron fields, six with
	// seconds first, a descriptor (@daily) or @every DURATION.
	Spec string
	// TimeZone is schedule_timezone= as written, "" for local time;
	// Location is what it names (time.Local when "").
	TimeZone string
	Location *time.Location
	Overlap  Overlap // schedule_overlap=, default skip
	Catchup  bool    // schedule_catchup=, default false

	sched cron.Schedule
}

// Next is the first due time strictly after t; the zero time when there is
// none (a date that never comes, as February 30). A cron time is due once
// per wall-clock time in the schedule's zone: when clocks go back, the hour
// that repeats is due on its first pass only; when they go forward, the
// times that do not exist that day are not due that day. @every counts
// real time and ignores both.
func (s *Schedule) Next(t time.Time) time.Time {
	n := s.sched.Next(t)
	if _, ok := s.sched.(*cron.SpecSchedule); !ok {
		return n
	}
	for after := wallClock(t.In(s.Location)); !n.IsZero() && !wallClock(n.In(s.Location)).After(after); {
		n = s.sched.Next(n)
	}
	return n
}

// wallClock is t's date and time of day as read on a clock, whatever its
// offset: two instants an hour apart read alike in the hour that repeats.
func wallClock(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	return time.Date(y, mo, d, h, mi, sec, 0, time.UTC)
}

// Equal compares two schedules by their options; nil is no schedule.
func (s *Schedule) Equal(o *Schedule) bool {
	if s == nil || o == nil {
		return s == o
	}
	return s.Spec == o.Spec && s.TimeZone == o.TimeZone && s.Overlap == o.Overlap && s.Catchup == o.Catchup
}

// String is the schedule as it would be written, with its time zone when
// one is set: "0 3 * * * (Europe/Paris)".
func (s *Schedule) String() string {
	if s.TimeZone == "" {
		return s.Spec
	}
	return s.Spec + " (" + s.TimeZone + ")"
}

// Overlap is what a due time does while the previous run still runs.
type Overlap int

const (
	OverlapSkip  Overlap = iota // "skip", the default: that run is skipped, and logged
	OverlapQueue                // "queue": it starts once the previous run has ended; at most one waits
	OverlapAllow                // "allow": another instance (numprocs > 1) starts
)

func (o Overlap) String() string {
	switch o {
	case OverlapSkip:
		return "skip"
	case OverlapQueue:
		return "queue"
	case OverlapAllow:
		return "allow"
	}
	return fmt.Sprintf("Overlap(%d)", int(o))
}

// cronParser reads five fields, or six with seconds first, and the
// descriptors (@hourly, @every 5m, ...).
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

const scheduleForms = "five cron fields (minute hour day month weekday), six with seconds first, " +
	"@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every DURATION"

// ParseSchedule reads a schedule= value in loc (nil is local time); "" is
// no schedule (nil). Now is only used to check the schedule is ever due.
func ParseSchedule(spec string, loc *time.Location, now time.Time) (*Schedule, error) {
	t := strings.Join(strings.FieldsFunc(spec, isPySpace), " ")
	if t == "" {
		return nil, nil
	}
	if loc == nil {
		loc = time.Local
	}
	bad := func(why string) (*Schedule, error) {
		return nil, fmt.Errorf("invalid schedule value %s: %s", PyRepr(spec), why)
	}
	upper := strings.ToUpper(t)
	if strings.HasPrefix(upper, "TZ=") || strings.HasPrefix(upper, "CRON_TZ=") {
		return bad("set the time zone with schedule_timezone=")
	}
	if strings.HasPrefix(t, "@every") {
		d, err := time.ParseDuration(strings.TrimFunc(strings.TrimPrefix(t, "@every"), isPySpace))
		switch {
		case err != nil:
			return bad("expected @every DURATION, as @every 90s or @every 1h30m")
		case d < time.Second || d%time.Second != 0:
			return bad("@every takes a whole number of seconds, at least 1s")
		}
	}
	sched, err := cronParser.Parse(t)
	if err != nil {
		return bad(fmt.Sprintf("%s; expected %s", err, scheduleForms))
	}
	if s, ok := sched.(*cron.SpecSchedule); ok {
		s.Location = loc
	}
	s := &Schedule{Spec: t, Location: loc, sched: sched}
	if s.Next(now).IsZero() {
		return bad("it is never due")
	}
	return s, nil
}

// parseTimeZone reads schedule_timezone=: an IANA name, or "" (and
// "local") for the daemon's local time.
func parseTimeZone(s string) (*time.Location, error) {
	t := strings.TrimFunc(s, isPySpace)
	if t == "" || strings.EqualFold(t, "local") {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(t)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %s: expected an IANA name, as Europe/Paris or UTC", PyRepr(s))
	}
	return loc, nil
}

func parseOverlap(s string) (Overlap, error) {
	return parseWord("schedule_overlap", s, OverlapSkip, OverlapQueue, OverlapAllow)
}

// readSchedule reads a [program:x] section's schedule options into t (the
// template of its processes). A scheduled program is never autostarted and
// never restarted automatically; setting either option says otherwise,
// which is warned about.
func (l *loader) readSchedule(section string, names expansions, t *Process, numprocs int) error {
	var spec, tzName string
	var loc *time.Location
	var overlap Overlap
	var catchup bool
	err := l.readOptions(section, names, []option{
		opt("schedule", "", &spec, asIs),
		opt("schedule_timezone", "", &tzName, asIs),
		optCheck("schedule_timezone", func() (err error) {
			loc, err = parseTimeZone(tzName)
			if t := strings.TrimFunc(tzName, isPySpace); strings.EqualFold(t, "local") {
				tzName = ""
			} else {
				tzName = t
			}
			return err
		}),
		opt("schedule_overlap", "skip", &overlap, parseOverlap),
		opt("schedule_catchup", "false", &catchup, parseBool),
		optCheck("schedule_overlap", func() error {
			if overlap == OverlapAllow && numprocs <= 1 && strings.TrimFunc(spec, isPySpace) != "" {
				return errors.New("schedule_overlap=allow needs numprocs > 1: one process runs one copy at a time " +
					"(allow starts a due run on an instance that is not running)")
			}
			return nil
		}),
		optCheck("schedule", func() (err error) {
			t.Schedule, err = ParseSchedule(spec, loc, time.Now())
			return err
		}),
	})
	if err != nil {
		return err
	}
	if t.Schedule == nil {
		for _, name := range []string{"schedule_timezone", "schedule_overlap", "schedule_catchup"} {
			if o := l.doc.byName[section].byName[name]; o != nil {
				l.warnAt(o.file, o.line, fmt.Sprintf("%s in [%s] has no effect without schedule=", name, section))
			}
		}
		return nil
	}
	t.Schedule.TimeZone, t.Schedule.Overlap, t.Schedule.Catchup = tzName, overlap, catchup
	if o := l.doc.lookup(section, "autostart"); o != nil && t.AutoStart {
		l.warnAt(o.file, o.line, fmt.Sprintf("autostart=true in [%s] is ignored: a scheduled program starts at its due times only", section))
	}
	if o := l.doc.lookup(section, "autorestart"); o != nil && t.AutoRestart != RestartNever {
		l.warnAt(o.file, o.line, fmt.Sprintf("autorestart in [%s] is ignored: a run of a scheduled program that ends stays EXITED until the next due time", section))
	}
	t.AutoStart, t.AutoRestart = false, RestartNever
	return nil
}
