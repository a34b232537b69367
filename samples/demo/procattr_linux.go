package main

import "syscall"

// childAttrs puts weftd in its own process group, so Ctrl-C reaches only the
// demo (which then stops weftd last), and kills weftd if the demo dies.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
