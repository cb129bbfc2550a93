package rpcinterface

import (
	"context"
	"os"
	"path/filepath"
	"syscall"

	"supervisord/protocol/xmlrpc"
)

// UpgradeStatus is what getUpgradeStatus reports.
type UpgradeStatus struct {
	PID      int
	Binary   string // the executable the daemon runs now
	Version  string
	Upgrades int // upgrades completed over the daemon's life
	// Attempt is the number of the last upgrade asked for; Completed and
	// Failed the numbers of the last one that succeeded and that failed,
	// Error why that one failed.
	Attempt, Completed, Failed int
	Error                      string
}

func (h *Handler) upgrade(_ context.Context, params []any) (any, error) {
	path, _ := str(params[0])
	if h.opts.Upgrade == nil {
		return nil, fault(xmlrpc.FaultFailed, "this daemon cannot upgrade")
	}
	if path != "" {
		if f := checkBinary(path); f != nil {
			return nil, f
		}
	}
	n, err := h.opts.Upgrade(path)
	if err != nil {
		return nil, asFault(err, "")
	}
	return n, nil
}

// checkBinary refuses what execve certainly would: a relative path, no
// file, or one that cannot be executed. A file that is not a program
// (ENOEXEC) is only found out by the exec, which then falls back.
func checkBinary(path string) *Fault {
	if !filepath.IsAbs(path) {
		return fault(xmlrpc.FaultBadArguments, "not an absolute path: "+path)
	}
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return fault(xmlrpc.FaultNoFile, path)
	case !st.Mode().IsRegular() || syscall.Access(path, 1) != nil: // X_OK
		return fault(xmlrpc.FaultNotExecutable, path)
	}
	return nil
}

func (h *Handler) getUpgradeStatus(context.Context, []any) (any, error) {
	if h.opts.UpgradeStatus == nil {
		return nil, fault(xmlrpc.FaultFailed, "this daemon cannot upgrade")
	}
	s := h.opts.UpgradeStatus()
	return xmlrpc.Struct{
		{Name: "pid", Value: s.PID},
		{Name: "binary", Value: s.Binary},
		{Name: "version", Value: s.Version},
		{Name: "upgrades", Value: s.Upgrades},
		{Name: "attempt", Value: s.Attempt},
		{Name: "completed", Value: s.Completed},
		{Name: "failed", Value: s.Failed},
		{Name: "error", Value: s.Error},
	}, nil
}
