package testkit

import (
	"regexp"
	"strings"
)

// logEvent maps a main-log message to the state its process is in after it.
// Both our daemon and the reference write these lines, so reading states from
// the log compares the two without any API.
var logEvents = []struct {
	re    *regexp.Regexp
	state func(prev string) string
}{
	{regexp.MustCompile(`spawned: '([^']+)' with pid \d+`), func(string) string { return "STARTING" }},
	{regexp.MustCompile(`success: (\S+) entered RUNNING state`), func(string) string { return "RUNNING" }},
	{regexp.MustCompile(`exited: (\S+) \(.*; expected\)`), func(string) string { return "EXITED" }},
	{regexp.MustCompile(`exited: (\S+) \(.*; not expected\)`), func(prev string) string {
		if prev == "STARTING" {
			return "BACKOFF"
		}
		return "EXITED"
	}},
	{regexp.MustCompile(`gave up: (\S+) entered FATAL state`), func(string) string { return "FATAL" }},
	{regexp.MustCompile(`stopped: (\S+) \(`), func(string) string { return "STOPPED" }},
}

// StatesFromLog replays a main log and returns the last state it shows for
// each process it mentions. Spawn errors name no process and are skipped;
// the "gave up" line that follows them still tells the final state.
func StatesFromLog(log string) map[string]string {
	states := map[string]string{}
	for _, line := range strings.Split(log, "\n") {
		for _, ev := range logEvents {
			if m := ev.re.FindStringSubmatch(line); m != nil {
				states[m[1]] = ev.state(states[m[1]])
				break
			}
		}
	}
	return states
}
