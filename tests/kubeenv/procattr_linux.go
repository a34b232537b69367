package kubeenv

import "syscall"

// childAttrs puts a child in its own process group (so stopping it reaches
// anything it spawned) and has the kernel kill it if the test binary dies
// without running its cleanups.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
