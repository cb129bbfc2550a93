package child

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// CloseInheritedOnExec marks every descriptor from 3 up as close-on-exec,
// so that descriptors the daemon inherited from whatever started it (a
// shell's redirections, a service manager's sockets) do not reach its
// programs. The reference closes every descriptor from 3 up in each child
// before exec; Go's own descriptors are close-on-exec already, and a child
// gets only what its Spec names.
func CloseInheritedOnExec() error {
	// The calling thread's table: /proc/self/fd lists the main thread's,
	// which is the fork thread's own once it has one (fdtable.go).
	dir, err := os.Open("/proc/thread-self/fd")
	if err != nil {
		return err
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return err
	}
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil || fd < 3 || fd == int(dir.Fd()) {
			continue
		}
		// A descriptor closed meanwhile (the listing's own) fails with
		// EBADF, which is fine.
		_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC)
	}
	return nil
}
