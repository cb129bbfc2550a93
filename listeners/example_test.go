package listeners_test

import (
	"fmt"
	"os"
	"strings"

	"supervisord/listeners"
	"supervisord/protocol/events"
)

// A listener that reports crashes. Under supervisord it would read
// os.Stdin and answer on os.Stdout; here supervisord's side is canned.
func Example() {
	stdin := strings.NewReader(
		"ver:3.0 server:supervisor serial:0 pool:crash poolserial:0 eventname:PROCESS_STATE_EXITED len:68\n" +
			"processname:cat groupname:cat from_state:RUNNING expected:0 pid:2766" +
			"ver:3.0 server:supervisor serial:1 pool:crash poolserial:1 eventname:TICK_5 len:15\n" +
			"when:1201063880")
	var stdout strings.Builder

	l := listeners.New(stdin, &stdout)
	err := l.Run(func(ev *listeners.Event) error {
		if st, ok := ev.ProcessState(); ok && st.State == events.StateExited && !st.Expected {
			fmt.Printf("%s crashed (pid %d)\n", st.Process, st.PID)
		}
		return nil // OK
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	fmt.Printf("%q\n", stdout.String())
	// Output:
	// cat crashed (pid 2766)
	// "READY\nRESULT 2\nOKREADY\nRESULT 2\nOKREADY\n"
}
