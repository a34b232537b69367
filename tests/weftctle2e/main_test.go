// Package weftctle2e runs the weftctl binary against a real weftd with
// connected grpc-go xDS clients (proxy-status, proxy-config), and the
// validating webhook handler against a real kube-apiserver.
package weftctle2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/weftmesh/weft/tests/harness"
	"github.com/weftmesh/weft/tests/kubeenv"
)

// TestMain: kubeenv.RunMain stops the shared kube-apiserver of the webhook
// test; weftd and weftctl are built on first use.
func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, harness.MainOptions{Run: kubeenv.RunMain}))
}

// run executes weftctl and returns its stdout and exit code.
func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	weftctl := harness.Binary(t, "weftctl")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, weftctl, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	lastStderr = stderr.String()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Logf("weftctl %v: exit %d, stderr: %s", args, ee.ExitCode(), lastStderr)
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("weftctl %v: %v", args, err)
	}
	return string(out), 0
}

// lastStderr is what the last run printed on stderr (validate's report).
var lastStderr string
