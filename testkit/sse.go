package testkit

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
)

// SSEEvent is one server-sent event as a client sees it.
type SSEEvent struct {
	Event, ID, Data string
	Comment         bool // a comment line (a keep-alive)
	IDOnly          bool // only an id line
}

// SSE opens a server-sent event stream at url, with header (name, value
// pairs), failing the test unless it opens (200, text/event-stream), and
// hands its events to the channel until the stream ends or stop is
// called (also at the test's end).
func SSE(t testing.TB, url string, header ...string) (events <-chan SSEEvent, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		cancel()
		t.Fatalf("%s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan SSEEvent, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev SSEEvent
		seen := false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if seen {
					ev.IDOnly = ev.ID != "" && ev.Data == "" && ev.Event == ""
					select {
					case out <- ev:
					case <-ctx.Done():
						return
					}
				}
				ev, seen = SSEEvent{}, false
			case strings.HasPrefix(line, ":"):
				ev.Comment, seen = true, true
			case strings.HasPrefix(line, "retry: "):
			default:
				k, v, _ := strings.Cut(line, ": ")
				switch k {
				case "event":
					ev.Event = v
				case "id":
					ev.ID = v
				case "data":
					ev.Data = v
				}
				seen = true
			}
		}
	}()
	stop = func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return out, stop
}
