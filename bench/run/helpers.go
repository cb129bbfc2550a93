package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"supervisord/listeners"
)

// helpers are the programs scenarios run, as subcommands of this binary.
var helpers = map[string]func(args []string) int{
	"writer":   writerMain,
	"chatty":   chattyMain,
	"sink":     sinkMain,
	"forkloop": forkLoopMain,
}

// The log-capture stream: lineLen-byte lines, line i being its number in
// ten digits, a space, 68 letters that depend on i, and a newline. Any
// byte's value follows from its offset, so what reached the log files can
// be checked without keeping a copy.
const lineLen = 80

func appendLine(b []byte, i int64) []byte {
	var num [10]byte
	for k, v := 9, i; k >= 0; k-- {
		num[k] = byte('0' + v%10)
		v /= 10
	}
	b = append(b, num[:]...)
	b = append(b, ' ')
	b = append(b, letters[i%26:i%26+lineLen-12]...)
	return append(b, '\n')
}

// letters holds every rotation of the alphabet long enough for a line.
var letters = strings.Repeat("abcdefghijklmnopqrstuvwxyz", 5)

// waitFor blocks until path exists (the harness creates it to say go).
func waitFor(path string) {
	for path != "" {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// writerMain writes -bytes of the stream to stdout in writes of -write
// bytes, once -go exists, then exits.
func writerMain(args []string) int {
	fs := flag.NewFlagSet("writer", flag.ExitOnError)
	total := fs.Int64("bytes", 200_000_000, "bytes to write (a multiple of 80)")
	size := fs.Int("write", 1<<20, "bytes per write(2)")
	goFile := fs.String("go", "", "wait for this file before writing")
	fs.Parse(args)
	waitFor(*goFile)
	lines := *total / lineLen
	buf := make([]byte, 0, *size+lineLen)
	for i := int64(0); i < lines; i++ {
		buf = appendLine(buf, i)
		for len(buf) >= *size {
			if _, err := os.Stdout.Write(buf[:*size]); err != nil {
				fmt.Fprintln(os.Stderr, "writer:", err)
				return 1
			}
			buf = append(buf[:0], buf[*size:]...)
		}
	}
	if len(buf) > 0 {
		if _, err := os.Stdout.Write(buf); err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			return 1
		}
	}
	return 0
}

// Capture-mode tokens, as a program talking to an event listener writes them.
const (
	beginToken = "<!--XSUPERVISOR:BEGIN-->"
	endToken   = "<!--XSUPERVISOR:END-->"
)

// chattyMain writes -n PROCESS_COMMUNICATION blocks to stdout, -burst of
// them in each write(2), once -go exists, then sleeps until killed.
func chattyMain(args []string) int {
	fs := flag.NewFlagSet("chatty", flag.ExitOnError)
	n := fs.Int("n", 20000, "blocks to write")
	burst := fs.Int("burst", 100, "blocks per write(2)")
	goFile := fs.String("go", "", "wait for this file before writing")
	fs.Parse(args)
	waitFor(*goFile)
	var buf []byte
	for i := 0; i < *n; i++ {
		buf = fmt.Appendf(buf, "%s%08d%s", beginToken, i, endToken)
		if (i+1)%*burst == 0 || i == *n-1 {
			if _, err := os.Stdout.Write(buf); err != nil {
				fmt.Fprintln(os.Stderr, "chatty:", err)
				return 1
			}
			buf = buf[:0]
		}
	}
	select {}
}

// sinkReport is what the sink writes to -out (atomically, every 100 ms and
// when it has -n events).
type sinkReport struct {
	Count int   `json:"count"`
	First int64 `json:"first"` // unix nanoseconds of the first counted event
	Last  int64 `json:"last"`  // and of the last
	Done  int64 `json:"done"`  // when the count reached -n; 0 until then
}

// sinkMain is an event listener answering OK to everything. In -mode state
// it counts distinct (process, state) PROCESS_STATE events of the programs
// in -group; in -mode comm every PROCESS_COMMUNICATION event.
func sinkMain(args []string) int {
	fs := flag.NewFlagSet("sink", flag.ExitOnError)
	mode := fs.String("mode", "state", "state or comm")
	group := fs.String("group", "s", "-mode state: the group whose events count")
	n := fs.Int("n", 1000, "events expected")
	out := fs.String("out", "", "file for the report")
	fs.Parse(args)

	var (
		mu  sync.Mutex
		rep sinkReport
	)
	write := func() {
		mu.Lock()
		b, _ := json.Marshal(rep)
		mu.Unlock()
		tmp := *out + ".tmp"
		if os.WriteFile(tmp, b, 0o644) == nil {
			os.Rename(tmp, *out)
		}
	}
	go func() {
		for range time.Tick(100 * time.Millisecond) {
			write()
		}
	}()
	seen := map[string]bool{}
	l := listeners.New(os.Stdin, os.Stdout)
	for {
		ev, err := l.Next()
		if errors.Is(err, io.EOF) {
			return 0
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "sink:", err)
			return 1
		}
		count := false
		switch *mode {
		case "state":
			if st, ok := ev.ProcessState(); ok && st.Group == *group {
				key := st.Process + " " + st.State
				count = !seen[key]
				seen[key] = true
			}
		default:
			count = strings.HasPrefix(ev.Name(), "PROCESS_COMMUNICATION")
		}
		if count {
			now := time.Now().UnixNano()
			mu.Lock()
			rep.Count++
			if rep.First == 0 {
				rep.First = now
			}
			rep.Last = now
			reached := rep.Count == *n
			if reached {
				rep.Done = now
			}
			mu.Unlock()
			if reached {
				write()
			}
		}
		if err := l.OK(); err != nil {
			return 1
		}
	}
}
