//go:build !linux

package weftdproc

import "syscall"

func childAttrs() *syscall.SysProcAttr { return nil }
