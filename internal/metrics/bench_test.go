package metrics

import (
	"io"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"supervisord/actors"
	"supervisord/internal/procstat"
)

// BenchmarkScrape is a scrape of 1000 running processes, /proc read for
// each (this process's, 1000 times) and the text written.
func BenchmarkScrape(b *testing.B) {
	for _, proc := range []struct {
		name string
		read ReadFunc
	}{{"proc", nil}, {"noproc", func(int) (procstat.Sample, error) {
		return procstat.Sample{CPU: time.Second, RSS: 1 << 20, FDs: 5}, nil
	}}} {
		b.Run(proc.name, func(b *testing.B) {
			var snap actors.Snapshot
			for i := range 1000 {
				snap.Processes = append(snap.Processes, actors.ProcessInfo{Group: "s", Name: "s_" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676)),
					State: actors.Running, PID: os.Getpid(), Start: time.Now()})
			}
			m := New(fakeTree{snap: snap}, Options{Read: proc.read})
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				m.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
				io.Copy(io.Discard, w.Body)
			}
		})
	}
}
