// Package sse writes server-sent events: the writer the web page's and the
// JSON API's streams share, and a log file followed as a stream of events
// (FollowLog), across truncation and rotation.
package sse

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Timings of the streams.
const (
	// KeepAlive is how often an idle stream sends a comment, so proxies
	// keep it open and a vanished client is noticed.
	KeepAlive = 15 * time.Second
	// writeTimeout drops a client that stops reading.
	writeTimeout = 10 * time.Second
	// RetryMillis is how soon a browser reconnects a dropped stream.
	RetryMillis = 2000
)

// Writer writes one response's events. Events are queued (Queue) and go
// out at the next Flush, each write with a deadline: a client that stops
// reading is dropped rather than holding the stream.
type Writer struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf bytes.Buffer
}

// Start begins a stream: the headers of an event stream, and a retry
// interval for browsers. Call End when done with it.
func Start(w http.ResponseWriter) *Writer {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // no buffering in a reverse proxy
	w.WriteHeader(http.StatusOK)
	s := &Writer{w: w, rc: http.NewResponseController(w)}
	s.buf.WriteString("retry: " + strconv.Itoa(RetryMillis) + "\n\n")
	return s
}

// End lifts the write deadline: the server sets none of its own, so one
// left behind would fail a later response on the same connection.
func (s *Writer) End() { s.rc.SetWriteDeadline(time.Time{}) }

// Queue adds an event to what the next Flush writes. data is one line of
// JSON (which holds no newline); event and id may be empty.
func (s *Writer) Queue(event, id string, data []byte) {
	if event != "" {
		s.buf.WriteString("event: " + event + "\n")
	}
	if id != "" {
		s.buf.WriteString("id: " + id + "\n")
	}
	s.buf.WriteString("data: ")
	s.buf.Write(data)
	s.buf.WriteString("\n\n")
}

// QueueID adds a line that moves the client's last event id on without an
// event (a client that reconnects sends it as Last-Event-ID).
func (s *Writer) QueueID(id string) { s.buf.WriteString("id: " + id + "\n\n") }

// Send writes one event at once, its data encoded as JSON.
func (s *Writer) Send(event, id string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	s.Queue(event, id, b)
	return s.Flush()
}

// Comment writes a comment line at once (a keep-alive).
func (s *Writer) Comment(c string) error {
	s.buf.WriteString(": " + c + "\n\n")
	return s.Flush()
}

// Buffered is how many bytes wait for the next Flush.
func (s *Writer) Buffered() int { return s.buf.Len() }

// Flush writes what is queued; it fails once the client is gone or has not
// taken the bytes within the write timeout.
func (s *Writer) Flush() error {
	s.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := s.w.Write(s.buf.Bytes())
	s.buf.Reset()
	if err != nil {
		return err
	}
	return s.rc.Flush()
}

// Until is closed once a stream must end: the client is gone (ctx), its
// handler was closed, or the tree is down.
func Until(ctx context.Context, closed, down <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
		case <-closed:
		case <-down:
		}
	}()
	return done
}
