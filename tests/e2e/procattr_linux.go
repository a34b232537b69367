package e2e

import "syscall"

// childAttrs kills weftd if the test binary dies without running cleanups.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
