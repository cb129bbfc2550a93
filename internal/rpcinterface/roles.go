package rpcinterface

import (
	"context"
	"fmt"
	"strings"

	"supervisord/conf"
	"supervisord/internal/auth"
	"supervisord/protocol/xmlrpc"
)

// leastRole is the role each method needs; every method of the table is
// here (a test holds to it), and a name missing would need Admin.
//
//   - Read looks: states, config, logs, help, versions, reload and upgrade
//     status, the fleet's nodes and processes. system.multicall is Read itself; each call in it is checked
//     on its own.
//   - Operate acts on processes without changing what the daemon runs:
//     start, stop, signal (one, a group, all), disable and enable, stdin, remote communication
//     events, and rotating logs (nothing is lost); the same actions on
//     the fleet's nodes.
//   - Admin changes the daemon: reload, add and remove groups, apply an
//     update, clear logs (what they held is gone), shut down, restart,
//     upgrade.
var leastRole = map[string]auth.Role{
	"supervisor.getAPIVersion":        auth.Read,
	"supervisor.getVersion":           auth.Read,
	"supervisor.getSupervisorVersion": auth.Read,
	"supervisor.getIdentification":    auth.Read,
	"supervisor.getState":             auth.Read,
	"supervisor.getPID":               auth.Read,
	"supervisor.readLog":              auth.Read,
	"supervisor.readMainLog":          auth.Read,
	"supervisor.getAllConfigInfo":     auth.Read,
	"supervisor.getProcessInfo":       auth.Read,
	"supervisor.getAllProcessInfo":    auth.Read,
	"supervisor.readProcessStdoutLog": auth.Read,
	"supervisor.readProcessStderrLog": auth.Read,
	"supervisor.readProcessLog":       auth.Read,
	"supervisor.tailProcessStdoutLog": auth.Read,
	"supervisor.tailProcessStderrLog": auth.Read,
	"supervisor.tailProcessLog":       auth.Read,
	"supervisor.getUpgradeStatus":     auth.Read,
	"supervisor.getSchedule":          auth.Read,
	"supervisor.getProcessConfig":     auth.Read,
	"config.getReloadStatus":          auth.Read,
	"fleet.getNodes":                  auth.Read,
	"fleet.getAllProcessInfo":         auth.Read,
	"system.listMethods":              auth.Read,
	"system.methodHelp":               auth.Read,
	"system.methodSignature":          auth.Read,
	"system.multicall":                auth.Read,

	"supervisor.startProcess":           auth.Operate,
	"supervisor.startProcessGroup":      auth.Operate,
	"supervisor.startAllProcesses":      auth.Operate,
	"supervisor.stopProcess":            auth.Operate,
	"supervisor.stopProcessGroup":       auth.Operate,
	"supervisor.stopAllProcesses":       auth.Operate,
	"supervisor.signalProcess":          auth.Operate,
	"supervisor.signalProcessGroup":     auth.Operate,
	"supervisor.signalAllProcesses":     auth.Operate,
	"supervisor.sendProcessStdin":       auth.Operate,
	"supervisor.sendRemoteCommEvent":    auth.Operate,
	"supervisor.rotateProcessLogs":      auth.Operate,
	"supervisor.rotateProcessGroupLogs": auth.Operate,
	"supervisor.rotateAllProcessLogs":   auth.Operate,
	"supervisor.rotateLog":              auth.Operate,
	"supervisor.disableProcess":         auth.Operate,
	"supervisor.disableProcessGroup":    auth.Operate,
	"supervisor.enableProcess":          auth.Operate,
	"supervisor.enableProcessGroup":     auth.Operate,
	"fleet.startProcesses":              auth.Operate,
	"fleet.stopProcesses":               auth.Operate,
	"fleet.restartProcesses":            auth.Operate,
	"fleet.signalProcesses":             auth.Operate,

	"supervisor.reloadConfig":        auth.Admin,
	"supervisor.addProcessGroup":     auth.Admin,
	"supervisor.removeProcessGroup":  auth.Admin,
	"config.updateProcessGroup":      auth.Admin,
	"supervisor.clearLog":            auth.Admin,
	"supervisor.clearProcessLogs":    auth.Admin,
	"supervisor.clearProcessLog":     auth.Admin,
	"supervisor.clearAllProcessLogs": auth.Admin,
	"supervisor.shutdown":            auth.Admin,
	"supervisor.restart":             auth.Admin,
	"supervisor.upgrade":             auth.Admin,
	"supervisor.rollingRestart":      auth.Operate,
	"supervisor.why":                 auth.Read,
	"supervisor.scaleProcessGroup":   auth.Operate,
}

// roleOf is the role a method needs.
func roleOf(method string) auth.Role {
	if r, ok := leastRole[method]; ok {
		return r
	}
	return auth.Admin
}

// MethodRole is the role the XML-RPC method needs, for other surfaces that
// call the same actions.
func MethodRole(method string) auth.Role { return roleOf(method) }

// authorize refuses a call the request's principal may not make.
func authorize(ctx context.Context, method string) error {
	if !auth.Allowed(ctx, roleOf(method)) {
		return fault(xmlrpc.FaultForbidden, fmt.Sprintf("role %s may not call %s", auth.From(ctx).Role, method))
	}
	return nil
}

// audit writes the main-log line of a call about to change something
// (auth.Audit writes none for a server without authentication).
func (h *Handler) audit(ctx context.Context, method string, params []any) {
	if roleOf(method) > auth.Read {
		auth.Audit(h.opts.Log, ctx, method, auditArgs(params)...)
	}
}

// auditMax is how much of a string parameter an audit line shows, and
// auditItems how many items of an array.
const (
	auditMax   = 64
	auditItems = 16
)

// auditArgs are a call's parameters as an audit line shows them: strings
// quoted as Python would (long ones cut, with their length), arrays as
// Python's lists of those, the rest as Python's str().
func auditArgs(params []any) []string {
	out := make([]string, len(params))
	for i, p := range params {
		out[i] = auditArg(p)
	}
	return out
}

func auditArg(p any) string {
	if list, ok := p.([]any); ok {
		items := make([]string, 0, min(len(list), auditItems)+1)
		for _, e := range list[:min(len(list), auditItems)] {
			items = append(items, auditArg(e))
		}
		if len(list) > auditItems {
			items = append(items, fmt.Sprintf("...(%d items)", len(list)))
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	s, ok := str(p)
	if !ok {
		return pyStr(p)
	}
	if len(s) > auditMax {
		return fmt.Sprintf("%s...(%d bytes)", conf.PyRepr(s[:auditMax]), len(s))
	}
	return conf.PyRepr(s)
}
