package events

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ParsePayload reads the payload of an event called eventName (a header's
// EventName) back into its struct: ProcessState, ProcessLog,
// ProcessCommunication, RemoteCommunication, SupervisorRunning,
// SupervisorStopping, Tick, ProcessGroupAdded, ProcessGroupRemoved or
// the extensions' ProcessHealth.
// Token sets are read with ParseTokens, so unknown extra tokens are
// ignored; names holding white space cannot be read back. Output that
// arrived as "Undecodable: b'...'" keeps that text as its Data.
func ParsePayload(eventName, payload string) (Event, error) {
	t, ok := TypeByName(eventName)
	if !ok {
		return nil, fmt.Errorf("unknown event type %q", eventName)
	}
	switch t {
	case TypeProcessStateStopped, TypeProcessStateExited, TypeProcessStateStarting,
		TypeProcessStateStopping, TypeProcessStateBackoff, TypeProcessStateFatal,
		TypeProcessStateRunning, TypeProcessStateUnknown:
		return parseProcessState(t, payload)
	case TypeProcessLogStdout, TypeProcessLogStderr:
		_, data, tok, err := splitHead(payload, "processname", "groupname", "pid", "channel")
		if err != nil {
			return nil, err
		}
		pid, err := intToken(tok, "pid")
		if err != nil {
			return nil, err
		}
		e := ProcessLog{Channel: tok["channel"], Process: tok["processname"], Group: tok["groupname"], PID: pid, Data: []byte(data)}
		if e.EventType() != t {
			return nil, fmt.Errorf("%s payload has channel:%s", t, e.Channel)
		}
		return e, nil
	case TypeProcessCommunicationStdout, TypeProcessCommunicationStderr:
		_, data, tok, err := splitHead(payload, "processname", "groupname", "pid")
		if err != nil {
			return nil, err
		}
		pid, err := intToken(tok, "pid")
		if err != nil {
			return nil, err
		}
		ch := Stdout
		if t == TypeProcessCommunicationStderr {
			ch = Stderr
		}
		e := ProcessCommunication{Channel: ch, Process: tok["processname"], Group: tok["groupname"], PID: pid, Data: []byte(data)}
		return e, nil
	case TypeRemoteCommunication:
		head, data, ok := strings.Cut(payload, "\n")
		typ, hasPrefix := strings.CutPrefix(head, "type:")
		if !ok || !hasPrefix {
			return nil, errors.New("REMOTE_COMMUNICATION payload does not start with a type: line")
		}
		return RemoteCommunication{Type: typ, Data: data}, nil
	case TypeSupervisorStateChangeRunning, TypeSupervisorStateChangeStopping:
		if payload != "" {
			return nil, fmt.Errorf("%s payload is not empty", t)
		}
		if t == TypeSupervisorStateChangeRunning {
			return SupervisorRunning{}, nil
		}
		return SupervisorStopping{}, nil
	case TypeTick5, TypeTick60, TypeTick3600:
		when, ok := strings.CutPrefix(payload, "when:")
		n, err := strconv.ParseInt(when, 10, 64)
		if !ok || err != nil || when[0] == '+' {
			return nil, fmt.Errorf("%s payload is not when:<seconds>", t)
		}
		return Tick{Period: map[Type]int64{TypeTick5: 5, TypeTick60: 60, TypeTick3600: 3600}[t], When: n}, nil
	case TypeProcessGroupAdded, TypeProcessGroupRemoved:
		g, ok := strings.CutPrefix(payload, "groupname:")
		g, nl := strings.CutSuffix(g, "\n")
		if !ok || !nl || strings.Contains(g, "\n") {
			return nil, fmt.Errorf("%s payload is not groupname:<name>\\n", t)
		}
		if t == TypeProcessGroupAdded {
			return ProcessGroupAdded{Group: g}, nil
		}
		return ProcessGroupRemoved{Group: g}, nil
	case TypeProcessHealthReady, TypeProcessHealthHealthy, TypeProcessHealthUnhealthy:
		return parseProcessHealth(t, payload)
	}
	return nil, fmt.Errorf("%s is abstract and has no payload", t)
}

// parseProcessHealth reads a PROCESS_HEALTH_* payload: a header line, then
// the detail after a newline, which UNHEALTHY needs, READY may have and
// HEALTHY must not.
func parseProcessHealth(t Type, payload string) (Event, error) {
	head, detail, hasDetail := strings.Cut(payload, "\n")
	switch {
	case t == TypeProcessHealthUnhealthy && !hasDetail:
		return nil, fmt.Errorf("%s payload has no newline after its header line", t)
	case t == TypeProcessHealthHealthy && hasDetail:
		return nil, fmt.Errorf("%s payload has more than a header line", t)
	}
	tok, err := ParseTokens(head)
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"processname", "groupname"} {
		if _, ok := tok[k]; !ok {
			return nil, fmt.Errorf("%s payload has no %s", t, k)
		}
	}
	pid, err := intToken(tok, "pid")
	if err != nil {
		return nil, err
	}
	return ProcessHealth{Type: t, Process: tok["processname"], Group: tok["groupname"], PID: pid, Detail: detail}, nil
}

func parseProcessState(t Type, payload string) (Event, error) {
	tok, err := ParseTokens(payload)
	if err != nil {
		return nil, err
	}
	e := ProcessState{State: strings.TrimPrefix(t.String(), "PROCESS_STATE_"),
		Process: tok["processname"], Group: tok["groupname"], From: tok["from_state"]}
	for _, k := range []string{"processname", "groupname", "from_state"} {
		if _, ok := tok[k]; !ok {
			return nil, fmt.Errorf("%s payload has no %s", t, k)
		}
	}
	switch t {
	case TypeProcessStateStarting, TypeProcessStateBackoff:
		e.Tries, err = intToken(tok, "tries")
	case TypeProcessStateExited:
		var x int
		if x, err = intToken(tok, "expected"); err == nil && x != 0 && x != 1 {
			err = fmt.Errorf("expected:%d is neither 0 nor 1", x)
		}
		e.Expected = x == 1
		if err == nil {
			e.PID, err = intToken(tok, "pid")
		}
	case TypeProcessStateRunning, TypeProcessStateStopping, TypeProcessStateStopped:
		e.PID, err = intToken(tok, "pid")
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// splitHead cuts a payload at its first newline and reads the tokens of the
// first line, which must hold keys.
func splitHead(payload string, keys ...string) (head, data string, tok map[string]string, err error) {
	head, data, ok := strings.Cut(payload, "\n")
	if !ok {
		return "", "", nil, errors.New("payload has no newline after its header line")
	}
	if tok, err = ParseTokens(head); err != nil {
		return "", "", nil, err
	}
	for _, k := range keys {
		if _, ok := tok[k]; !ok {
			return "", "", nil, fmt.Errorf("payload header has no %s", k)
		}
	}
	return head, data, tok, nil
}

func intToken(tok map[string]string, key string) (int, error) {
	v, ok := tok[key]
	if !ok {
		return 0, fmt.Errorf("payload has no %s", key)
	}
	n, err := strconv.Atoi(v)
	if err != nil || v[0] == '+' {
		return 0, fmt.Errorf("payload has a bad %s %q", key, v)
	}
	return n, nil
}
