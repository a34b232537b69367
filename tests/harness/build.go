package harness

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
)

// BinEnv names, per command under ./cmd, the variable that points at a
// prebuilt binary (make test sets them); unset, the harness builds it.
var BinEnv = map[string]string{
	"weftd":      "WEFTD_BIN",
	"weft-agent": "WEFT_AGENT_BIN",
	"weftctl":    "WEFTCTL_BIN",
}

// buildTimeout bounds one `go build` on a busy 2-core machine.
const buildTimeout = 10 * time.Minute

// builds holds this test binary's binaries: each command is resolved (from
// its variable or built into dir) at most once per process.
var builds = struct {
	mu   sync.Mutex
	dir  string
	bins map[string]built
}{bins: map[string]built{}}

type built struct {
	path string
	err  error
}

// errNoGo is a missing toolchain: a prerequisite, so skip or fail per CI.
var errNoGo = errors.New("no go command in PATH to build with")

// Binary returns the path of ./cmd/NAME's binary: $WEFTD_BIN (etc.) if set,
// else built once per test binary. A missing go command skips the test (fails
// under CI); a build that fails fails the test.
func Binary(t testing.TB, name string) string {
	t.Helper()
	path, err := Resolve(name)
	switch {
	case errors.Is(err, errNoGo):
		Missing(t, "%s: %v", name, err)
	case err != nil:
		t.Fatalf("%s binary: %v", name, err)
	}
	return path
}

// Resolve is Binary without a test: the path of ./cmd/NAME's binary, from
// its variable or built once per process.
func Resolve(name string) (string, error) {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if b, ok := builds.bins[name]; ok {
		return b.path, b.err
	}
	path, err := resolve(name)
	builds.bins[name] = built{path, err}
	return path, err
}

func resolve(name string) (string, error) {
	if env := BinEnv[name]; env != "" {
		if p := os.Getenv(env); p != "" {
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("%s=%s: %w", env, p, err)
			}
			return p, nil
		}
	}
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "weft-test-bin-")
		if err != nil {
			return "", fmt.Errorf("build dir: %w", err)
		}
		builds.dir = dir
	}
	return build(builds.dir, name)
}

// build runs `go build -o dir/NAME ./cmd/NAME` in the module root: the one
// place tests build weft's commands.
func build(dir, name string) (string, error) {
	if _, err := exec.LookPath("go"); err != nil {
		return "", errNoGo
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
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

// cleanBuilds removes the binaries this process built.
func cleanBuilds() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
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
