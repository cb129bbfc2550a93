package xmlrpc

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// charsetReader converts the single-byte encodings expat also reads
// without help; PHP's XML-RPC client declares ISO-8859-1 by default.
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	ascii := false
	switch strings.ToLower(label) {
	case "iso-8859-1", "iso8859-1", "latin-1", "latin1":
	case "us-ascii", "ascii":
		ascii = true
	default:
		return nil, fmt.Errorf("unsupported encoding %.40q", label)
	}
	in, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(in))
	for _, c := range in {
		if ascii && c >= utf8.RuneSelf {
			return nil, fmt.Errorf("byte %#x in a US-ASCII document", c)
		}
		out = utf8.AppendRune(out, rune(c))
	}
	return bytes.NewReader(out), nil
}
