package jsonapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"supervisord/internal/faults"
	"supervisord/protocol/xmlrpc"
)

// Error is the body of every failed request: {"code": "...", "message":
// "..."}. Code is the reference's fault name where the failure is one of
// its faults (BAD_NAME, NOT_RUNNING, ...), and message the text the
// XML-RPC API's faultString says for the same failure; the other codes are
// the HTTP API's own (statuses).
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Message }

// The codes of failures that are not the reference's faults.
const (
	codeForbidden        = "FORBIDDEN"
	codeNotFound         = "NOT_FOUND"
	codeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	codeTooLarge         = "BODY_TOO_LARGE"
	codeMediaType        = "UNSUPPORTED_MEDIA_TYPE"
	codeNotInFleet       = "NOT_IN_FLEET" // a fleet route of a daemon without [fleet]
)

// statuses is the HTTP status of each code, the one table: a code not in
// it is a 500.
var statuses = map[string]int{
	// The reference's faults, as the tree reports them (internal/faults).
	xmlrpc.FaultName(xmlrpc.FaultBadName):             http.StatusNotFound,
	xmlrpc.FaultName(xmlrpc.FaultNoFile):              http.StatusNotFound,
	xmlrpc.FaultName(xmlrpc.FaultBadArguments):        http.StatusBadRequest,
	xmlrpc.FaultName(xmlrpc.FaultIncorrectParameters): http.StatusBadRequest,
	xmlrpc.FaultName(xmlrpc.FaultBadSignal):           http.StatusBadRequest,
	xmlrpc.FaultName(xmlrpc.FaultAlreadyStarted):      http.StatusConflict,
	xmlrpc.FaultName(xmlrpc.FaultNotRunning):          http.StatusConflict,
	xmlrpc.FaultName(xmlrpc.FaultStillRunning):        http.StatusConflict,
	xmlrpc.FaultName(xmlrpc.FaultAlreadyAdded):        http.StatusConflict,
	xmlrpc.FaultName(xmlrpc.FaultShutdownState):       http.StatusServiceUnavailable,
	xmlrpc.FaultName(xmlrpc.FaultNotExecutable):       http.StatusInternalServerError,
	xmlrpc.FaultName(xmlrpc.FaultSpawnError):          http.StatusInternalServerError,
	xmlrpc.FaultName(xmlrpc.FaultAbnormalTermination): http.StatusInternalServerError,
	xmlrpc.FaultName(xmlrpc.FaultCantReread):          http.StatusInternalServerError,
	xmlrpc.FaultName(xmlrpc.FaultFailed):              http.StatusInternalServerError,
	// The HTTP API's own.
	codeForbidden:        http.StatusForbidden,
	codeNotFound:         http.StatusNotFound,
	codeMethodNotAllowed: http.StatusMethodNotAllowed,
	codeTooLarge:         http.StatusRequestEntityTooLarge,
	codeMediaType:        http.StatusUnsupportedMediaType,
	codeNotInFleet:       http.StatusNotFound,
}

// status is the HTTP status of a code.
func status(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// apiError is err as the API answers it about the process or group name:
// an *Error as it is, anything else worded by the fault table.
func apiError(err error, name string) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	f := faults.Of(err, name)
	return &Error{Code: f.Name(), Message: f.Text}
}

// badRequest is a BAD_ARGUMENTS error saying what is wrong with the
// request.
func badRequest(msg string) *Error {
	return &Error{Code: xmlrpc.FaultName(xmlrpc.FaultBadArguments), Message: msg}
}

func writeError(w http.ResponseWriter, e *Error) {
	writeJSON(w, status(e.Code), e)
}

// marshal is JSON without HTML escapes (a log's "<" stays as it is), and
// without the encoder's newline.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := marshal(v)
	if err != nil { // only values of this package are written
		code, b = http.StatusInternalServerError, []byte(`{"code":"FAILED","message":"cannot encode the answer"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
