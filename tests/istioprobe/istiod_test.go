//go:build istioprobe

package istioprobe

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

const (
	istiodBinary = "/tmp/istio-bin/pilot-discovery"
	istiodHTTP   = "127.0.0.1:18080"
	istiodGRPC   = "127.0.0.1:15010"
)

// startIstiod runs istiod against the control plane with Istio config
// from dir (and the scenario's mesh config, when it names one), and waits
// until it reports ready.
func startIstiod(t *testing.T, kubeconfig, dir, meshConfig string) {
	args := []string{"discovery", "--kubeconfig", kubeconfig,
		"--httpAddr", istiodHTTP, "--grpcAddr", istiodGRPC, "--secureGRPCAddr", "",
		"--monitoringAddr", "127.0.0.1:15014", "--httpsAddr", "127.0.0.1:15017",
		"--configDir", dir, "--registries", "Kubernetes"}
	if meshConfig != "" {
		args = append(args, "--meshConfig", meshConfig)
	}
	cmd := exec.Command(istiodBinary, args...)
	// Many short ADS streams, one per case: lift istiod's admission rate.
	cmd.Env = append(os.Environ(), "POD_NAMESPACE=istio-system", "PILOT_MAX_REQUESTS_PER_SECOND=1000")
	log, err := os.Create(filepath.Join(t.TempDir(), "istiod.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start istiod: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log.Close()
	})
	if err := waitReady(time.Minute); err != nil {
		t.Fatalf("istiod not ready (log %s): %v", log.Name(), err)
	}
}

// waitReady polls istiod's /ready until it answers 200.
func waitReady(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+istiodHTTP+"/ready", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
