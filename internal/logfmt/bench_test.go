package logfmt

import (
	"bytes"
	"fmt"
	"testing"
)

// The framer alone on 64 KiB reads (the output hub's) of 80-byte lines.
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
		b.Run(tc.name, func(b *testing.B) {
			f := New(tc.format, tc.prefix, web)
			var out []byte
			b.SetBytes(int64(len(read)))
			for b.Loop() {
				out = f.Append(out[:0], read, 1, t0)
			}
		})
	}
}
