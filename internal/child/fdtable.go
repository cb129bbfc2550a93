package child

import (
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// The fork thread has a descriptor table of its own (unshare CLONE_FILES),
// nearly empty: every fork copies the forking thread's table into the
// child, and the child's exec then closes each close-on-exec descriptor in
// that copy. Forked from the daemon's own table, which holds three pipe
// ends per running child, each spawn would cost time in proportion to the
// children already running; forked from the fork thread's, it costs the
// same for the first child and the ten-thousandth. A child is still the
// fork thread's child, so its parent, its parent-death signal and its
// reaping are unchanged.
//
// The descriptors a fork needs (the child's ends of its pipes) reach the
// fork thread's table over a socket pair (SCM_RIGHTS), whose two ends are
// open in both tables; the fork thread closes its copies after the fork.
// Reexec moves the descriptors meant to survive the same way, to the same
// numbers, since the new image starts from the fork thread's table.

// privateTable gives the calling thread (the fork thread) a table of its
// own holding descriptors 0 to 2, the socket pair and the runtime's poller,
// and reports whether it could.
func privateTable() bool {
	// The runtime's poller is used from every thread, this one included:
	// it must exist before the tables part, to be in both.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	sock, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	if err := unix.Unshare(unix.CLONE_FILES); err != nil {
		closeFds(sock[:]...)
		return false
	}
	forker.sock = sock
	// Drop this table's copies of what the daemon had open, so that what
	// the daemon closes is closed.
	entries, _ := os.ReadDir("/proc/thread-self/fd")
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= 2 || fd == sock[0] || fd == sock[1] {
			continue
		}
		link, err := os.Readlink("/proc/thread-self/fd/" + e.Name())
		if err != nil || link == "anon_inode:[eventpoll]" || link == "anon_inode:[eventfd]" {
			continue // closed already (the listing's own), or the runtime's poller
		}
		syscall.Close(fd)
	}
	return true
}

// maxPass is how many descriptors one message carries (the kernel's
// SCM_MAX_FD is 253).
const maxPass = 250

// withFds runs fn on the fork thread with fds, descriptors of the daemon,
// given as numbers valid in the fork thread's table, and closes those
// copies after. At most maxPass.
func withFds(fds []int, fn func(fds []int)) error {
	forker.mu.Lock()
	defer forker.mu.Unlock()
	startForker()
	if !forker.private {
		onForkThread(func() { fn(fds) })
		return nil
	}
	if err := sendFds(fds); err != nil {
		return err
	}
	var err error
	onForkThread(func() {
		var got []int
		if got, _, err = recvFds(); err == nil {
			fn(got)
			closeFds(got...)
		}
	})
	return err
}

// sendFds sends fds, with their numbers, to the fork thread's table.
func sendFds(fds []int) error {
	nums := make([]byte, 4*len(fds)+1) // never empty: SEQPACKET keeps the message
	for i, fd := range fds {
		binary.LittleEndian.PutUint32(nums[4*i:], uint32(fd))
	}
	var rights []byte
	if len(fds) > 0 {
		rights = syscall.UnixRights(fds...)
	}
	return syscall.Sendmsg(forker.sock[0], nums, rights, nil, 0)
}

// recvFds receives on the fork thread what sendFds sent: the descriptors
// in this table and the numbers they had in the daemon's.
func recvFds() (fds, nums []int, err error) {
	buf := make([]byte, 4*maxPass+1)
	oob := make([]byte, syscall.CmsgSpace(4*maxPass))
	n, oobn, _, _, err := syscall.Recvmsg(forker.sock[1], buf, oob, syscall.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, nil, err
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, nil, err
	}
	for _, m := range msgs {
		got, err := syscall.ParseUnixRights(&m)
		if err != nil {
			return nil, nil, err
		}
		fds = append(fds, got...)
	}
	for i := 0; i+4 <= n-1; i += 4 {
		nums = append(nums, int(binary.LittleEndian.Uint32(buf[i:])))
	}
	if len(nums) != len(fds) {
		closeFds(fds...)
		return nil, nil, errors.New("supervisor: descriptors lost on the way to the fork thread")
	}
	return fds, nums, nil
}

// inheritable lists the daemon's descriptors without close-on-exec: those
// an exec keeps. It must not run on the fork thread.
func inheritable() []int {
	entries, _ := os.ReadDir("/proc/thread-self/fd")
	var fds []int
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			fds = append(fds, fd)
		}
	}
	return fds
}

// keepAcrossExec gives the fork thread's table the daemon's inheritable
// descriptors at their numbers, without close-on-exec, before Reexec's
// execve: the new image starts from that table.
func keepAcrossExec() error {
	fds := inheritable()
	for len(fds) > 0 {
		batch := fds[:min(len(fds), maxPass)]
		fds = fds[len(batch):]
		if err := sendFds(batch); err != nil {
			return err
		}
		var err error
		onForkThread(func() { err = placeFds() })
		if err != nil {
			return err
		}
	}
	return nil
}

// placeFds receives one batch on the fork thread and moves each descriptor
// to its number, out of the way of those still to be placed.
func placeFds() error {
	fds, nums, err := recvFds()
	if err != nil {
		return err
	}
	at := make(map[int]int, len(fds)) // number -> index of a descriptor there not yet placed
	for i, fd := range fds {
		at[fd] = i
	}
	for i, target := range nums {
		delete(at, fds[i])
		if fds[i] == target {
			if _, err := unix.FcntlInt(uintptr(target), unix.F_SETFD, 0); err != nil {
				return err
			}
			continue
		}
		if j, ok := at[target]; ok { // another one waits there: move it away
			moved, err := unix.FcntlInt(uintptr(target), unix.F_DUPFD_CLOEXEC, 0)
			if err != nil {
				return err
			}
			delete(at, target)
			fds[j], at[moved] = moved, j
		}
		if err := syscall.Dup2(fds[i], target); err != nil {
			return err
		}
		syscall.Close(fds[i])
	}
	return nil
}
