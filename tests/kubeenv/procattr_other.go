//go:build !linux

package kubeenv

import "syscall"

// childAttrs puts a child in its own process group. Without Pdeathsig a
// crashed test binary can leave children behind on this OS.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
