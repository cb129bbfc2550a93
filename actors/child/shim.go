package child

import (
	"os"
	"strconv"
	"syscall"
)

// shimArg0 marks a re-exec of the daemon whose only job is to set the umask
// a program asked for and exec it: [shimArg0, octal umask, path, argv...].
const shimArg0 = "supervisord: umask-exec"

func init() {
	if len(os.Args) < 4 || os.Args[0] != shimArg0 {
		return
	}
	mask, err := strconv.ParseUint(os.Args[1], 8, 32)
	if err != nil {
		os.Stderr.WriteString("supervisor: bad umask " + os.Args[1] + "\n")
		os.Exit(127)
	}
	syscall.Umask(int(mask))
	err = syscall.Exec(os.Args[2], os.Args[3:], os.Environ())
	os.Stderr.WriteString("supervisor: couldn't exec " + os.Args[2] + ": " + err.Error() + "\n")
	os.Stderr.WriteString("supervisor: child process was not spawned\n")
	os.Exit(127)
}
