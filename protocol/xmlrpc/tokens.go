package xmlrpc

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
)

// decoder walks encoding/xml tokens. encoding/xml checks well-formedness
// and never expands an entity it was not given; the walk is recursive only
// through arrays and structs, which depth bounds.
type decoder struct {
	x       *xml.Decoder
	depth   int
	started bool // a token has been read
}

func newDecoder(body []byte) *decoder {
	body = bytes.TrimPrefix(body, []byte("\uFEFF")) // expat skips a BOM; encoding/xml would see text
	x := xml.NewDecoder(bytes.NewReader(body))
	x.CharsetReader = charsetReader
	return &decoder{x: x}
}

// token returns the next element or text token. Comments and processing
// instructions are skipped; a DOCTYPE is refused outright rather than
// trusting every reader of its entities. The end of input is
// io.ErrUnexpectedEOF because only end() expects it.
func (d *decoder) token() (xml.Token, error) {
	for {
		tok, err := d.x.Token()
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, fmt.Errorf("xmlrpc: %w", err)
		}
		started := d.started
		d.started = true
		switch t := tok.(type) {
		case xml.Directive:
			return nil, d.errorf("DOCTYPE and other directives are not allowed")
		case xml.ProcInst:
			// encoding/xml honours an encoding wherever a declaration is,
			// converting the rest of the input each time: quadratic.
			if started && t.Target == "xml" {
				return nil, d.errorf("XML declaration not at the start")
			}
			continue
		case xml.Comment:
			continue
		}
		return tok, nil
	}
}

// tag returns the local name of the next start or end tag, allowing only
// white space before it.
func (d *decoder) tag() (name string, start bool, err error) {
	for {
		tok, err := d.token()
		if err != nil {
			return "", false, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t.Name.Local, true, nil
		case xml.EndElement:
			return t.Name.Local, false, nil
		case xml.CharData:
			if !isSpace(t) {
				return "", false, d.errorf("unexpected text %.20q", t)
			}
		}
	}
}

func (d *decoder) expectStart(name string) error {
	tag, start, err := d.tag()
	if err == nil && (!start || tag != name) {
		err = d.unexpected(tag, start)
	}
	return err
}

func (d *decoder) expectEnd(name string) error {
	tag, start, err := d.tag()
	if err == nil && (start || tag != name) {
		err = d.unexpected(tag, start)
	}
	return err
}

// text returns the character data of the element named name, through its
// end tag; the element may not contain elements.
func (d *decoder) text(name string) (string, error) {
	var text []byte
	for {
		tok, err := d.token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text = append(text, t...)
		case xml.EndElement:
			return string(text), nil
		case xml.StartElement:
			return "", d.errorf("unexpected <%.40s> in <%s>", t.Name.Local, name)
		}
	}
}

func (d *decoder) unexpected(tag string, start bool) error {
	if start {
		return d.errorf("unexpected <%.40s>", tag)
	}
	return d.errorf("unexpected </%.40s>", tag)
}

func (d *decoder) errorf(format string, args ...any) error {
	line, _ := d.x.InputPos()
	return fmt.Errorf("xmlrpc: line %d: "+format, append([]any{line}, args...)...)
}
