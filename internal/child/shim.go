package child

import (
	"os"
	"strconv"
	"syscall"
)

// shimArg0 marks a re-exec of the daemon whose only job is to set the umask
// a program asked for and exec it: [shimArg0, octal umask, path, argv...].
const shimArg0 = "supervisord: umask-exec"

// failArg0 marks a re-exec of the daemon that stands in for a child whose
// setup failed (chdir, setuid, exec): [failArg0, message]. Like the
// reference's child it says why on its stderr and exits 127, so the
// program's stderr log, its exit and its state are the reference's.
const failArg0 = "supervisord: spawn-failed"

func init() {
	if len(os.Args) == 2 && os.Args[0] == failArg0 {
		notSpawned(os.Args[1])
	}
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
	code := err.Error()
	if errno, ok := err.(syscall.Errno); ok {
		code = errnoName(errno)
	}
	notSpawned("couldn't exec " + os.Args[3] + ": " + code)
}

func notSpawned(why string) {
	os.Stderr.WriteString("supervisor: " + why + "\n")
	os.Stderr.WriteString("supervisor: child process was not spawned\n")
	os.Exit(127)
}
