package weftdproc

import "syscall"

// childAttrs puts weftd in its own process group, so a terminal's Ctrl-C
// reaches only the parent (which stops weftd in order), and has the kernel
// kill weftd if the parent dies without stopping it.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
