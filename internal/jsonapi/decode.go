package jsonapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Strict input: a request's query and body are read against what its route
// takes, and anything else (an unknown parameter or field, a value of the
// wrong type, a repeated parameter, data after the body) is refused with
// BAD_ARGUMENTS naming what was wrong, rather than ignored.

// kind is the type of a query parameter.
type kind int

const (
	kindBool kind = iota // true or false
	kindInt              // a decimal integer, possibly negative
	kindText             // anything
)

func (k kind) String() string {
	switch k {
	case kindBool:
		return "true or false"
	case kindInt:
		return "an integer"
	}
	return "text"
}

// params are a route's query parameters and their types.
type params map[string]kind

// values are a query read against its params: each value is of its
// parameter's type.
type values map[string]string

// parseQuery reads a raw query against spec.
func parseQuery(raw string, spec params) (values, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, fmt.Errorf("the query cannot be read: %v", err)
	}
	out := values{}
	for name, vs := range q {
		k, ok := spec[name]
		switch {
		case !ok:
			return nil, fmt.Errorf("unknown query parameter %q%s", name, known(spec))
		case len(vs) > 1:
			return nil, fmt.Errorf("query parameter %s is given %d times", name, len(vs))
		}
		v := vs[0]
		if !k.valid(v) {
			return nil, fmt.Errorf("query parameter %s: %q is not %s", name, v, k)
		}
		out[name] = v
	}
	return out, nil
}

func (k kind) valid(v string) bool {
	switch k {
	case kindBool:
		return v == "true" || v == "false"
	case kindInt:
		_, err := strconv.ParseInt(v, 10, 64)
		return err == nil
	}
	return true
}

// known lists the parameters a route takes, for an error message.
func known(spec params) string {
	if len(spec) == 0 {
		return " (this route takes none)"
	}
	names := make([]string, 0, len(spec))
	for n := range spec {
		names = append(names, n)
	}
	slices.Sort(names)
	return " (this route takes " + strings.Join(names, ", ") + ")"
}

// flag is a bool parameter, def when absent.
func (v values) flag(name string, def bool) bool {
	s, ok := v[name]
	if !ok {
		return def
	}
	return s == "true"
}

// int is an integer parameter, def when absent.
func (v values) int(name string, def int64) int64 {
	s, ok := v[name]
	if !ok {
		return def
	}
	n, _ := strconv.ParseInt(s, 10, 64) // valid: parseQuery checked it
	return n
}

// text is a parameter as given, and whether it was.
func (v values) text(name string) (string, bool) {
	s, ok := v[name]
	return s, ok
}

// maxBody bounds a request body; the largest (stdin data) are far smaller.
const maxBody = 1 << 20

// body is a request body a route takes: a JSON object decoded into it, then
// checked.
type body interface {
	check() error
	auditArgs() []string // what the audit line says of it
}

// decodeBody reads exactly one JSON object into dst: no unknown field, no
// value of another type, nothing after it.
func decodeBody(r io.Reader, dst body) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return bodyError(err)
		}
		return badRequest("the body holds more than one JSON value")
	}
	return dst.check()
}

// bodyError words a decoding failure, naming the field where there is one.
func bodyError(err error) error {
	var (
		syntax    *json.SyntaxError
		typ       *json.UnmarshalTypeError
		tooLarge  *http.MaxBytesError
		unmarshal *json.InvalidUnmarshalError
	)
	switch {
	case errors.Is(err, io.EOF):
		return badRequest("the body is empty; this route takes a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("the body ends inside its JSON value")
	case errors.As(err, &tooLarge):
		return &Error{Code: codeTooLarge, Message: fmt.Sprintf("the body is larger than %d bytes", tooLarge.Limit)}
	case errors.As(err, &syntax):
		return badRequest(fmt.Sprintf("the body is not valid JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: ")))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badRequest("the body must be a JSON object, not " + typ.Value)
		}
		return badRequest(fmt.Sprintf("field %s must be %s, not %s", typ.Field, jsonType(typ.Type.Kind().String()), typ.Value))
	case errors.As(err, &unmarshal):
		return err
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return badRequest("unknown field " + name)
	}
	return badRequest("the body cannot be read: " + strings.TrimPrefix(err.Error(), "json: "))
}

// jsonType is a Go kind as JSON calls it.
func jsonType(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "uint64", "float64":
		return "a number"
	case "slice":
		return "an array"
	}
	return "an object"
}

// signalBody is what a signal action takes: {"signal": "HUP"}, a name
// (with or without SIG) or a number as a string.
// scaleBody is what scaling a group takes: {"instances": 4}.
type scaleBody struct {
	Instances *int `json:"instances"`
}

func (b *scaleBody) check() error {
	if b.Instances == nil {
		return badRequest("field instances is required: how many instances to run")
	}
	if *b.Instances < 0 {
		return badRequest("field instances must be 0 or more")
	}
	return nil
}

func (b *scaleBody) auditArgs() []string {
	if b.Instances == nil {
		return nil
	}
	return []string{"instances=" + strconv.Itoa(*b.Instances)}
}

// rollingBody is what a rolling restart takes: {"names": [...],
// "max_unavailable": 1} (1 when left out).
type rollingBody struct {
	Names          []string `json:"names"`
	MaxUnavailable int      `json:"max_unavailable"`
}

func (b *rollingBody) check() error {
	if len(b.Names) == 0 {
		return badRequest("field names is required: the processes to restart (name, group:name, group:*)")
	}
	if b.MaxUnavailable == 0 {
		b.MaxUnavailable = 1
	}
	if b.MaxUnavailable < 1 {
		return badRequest("field max_unavailable must be 1 or more")
	}
	return nil
}

func (b *rollingBody) auditArgs() []string {
	return []string{"names=" + strings.Join(b.Names, ","), "max_unavailable=" + strconv.Itoa(b.MaxUnavailable)}
}

type signalBody struct {
	Signal string `json:"signal"`
}

func (b *signalBody) check() error {
	if b.Signal == "" {
		return badRequest("field signal is required")
	}
	return nil
}

func (b *signalBody) auditArgs() []string { return []string{"signal=" + b.Signal} }

// stdinBody is what a stdin action takes: {"data": "text"}.
type stdinBody struct {
	Data *string `json:"data"`
}

func (b *stdinBody) check() error {
	if b.Data == nil {
		return badRequest("field data is required")
	}
	return nil
}

func (b *stdinBody) auditArgs() []string {
	return []string{fmt.Sprintf("(%d bytes)", len(*b.Data))}
}
