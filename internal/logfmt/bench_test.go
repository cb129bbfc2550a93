package logfmt

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// The framer alone on 80-byte lines, read 64 KiB at a time (a busy
// program's output) or one line a read, each at a time of its own (a
// program writing a line at a time, with the daemon keeping up).
func BenchmarkFramer(b *testing.B) {
	var read []byte
	for i := 0; len(read) < 64<<10; i++ {
		read = fmt.Appendf(read, "%010d %s\n", i, bytes.Repeat([]byte{byte('a' + i%26)}, 68))
	}
	read = read[:64<<10] // ending inside a line, as reads do
	for _, tc := range []struct {
		name   string
		format Format
		prefix bool
	}{{"prefix", Raw, true}, {"timestamped", Timestamped, false}, {"json", JSON, false}} {
		b.Run(tc.name+"/64KiB", func(b *testing.B) {
			f := New(tc.format, tc.prefix, web)
			var out []byte
			b.SetBytes(int64(len(read)))
			for b.Loop() {
				out = f.Append(out[:0], read, 1, t0)
			}
		})
		b.Run(tc.name+"/line", func(b *testing.B) {
			f := New(tc.format, tc.prefix, web)
			var out []byte
			line := read[:80]
			b.SetBytes(int64(len(line)))
			now := t0
			for b.Loop() {
				now = now.Add(2 * time.Microsecond)
				out = f.Append(out[:0], line, 1, now)
			}
		})
	}
}
