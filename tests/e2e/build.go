package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// WeftdBinEnv names a prebuilt weftd to use instead of building one.
const WeftdBinEnv = "WEFTD_BIN"

// buildTimeout bounds `go build ./cmd/weftd` on a busy 2-core machine.
const buildTimeout = 10 * time.Minute

// ErrNoWeftd means ./cmd/weftd does not exist yet; tests needing it skip.
var ErrNoWeftd = errors.New("cmd/weftd does not exist in this tree")

// built is the weftd binary for this test binary, set once by SetupWeftd.
var built struct {
	path string
	err  error
}

// SetupWeftd builds cmd/weftd into dir (or uses $WEFTD_BIN). Call it once
// from TestMain; StartWeftd then uses the result.
func SetupWeftd(dir string) {
	built.path, built.err = resolveWeftd(dir)
}

func resolveWeftd(dir string) (string, error) {
	if p := os.Getenv(WeftdBinEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", WeftdBinEnv, p, err)
		}
		return p, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	return BuildWeftd(root, dir)
}

// BuildWeftd runs `go build -o dir/weftd ./cmd/weftd` in the module root.
func BuildWeftd(root, dir string) (string, error) {
	if _, err := os.Stat(filepath.Join(root, "cmd", "weftd")); err != nil {
		return "", ErrNoWeftd
	}
	return BuildCommand(root, dir, "weftd")
}

// BuildCommand runs `go build -o dir/NAME ./cmd/NAME` in the module root.
func BuildCommand(root, dir, name string) (string, error) {
	out := filepath.Join(dir, name)
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/"+name)
	cmd.Dir = root
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/%s: %w\n%s", name, err, logs.String())
	}
	return out, nil
}

// ModuleRoot finds the weft module root by walking up from the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("module root: %w", err)
	}
	for range 64 { // bounded: no real tree is deeper
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(data), "module github.com/weftmesh/weft\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", errors.New("module root: no go.mod for github.com/weftmesh/weft above the working directory")
}
