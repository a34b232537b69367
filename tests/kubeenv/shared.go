package kubeenv

import (
	"fmt"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"
)

// shared is the package-wide Env that Shared starts on first use and
// RunMain stops after all tests.
var shared struct {
	mu   sync.Mutex
	env  *Env
	err  error
	dir  string
	used bool
	opts Options
}

// Shared returns the test binary's shared Env, starting it on the first call
// with opts (later calls' opts are ignored). Starting a control plane takes
// seconds, so tests in one package should share it and isolate themselves
// with Namespace. TestMain must call RunMain (or InPrivateNetwork) so the Env
// is stopped after the last test. If the test fails, the tails of the
// control plane's logs are printed.
func Shared(t testing.TB, opts Options) *Env {
	t.Helper()
	bins := Binaries(t)
	env, first, err := sharedEnv(bins, opts)
	if err != nil {
		t.Fatalf("kubeenv: shared control plane: %v", err)
	}
	if !reflect.DeepEqual(opts, first) {
		t.Logf("kubeenv: the shared control plane was started with %+v; ignoring %+v", first, opts)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kubeenv: logs of the shared control plane:\n%s", env.LogTails(40))
		}
	})
	return env
}

// sharedEnv starts the shared Env once, and returns it with the options of
// the first call; a failed start is not retried.
func sharedEnv(bins Bins, opts Options) (*Env, Options, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.used {
		return shared.env, shared.opts, shared.err
	}
	shared.used, shared.opts = true, opts
	if opts.LogDir == "" {
		dir, err := sharedLogDir()
		if err != nil {
			shared.err = err
			return nil, shared.opts, err
		}
		shared.dir, opts.LogDir = dir, dir
	}
	shared.env, shared.err = New(bins, opts)
	if shared.err == nil {
		fmt.Fprintf(os.Stderr, "kubeenv: shared control plane at %s ready in %s\n", shared.env.Server, shared.env.StartDuration.Round(time.Millisecond))
	}
	return shared.env, shared.opts, shared.err
}

func sharedLogDir() (string, error) {
	root := os.Getenv(LogDirEnv)
	dir, err := os.MkdirTemp(root, "kubeenv-shared-")
	if err != nil {
		return "", fmt.Errorf("shared log dir: %w", err)
	}
	return dir, nil
}

// RunMain runs the tests and then stops the shared Env, if one was started:
//
//	func TestMain(m *testing.M) { os.Exit(kubeenv.RunMain(m)) }
//
// When tests failed it prints the tails of the shared Env's logs and keeps
// its directory; otherwise the directory is removed unless under
// $WEFT_KUBEENV_LOGDIR.
func RunMain(m *testing.M) int {
	code := m.Run()
	if err := stopShared(code != 0); err != nil {
		fmt.Fprintln(os.Stderr, "kubeenv:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

func stopShared(failed bool) error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	env := shared.env
	shared.env = nil
	if env == nil {
		return nil
	}
	if failed {
		fmt.Fprintf(os.Stderr, "kubeenv: logs of the shared control plane (kept in %s):\n%s", env.Dir, env.LogTails(40))
	}
	if err := env.Stop(); err != nil {
		return fmt.Errorf("stop shared control plane: %w", err)
	}
	if !failed && shared.dir != "" && os.Getenv(LogDirEnv) == "" {
		return os.RemoveAll(shared.dir)
	}
	return nil
}
