package xmlrpc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// ErrNoMethod reports a well-formed call without a method name, which
// Supervisor logs differently from an unreadable one.
var ErrNoMethod = errors.New("xmlrpc: no method name")

// ParseCall reads a <methodCall>. A missing <params> means no params, as
// Supervisor allows.
func ParseCall(body []byte) (method string, params []any, err error) {
	d := newDecoder(body)
	if err := d.expectStart("methodCall"); err != nil {
		return "", nil, err
	}
	if err := d.expectStart("methodName"); err != nil {
		return "", nil, err
	}
	if method, err = d.text("methodName"); err != nil {
		return "", nil, err
	}
	tag, start, err := d.tag()
	if err != nil {
		return "", nil, err
	}
	if start && tag == "params" {
		if params, err = d.params(); err != nil {
			return "", nil, err
		}
		if tag, start, err = d.tag(); err != nil {
			return "", nil, err
		}
	}
	if start || tag != "methodCall" {
		return "", nil, d.unexpected(tag, start)
	}
	if err := d.end(); err != nil {
		return "", nil, err
	}
	if method == "" {
		return "", nil, ErrNoMethod
	}
	return method, params, nil
}

// ParseResponse reads a <methodResponse> with exactly one param. A fault
// response is returned as a *Fault error.
func ParseResponse(body []byte) (any, error) {
	d := newDecoder(body)
	if err := d.expectStart("methodResponse"); err != nil {
		return nil, err
	}
	tag, start, err := d.tag()
	if err != nil {
		return nil, err
	}
	var v any
	switch {
	case start && tag == "params":
		params, err := d.params()
		if err != nil {
			return nil, err
		}
		if len(params) != 1 {
			return nil, fmt.Errorf("xmlrpc: response has %d params, want 1", len(params))
		}
		v = params[0]
	case start && tag == "fault":
		if v, err = d.fault(); err != nil {
			return nil, err
		}
	default:
		return nil, d.unexpected(tag, start)
	}
	if err := d.expectEnd("methodResponse"); err != nil {
		return nil, err
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	if f, ok := v.(*Fault); ok {
		return nil, f
	}
	return v, nil
}

// params reads <param><value>...</value></param>... up to </params>.
func (d *decoder) params() ([]any, error) {
	var params []any
	for {
		tag, start, err := d.tag()
		if err != nil {
			return nil, err
		}
		if !start && tag == "params" {
			return params, nil
		}
		if !start || tag != "param" {
			return nil, d.unexpected(tag, start)
		}
		if err := d.expectStart("value"); err != nil {
			return nil, err
		}
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		params = append(params, v)
		if err := d.expectEnd("param"); err != nil {
			return nil, err
		}
	}
}

// fault reads the <value> of a <fault> and its closing tag.
func (d *decoder) fault() (*Fault, error) {
	if err := d.expectStart("value"); err != nil {
		return nil, err
	}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	if err := d.expectEnd("fault"); err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	code, ok1 := m["faultCode"].(int)
	msg, ok2 := m["faultString"].(string)
	if !ok1 || !ok2 {
		return nil, errors.New("xmlrpc: fault is not a struct with an int faultCode and a string faultString")
	}
	return &Fault{Code: code, String: msg}, nil
}

// value reads what follows a <value> start tag, through its end tag.
func (d *decoder) value() (any, error) {
	var text []byte
	for {
		tok, err := d.token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text = append(text, t...)
		case xml.EndElement:
			return string(text), nil // no type element: a string
		case xml.StartElement:
			if !isSpace(text) {
				return nil, d.errorf("text %.20q beside <%.40s>", text, t.Name.Local)
			}
			v, err := d.typed(t.Name.Local)
			if err != nil {
				return nil, err
			}
			return v, d.expectEnd("value")
		}
	}
}

// typed reads the element named typ inside a <value>, through its end tag.
func (d *decoder) typed(typ string) (any, error) {
	switch typ {
	case "array":
		return d.array()
	case "struct":
		return d.structure()
	}
	s, err := d.text(typ)
	if err != nil {
		return nil, err
	}
	var v any
	switch typ {
	case "string":
		return s, nil
	case "int", "i4", "i8":
		v, err = parseInt(s)
	case "boolean":
		v, err = parseBool(s)
	case "double":
		v, err = parseDouble(s)
	case "dateTime.iso8601":
		v, err = parseTime(s)
	case "base64":
		v, err = parseBase64(s)
	case "nil":
		if !isSpace([]byte(s)) {
			err = errors.New("nil with content")
		}
	default:
		err = errors.New("unknown type")
	}
	if err != nil {
		return nil, d.errorf("<%.40s>%.40q: %v", typ, s, err)
	}
	return v, nil
}

func (d *decoder) array() ([]any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	if err := d.expectStart("data"); err != nil {
		return nil, err
	}
	a := []any{}
	for {
		tag, start, err := d.tag()
		if err != nil {
			return nil, err
		}
		if !start && tag == "data" {
			break
		}
		if !start || tag != "value" {
			return nil, d.unexpected(tag, start)
		}
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		a = append(a, v)
	}
	d.depth--
	return a, d.expectEnd("array")
}

// structure reads members up to </struct>; a repeated name keeps the last
// value, as Python's dict does.
func (d *decoder) structure() (map[string]any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	m := map[string]any{}
	for {
		tag, start, err := d.tag()
		if err != nil {
			return nil, err
		}
		if !start && tag == "struct" {
			d.depth--
			return m, nil
		}
		if !start || tag != "member" {
			return nil, d.unexpected(tag, start)
		}
		if err := d.expectStart("name"); err != nil {
			return nil, err
		}
		name, err := d.text("name")
		if err != nil {
			return nil, err
		}
		if err := d.expectStart("value"); err != nil {
			return nil, err
		}
		if m[name], err = d.value(); err != nil {
			return nil, err
		}
		if err := d.expectEnd("member"); err != nil {
			return nil, err
		}
	}
}

func (d *decoder) enter() error {
	if d.depth++; d.depth > maxDepth {
		return d.errorf("arrays and structs nested more than %d deep", maxDepth)
	}
	return nil
}

func isSpace(b []byte) bool {
	return len(bytes.TrimLeft(b, " \t\r\n")) == 0
}

// end checks that nothing but white space, comments and processing
// instructions follows the root element.
func (d *decoder) end() error {
	for {
		tok, err := d.token()
		if err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return err
		}
		if t, ok := tok.(xml.CharData); !ok || !isSpace(t) {
			return d.errorf("content after the root element")
		}
	}
}
