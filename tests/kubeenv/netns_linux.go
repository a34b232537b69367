package kubeenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
)

// reexecInNewNetns runs this test binary again in a new network namespace
// and returns its exit code. The error is set only if the child could not
// be started, i.e. no namespace can be made here.
func reexecInNewNetns() (int, error) {
	if _, err := exec.LookPath("ip"); err != nil {
		return 0, fmt.Errorf("the ip command (iproute2) is needed to set up lo: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("find test binary: %w", err)
	}
	parentNS, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return 0, fmt.Errorf("read own network namespace: %w", err)
	}
	var errs []error
	for _, attrs := range namespaceAttrs() {
		cmd := exec.Command(self, os.Args[1:]...)
		cmd.Env = append(os.Environ(), netnsEnv+"="+parentNS)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		cmd.SysProcAttr = attrs
		if err := startCmd(cmd); err != nil {
			errs = append(errs, err)
			continue
		}
		code := waitForwardingSignals(cmd)
		if code == setupFailedCode {
			return 0, errors.New("the child could not set up lo in its network namespace (see its message above)")
		}
		return code, nil
	}
	return 0, fmt.Errorf("cannot create a network namespace (needs root, or unprivileged user namespaces): %w", errors.Join(errs...))
}

// namespaceAttrs lists the ways to start the child, most direct first: a
// new network namespace (root), then a user namespace owning one, mapping
// the caller to root inside so it may configure lo.
func namespaceAttrs() []*syscall.SysProcAttr {
	uid, gid := os.Getuid(), os.Getgid()
	return []*syscall.SysProcAttr{
		{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL},
		{
			Cloneflags:                 syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET,
			UidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}},
			GidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}},
			GidMappingsEnableSetgroups: false,
			Pdeathsig:                  syscall.SIGKILL,
		},
	}
}

// waitForwardingSignals passes SIGINT and SIGTERM on to the child, so it
// can stop its control plane cleanly, and returns its exit code.
func waitForwardingSignals(cmd *exec.Cmd) int {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return exit.ExitCode()
	default:
		fmt.Fprintln(os.Stderr, "kubeenv: test binary in private network namespace:", err)
		return 1
	}
}

// setUpInside checks that this process is in a different network namespace
// than its parent (never reconfigure the host's lo), then brings lo up with
// PodCIDR on it.
func setUpInside(parentNS string) error {
	own, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return fmt.Errorf("read own network namespace: %w", err)
	}
	if own == parentNS {
		return fmt.Errorf("still in the parent's network namespace %s; refusing to configure lo", own)
	}
	// Children that re-execute the test binary must not set up again.
	if err := os.Unsetenv(netnsEnv); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"addr", "add", NamespaceHostIP + "/16", "dev", "lo"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}
