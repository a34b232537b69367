package kubeenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftmesh/weft/tests/harness"
)

// Versions of the binaries; hack/kubebin/go.mod and hack/kubebin/etcd/go.mod
// pin the same ones (TestVersionsMatchGoMod keeps them in step).
const (
	KubeVersion = "v1.36.3"
	EtcdVersion = "v3.6.5"
)

// CacheEnv overrides the binary cache directory; build.sh reads it too.
const CacheEnv = "WEFT_KUBE_CACHE"

// AssetsEnv names a directory of prebuilt binaries in setup-envtest's layout;
// kube-apiserver and kubectl of KubeVersion's minor are taken from it
// (hack/kubebin/build.sh says why etcd and kube-controller-manager are not).
const AssetsEnv = "KUBEBUILDER_ASSETS"

// BuildTimeout bounds one run of build.sh, including waiting for a build
// that make test started in the background. A cold build takes 6-9 minutes
// on 2 idle cores; this leaves room for a busy machine.
const BuildTimeout = 20 * time.Minute

// Bins holds the paths of the control-plane binaries.
type Bins struct {
	Etcd              string
	APIServer         string
	ControllerManager string
	Kubectl           string
}

// CacheDirs returns where build.sh puts the Kubernetes and etcd binaries.
func CacheDirs() (kube, etcd string) {
	root := os.Getenv(CacheEnv)
	if root == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			base = filepath.Join(os.Getenv("HOME"), ".cache")
		}
		root = filepath.Join(base, "weft", "kube")
	}
	return filepath.Join(root, KubeVersion), filepath.Join(root, "etcd-"+EtcdVersion)
}

// resolveBins asks build.sh where each binary is (KUBEBUILDER_ASSETS or the
// cache), so that rule and its version check live in one place. The paths
// need not exist yet.
func resolveBins() (Bins, error) {
	script, err := buildScript()
	if err != nil {
		return Bins{}, err
	}
	cmd := exec.Command("bash", script, "--print-bins")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Bins{}, fmt.Errorf("%s --print-bins: %w\n%s", script, err, strings.TrimSpace(stderr.String()))
	}
	return parseBins(string(out))
}

// parseBins reads build.sh --print-bins: "name path" per line.
func parseBins(out string) (Bins, error) {
	var b Bins
	fields := map[string]*string{
		"etcd":                    &b.Etcd,
		"kube-apiserver":          &b.APIServer,
		"kube-controller-manager": &b.ControllerManager,
		"kubectl":                 &b.Kubectl,
	}
	for line := range strings.Lines(out) {
		name, path, ok := strings.Cut(strings.TrimSpace(line), " ")
		if f := fields[name]; ok && f != nil {
			*f = path
		}
	}
	for name, f := range fields {
		if *f == "" {
			return b, fmt.Errorf("build.sh --print-bins named no %s in %q", name, out)
		}
	}
	return b, nil
}

// missing lists the binaries that are not executable files.
func (b Bins) missing() []string {
	var out []string
	for _, p := range []string{b.Etcd, b.APIServer, b.ControllerManager, b.Kubectl} {
		if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
			out = append(out, p)
		}
	}
	return out
}

// built caches the outcome of EnsureBinaries for the whole test binary, so a
// failed 20-minute build is not retried by every test.
var built struct {
	mu   sync.Mutex
	done bool
	bins Bins
	err  error
}

// Binaries returns the control-plane binaries, running hack/kubebin/build.sh
// if any is missing. When they cannot be had it skips the test, or fails it
// when CI=true: a missing prerequisite must fail CI, never skip silently.
func Binaries(t testing.TB) Bins {
	t.Helper()
	bins, err := EnsureBinaries(buildBudget(t))
	if err != nil {
		harness.Missing(t, "kubeenv: Kubernetes binaries unavailable: %v\n%s", err, fixHint)
	}
	return bins
}

// fixHint is what a developer can do about missing binaries.
var fixHint = "To get them: make kube-binaries (builds what is missing from source, 6-9 min cold on 2 cores, " +
	"cached in $" + CacheEnv + " or ~/.cache/weft/kube), or set " + AssetsEnv + " to a setup-envtest directory " +
	"with kube-apiserver and kubectl " + minorOf(KubeVersion) + ".x (etcd and kube-controller-manager are still built)."

// buildBudget is BuildTimeout, shortened to end a minute before the test
// binary's -timeout so a slow build skips cleanly instead of panicking.
func buildBudget(t testing.TB) time.Duration {
	d, ok := t.(interface{ Deadline() (time.Time, bool) })
	if !ok {
		return BuildTimeout
	}
	deadline, ok := d.Deadline()
	if !ok {
		return BuildTimeout
	}
	return min(BuildTimeout, time.Until(deadline)-time.Minute)
}

// EnsureBinaries is Binaries without a test: it builds missing binaries
// within budget and returns an error if they cannot be had. The outcome is
// remembered for the rest of the process, so a failed build is not retried.
func EnsureBinaries(budget time.Duration) (Bins, error) {
	built.mu.Lock()
	defer built.mu.Unlock()
	if built.done {
		return built.bins, built.err
	}
	built.bins, built.err = buildIfMissing(budget)
	built.done = true
	return built.bins, built.err
}

func buildIfMissing(budget time.Duration) (Bins, error) {
	bins, err := resolveBins()
	if err != nil {
		return bins, err
	}
	if len(bins.missing()) == 0 {
		return bins, nil
	}
	if budget <= 0 {
		return bins, fmt.Errorf("missing %v and no time left to build them", bins.missing())
	}
	// build.sh waits on its lock while another build (make test's background
	// one) runs, and fails with the last build's log if that failed.
	if err := runBuildScript(budget); err != nil {
		return bins, err
	}
	if bins, err = resolveBins(); err != nil {
		return bins, err
	}
	if m := bins.missing(); len(m) > 0 {
		return bins, fmt.Errorf("build.sh succeeded but %v are still missing", m)
	}
	return bins, nil
}

// minorOf turns v1.36.3 into v1.36.
func minorOf(v string) string {
	if i := strings.LastIndex(v, "."); i > 0 {
		return v[:i]
	}
	return v
}

// runBuildScript runs hack/kubebin/build.sh from the module root.
func runBuildScript(budget time.Duration) error {
	script, err := buildScript()
	if err != nil {
		return err
	}
	if _, err := exec.LookPath("go"); err != nil {
		return fmt.Errorf("building needs the go command: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script, "--no-retry")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = childAttrs()
	// Kill the whole group on timeout: go build runs compilers as children.
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	fmt.Fprintf(os.Stderr, "kubeenv: Kubernetes binaries missing; running %s (cold build 6-9 min, or waits for the one make test started)\n", script)
	err = startCmd(cmd)
	if err == nil {
		err = cmd.Wait()
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("timed out after %s: %w", budget, err)
		}
		return fmt.Errorf("%s: %w\n%s", script, err, tail(out.String(), 60))
	}
	fmt.Fprintf(os.Stderr, "kubeenv: Kubernetes binaries ready after %s\n", time.Since(start).Round(time.Second))
	return nil
}

// buildScript finds hack/kubebin/build.sh by walking up from the working
// directory (a test runs in its package directory).
func buildScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find build.sh: %w", err)
	}
	for {
		p := filepath.Join(dir, "hack", "kubebin", "build.sh")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("hack/kubebin/build.sh not found above the working directory")
		}
		dir = parent
	}
}
