package kubeenv

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeBinary writes an executable script that prints version.
func fakeBinary(t *testing.T, dir, name, version string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho '"+version+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestResolveTakesAssets checks that kube-apiserver and kubectl of our minor
// come from KUBEBUILDER_ASSETS (any patch), while etcd and
// kube-controller-manager still come from the cache.
func TestResolveTakesAssets(t *testing.T) {
	assets, cache := t.TempDir(), t.TempDir()
	apiserver := fakeBinary(t, assets, "kube-apiserver", "Kubernetes "+minorOf(KubeVersion)+".99")
	kubectl := fakeBinary(t, assets, "kubectl", "Client Version: "+minorOf(KubeVersion)+".0\nKustomize Version: v5.0.0")
	fakeBinary(t, assets, "etcd", "etcd Version: 3.5.21") // upstream etcd: not kubeenv's, ignored
	t.Setenv(AssetsEnv, assets)
	t.Setenv(CacheEnv, cache)

	got, err := resolveBins()
	if err != nil {
		t.Fatal(err)
	}
	kube, etcd := CacheDirs()
	want := Bins{
		Etcd:              filepath.Join(etcd, "etcd"),
		APIServer:         apiserver,
		ControllerManager: filepath.Join(kube, "kube-controller-manager"),
		Kubectl:           kubectl,
	}
	if got != want {
		t.Errorf("resolveBins() = %+v\nwant %+v", got, want)
	}
}

// TestResolveWithoutAssetsIsTheCache: no KUBEBUILDER_ASSETS, or one without
// the binaries, means the cache for all four.
func TestResolveWithoutAssetsIsTheCache(t *testing.T) {
	for name, assets := range map[string]string{"unset": "", "empty dir": t.TempDir()} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(AssetsEnv, assets)
			t.Setenv(CacheEnv, t.TempDir())
			got, err := resolveBins()
			if err != nil {
				t.Fatal(err)
			}
			kube, etcd := CacheDirs()
			want := Bins{
				Etcd:              filepath.Join(etcd, "etcd"),
				APIServer:         filepath.Join(kube, "kube-apiserver"),
				ControllerManager: filepath.Join(kube, "kube-controller-manager"),
				Kubectl:           filepath.Join(kube, "kubectl"),
			}
			if got != want {
				t.Errorf("resolveBins() = %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestResolveRejectsOtherMinor: a KUBEBUILDER_ASSETS of another minor is an
// error naming the version found, the one wanted and what to do.
func TestResolveRejectsOtherMinor(t *testing.T) {
	assets := t.TempDir()
	fakeBinary(t, assets, "kube-apiserver", "Kubernetes v1.30.2")
	t.Setenv(AssetsEnv, assets)
	t.Setenv(CacheEnv, t.TempDir())

	_, err := resolveBins()
	if err == nil {
		t.Fatal("resolveBins accepted kube-apiserver v1.30.2")
	}
	for _, want := range []string{"v1.30.2", minorOf(KubeVersion) + ".x", "setup-envtest", "unset it"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

// TestWaiterReportsFailedBuild plays make test's background build: while
// it holds the lock, build.sh waits; when it fails, build.sh fails too with
// that build's log instead of starting the same build again.
func TestWaiterReportsFailedBuild(t *testing.T) {
	cache := t.TempDir()
	t.Setenv(CacheEnv, cache)
	t.Setenv(AssetsEnv, "")
	// Should the waiter build anyway, it fails at once instead of compiling.
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOMODCACHE", t.TempDir())

	lock, err := os.Create(filepath.Join(cache, ".build.lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "../../hack/kubebin/build.sh", "--no-retry")
	// A file, not a buffer: the test reads it while build.sh writes.
	outPath := filepath.Join(t.TempDir(), "out")
	outFile, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer outFile.Close()
	cmd.Stdout, cmd.Stderr = outFile, outFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	output := func() string { b, _ := os.ReadFile(outPath); return string(b) }
	waitFor(t, func() bool { return strings.Contains(output(), "waiting for it") })

	log := filepath.Join(cache, "build.log")
	if err := os.WriteFile(log, []byte("compiling\nthe-background-build-broke\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, ".build.failed"), []byte(log+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_UN); err != nil {
		t.Fatal(err)
	}

	err = cmd.Wait()
	out := output()
	if err == nil {
		t.Fatalf("build.sh succeeded after the build it waited for failed:\n%s", out)
	}
	for _, want := range []string{"the last build of these binaries failed", "the-background-build-broke", "make kube-binaries"} {
		if !strings.Contains(out, want) {
			t.Errorf("build.sh output does not mention %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "build.sh: building") {
		t.Errorf("build.sh started a build of its own:\n%s", out)
	}
}

// TestNoRetryAfterFailedBuild: a background build that failed before the
// tests asked (lock already free) fails them the same way.
func TestNoRetryAfterFailedBuild(t *testing.T) {
	cache := t.TempDir()
	t.Setenv(CacheEnv, cache)
	t.Setenv(AssetsEnv, "")
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOMODCACHE", t.TempDir())
	log := filepath.Join(cache, "build.log")
	if err := os.WriteFile(log, []byte("the-background-build-broke\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, ".build.failed"), []byte(log+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", "../../hack/kubebin/build.sh", "--no-retry").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "the-background-build-broke") || strings.Contains(string(out), "build.sh: building") {
		t.Errorf("build.sh --no-retry after a failed build: err %v, output:\n%s", err, out)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
	}
}

func TestParseBins(t *testing.T) {
	got, err := parseBins("etcd /e\nkube-apiserver /a\nkube-controller-manager /c\nkubectl /k\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Bins{Etcd: "/e", APIServer: "/a", ControllerManager: "/c", Kubectl: "/k"}); got != want {
		t.Errorf("parseBins = %+v, want %+v", got, want)
	}
	if _, err := parseBins("etcd /e\n"); err == nil {
		t.Error("parseBins accepted output without kube-apiserver")
	}
}
