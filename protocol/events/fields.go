package events

// Each event's fields, named as in the reference's payloads.
type (
	processFields struct {
		Processname string `json:"processname"`
		Groupname   string `json:"groupname"`
		FromState   string `json:"from_state"`
		Tries       *int   `json:"tries,omitempty"`    // STARTING, BACKOFF
		Expected    *bool  `json:"expected,omitempty"` // EXITED
		PID         *int   `json:"pid,omitempty"`      // RUNNING, STOPPING, STOPPED, EXITED
	}
	outputFields struct {
		Processname string `json:"processname"`
		Groupname   string `json:"groupname"`
		PID         int    `json:"pid"`
		Channel     string `json:"channel"`
		Data        string `json:"data"`
	}
	remoteFields struct {
		Type string `json:"type"`
		Data string `json:"data"`
	}
	tickFields struct {
		When int64 `json:"when"`
	}
	groupFields struct {
		Groupname string `json:"groupname"`
	}
	healthFields struct {
		Processname string `json:"processname"`
		Groupname   string `json:"groupname"`
		PID         int    `json:"pid"`
		Detail      string `json:"detail,omitempty"`
	}
	rawFields struct {
		Payload string `json:"payload"`
	}
)

// Fields are an event's own members, named as in the reference's
// payloads, for encoding as JSON (the JSON API's events, the fleet's
// merged events).
func Fields(ev Event) any {
	switch e := ev.(type) {
	case ProcessState:
		f := processFields{Processname: e.Process, Groupname: e.Group, FromState: e.From}
		switch e.EventType() {
		case TypeProcessStateStarting, TypeProcessStateBackoff:
			f.Tries = &e.Tries
		case TypeProcessStateExited:
			f.Expected, f.PID = &e.Expected, &e.PID
		case TypeProcessStateRunning, TypeProcessStateStopping, TypeProcessStateStopped:
			f.PID = &e.PID
		}
		return f
	case ProcessLog:
		return outputFields{e.Process, e.Group, e.PID, e.Channel, DataText(e.Data)}
	case ProcessCommunication:
		return outputFields{e.Process, e.Group, e.PID, e.Channel, DataText(e.Data)}
	case RemoteCommunication:
		return remoteFields{e.Type, e.Data}
	case Tick:
		return tickFields{e.When}
	case ProcessGroupAdded:
		return groupFields{e.Group}
	case ProcessGroupRemoved:
		return groupFields{e.Group}
	case ProcessHealth:
		return healthFields{e.Process, e.Group, e.PID, e.Detail}
	case SupervisorRunning, SupervisorStopping:
		return struct{}{}
	}
	// An event handed over by an upgrade, kept as its payload.
	return rawFields{ev.Payload()}
}
