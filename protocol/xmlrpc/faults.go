package xmlrpc

// Supervisor's fault codes, as its API numbers them. The daemon sends them
// and clients branch on them.
const (
	FaultUnknownMethod        = 1
	FaultIncorrectParameters  = 2
	FaultBadArguments         = 3
	FaultSignatureUnsupported = 4
	FaultShutdownState        = 6
	FaultBadName              = 10
	FaultBadSignal            = 11
	FaultNoFile               = 20
	FaultNotExecutable        = 21
	FaultFailed               = 30
	FaultAbnormalTermination  = 40
	FaultSpawnError           = 50
	FaultAlreadyStarted       = 60
	FaultNotRunning           = 70
	FaultSuccess              = 80
	FaultAlreadyAdded         = 90
	FaultStillRunning         = 91
	FaultCantReread           = 92
	// FaultForbidden is this project's: the caller's role may not call
	// the method (no code of the reference means it).
	FaultForbidden = 403
)

var faultNames = map[int]string{
	FaultUnknownMethod: "UNKNOWN_METHOD", FaultIncorrectParameters: "INCORRECT_PARAMETERS",
	FaultBadArguments: "BAD_ARGUMENTS", FaultSignatureUnsupported: "SIGNATURE_UNSUPPORTED",
	FaultShutdownState: "SHUTDOWN_STATE", FaultBadName: "BAD_NAME", FaultBadSignal: "BAD_SIGNAL",
	FaultNoFile: "NO_FILE", FaultNotExecutable: "NOT_EXECUTABLE", FaultFailed: "FAILED",
	FaultAbnormalTermination: "ABNORMAL_TERMINATION", FaultSpawnError: "SPAWN_ERROR",
	FaultAlreadyStarted: "ALREADY_STARTED", FaultNotRunning: "NOT_RUNNING", FaultSuccess: "SUCCESS",
	FaultAlreadyAdded: "ALREADY_ADDED", FaultStillRunning: "STILL_RUNNING", FaultCantReread: "CANT_REREAD",
	FaultForbidden: "FORBIDDEN",
}

// FaultName is a fault code's name ("BAD_NAME"), the start of the fault
// texts Supervisor sends; "UNKNOWN" for a code it does not have.
func FaultName(code int) string {
	if name, ok := faultNames[code]; ok {
		return name
	}
	return "UNKNOWN"
}
