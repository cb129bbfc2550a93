package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// verifyStream checks the log files (oldest first) against the stream of
// total bytes the writer wrote, and returns how many of the bytes that
// should be there are not: lines missing, cut short or garbled. With
// rotated, the files may start anywhere in the stream (older output was
// rotated away, which is not a loss); otherwise they must hold all of it.
// unframe, when not nil, turns a line of a formatted log back into the
// line the writer wrote (nil when it cannot).
func verifyStream(files []string, total int64, rotated bool, unframe func([]byte) []byte) (lost int64, err error) {
	var readers []io.Reader
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if strings.HasSuffix(name, ".gz") {
			zr, err := gzip.NewReader(f)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", name, err)
			}
			readers = append(readers, zr)
			continue
		}
		readers = append(readers, f)
	}
	r := bufio.NewReaderSize(io.MultiReader(readers...), 1<<20)
	lines := total / lineLen
	if rotated {
		// The oldest file may begin inside a line whose start went with
		// an older backup.
		if _, err := r.ReadSlice('\n'); err != nil {
			return total, fmt.Errorf("no complete line in the logs: %w", err)
		}
	}
	var (
		first, prev = int64(-1), int64(-1)
		good        int64
		want        []byte
	)
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			for errors.Is(err, bufio.ErrBufferFull) { // a garbled giant line
				_, err = r.ReadSlice('\n')
			}
			continue
		}
		if len(line) == 0 && err != nil {
			break
		}
		if unframe != nil {
			line = unframe(line)
		}
		if len(line) == lineLen {
			seq, perr := strconv.ParseInt(string(line[:10]), 10, 64)
			if perr == nil && seq > prev && seq < lines {
				want = appendLine(want[:0], seq)
				if bytes.Equal(line, want) {
					if first < 0 {
						first = seq
					}
					prev = seq
					good++
				}
			}
		}
		if err != nil {
			break
		}
	}
	if first < 0 {
		return total, errors.New("no line of the stream in the logs")
	}
	if !rotated {
		first = 0
	}
	if prev != lines-1 {
		// The end is missing too: count it as lost.
		prev = lines - 1
	}
	return (prev - first + 1 - good) * lineLen, nil
}

// unframers undo each stdout_log_format on the writer's lines, which need
// no JSON escapes: a time and a space before the line, or an object whose
// message is the line.
var unframers = map[string]func([]byte) []byte{
	"timestamped": func(line []byte) []byte {
		_, rest, _ := bytes.Cut(line, []byte{' '})
		return rest
	},
	"json": func(line []byte) []byte {
		_, rest, ok := bytes.Cut(line, []byte(`"message":"`))
		msg, ok2 := bytes.CutSuffix(rest, []byte("\"}\n"))
		if !ok || !ok2 {
			return nil
		}
		// The message is followed in line by the quote and brace it
		// replaces with a newline.
		return append(msg, '\n')
	},
}
