// Package weftctle2e runs the weftctl binary against a real weftd with
// connected grpc-go xDS clients (proxy-status, proxy-config), and the
// validating webhook handler against a real kube-apiserver.
package weftctle2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/weftmesh/weft/tests/e2e"
	"github.com/weftmesh/weft/tests/kubeenv"
)

// weftctl is the binary TestMain builds; empty if the build failed.
var weftctl string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "weftctl-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "weftctle2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	e2e.SetupWeftd(dir)
	if weftctl, err = buildWeftctl(dir); err != nil {
		fmt.Fprintln(os.Stderr, "weftctle2e:", err)
		return 1
	}
	// RunMain stops the shared kube-apiserver of the webhook test.
	return kubeenv.RunMain(m)
}

func buildWeftctl(dir string) (string, error) {
	root, err := e2e.ModuleRoot()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := filepath.Join(dir, "weftctl")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/weftctl")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/weftctl: %w\n%s", err, b)
	}
	return out, nil
}

// run executes weftctl and returns its stdout and exit code.
func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, weftctl, args...)
	var stderr []byte
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = ee.Stderr
		t.Logf("weftctl %v: exit %d, stderr: %s", args, ee.ExitCode(), stderr)
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("weftctl %v: %v", args, err)
	}
	return string(out), 0
}
