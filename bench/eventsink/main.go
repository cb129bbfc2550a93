// Command eventsink is an eventlistener that answers OK to every event as
// fast as it can and, once it has seen -n events, writes how many it took
// per second (from the first to the last) to -out. With -wait it says
// READY only once that file exists, so the events can be queued first and
// the rate is the daemon's delivery, not the publisher's.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"supervisord/listeners"
)

func main() {
	n := flag.Int("n", 10000, "events to take")
	out := flag.String("out", "", "file for the result")
	wait := flag.String("wait", "", "file to wait for before taking events")
	flag.Parse()
	for *wait != "" {
		if _, err := os.Stat(*wait); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	l := listeners.New(os.Stdin, os.Stdout)
	var first time.Time
	seen := 0
	for {
		if _, err := l.Next(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if seen == 0 {
			first = time.Now()
		}
		seen++
		if err := l.OK(); err != nil {
			os.Exit(1)
		}
		if seen == *n {
			rate := float64(seen-1) / time.Since(first).Seconds()
			os.WriteFile(*out, []byte(fmt.Sprintf("%.0f events/s\n", rate)), 0o644)
		}
	}
}
