package kubeenv

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// kubectlTimeout bounds one kubectl invocation.
const kubectlTimeout = 2 * time.Minute

// Kubectl runs kubectl against the Env as admin and returns its stdout; the
// error includes stderr.
func (e *Env) Kubectl(args ...string) (string, error) {
	return e.KubectlInput("", args...)
}

// KubectlWarnings runs kubectl like Kubectl and also returns what it printed
// on stderr when it succeeded: the admission warnings a user sees.
func (e *Env) KubectlWarnings(args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	full := append([]string{"--kubeconfig=" + e.Kubeconfig, "--cache-dir=" + filepath.Join(e.Dir, "kubectl-cache")}, args...)
	cmd := exec.CommandContext(ctx, e.Bins.Kubectl, full...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// KubectlInput is Kubectl with stdin, e.g. KubectlInput(yaml, "apply", "-f", "-").
func (e *Env) KubectlInput(stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	full := append([]string{
		"--kubeconfig=" + e.Kubeconfig,
		// Keep the discovery cache out of $HOME and away from other Envs.
		"--cache-dir=" + filepath.Join(e.Dir, "kubectl-cache"),
	}, args...)
	cmd := exec.CommandContext(ctx, e.Bins.Kubectl, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
