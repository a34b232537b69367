package kubeenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Defaults for Options.
const (
	DefaultBindAddress  = "127.0.0.1"
	DefaultStartTimeout = 2 * time.Minute
	// ServiceCIDR is the Service cluster IP range; it does not overlap PodCIDR.
	ServiceCIDR = "10.96.0.0/16"
)

// LogDirEnv, when set, keeps each Env's logs under that directory instead of
// the test's temporary directory (which is removed when the test ends).
const LogDirEnv = "WEFT_KUBEENV_LOGDIR"

// Options selects what an Env runs and how.
type Options struct {
	// WithoutControllerManager starts only etcd and kube-apiserver. Without
	// the controller-manager nothing turns Deployments into Pods or Services
	// into EndpointSlices, and nothing creates service accounts, so the
	// ServiceAccount admission plugin is disabled.
	WithoutControllerManager bool
	// APIServerFlags are appended to kube-apiserver's flags, after the
	// defaults, e.g. "--enable-admission-plugins=...", "--feature-gates=...".
	// For single-valued flags the last occurrence wins.
	APIServerFlags []string
	// ControllerManagerFlags are appended to kube-controller-manager's flags.
	ControllerManagerFlags []string
	// BindAddress is the IP every component listens on (default 127.0.0.1).
	// Inside a private network namespace it may be another local address
	// such as NamespaceHostIP; it is also the apiserver's advertise address.
	BindAddress string
	// StartTimeout bounds Start as a whole (default 2 minutes).
	StartTimeout time.Duration
	// LogDir holds logs, credentials, the kubeconfig and etcd's data
	// (default: a directory under the test's temporary directory).
	LogDir string
}

func (o Options) withDefaults() Options {
	if o.BindAddress == "" {
		o.BindAddress = DefaultBindAddress
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	return o
}

// Env is a running control plane.
type Env struct {
	// Config is an admin (system:masters) client configuration.
	Config *rest.Config
	// Client is a clientset built from Config.
	Client kubernetes.Interface
	// Kubeconfig is the path of an admin kubeconfig file, for kubectl and
	// for programs under test.
	Kubeconfig string
	// Server is the apiserver's URL.
	Server string
	// Bins are the binaries in use.
	Bins Bins
	// Dir holds the logs (*.log), credentials and etcd's data.
	Dir string
	// StartDuration is how long New took, for reporting.
	StartDuration time.Duration

	opts    Options
	bind    net.IP
	apiPort int
	etcdURL string
	pki     *pki

	mu        sync.Mutex
	etcd      *process
	apiserver *process
	kcm       *process
}

// Start starts a control plane for the test and stops it at cleanup,
// printing the tails of the components' logs if the test failed. It skips
// (or fails under CI=true) when the binaries cannot be had.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	bins := Binaries(t)
	if opts.LogDir == "" {
		opts.LogDir = logDir(t)
	}
	env, err := New(bins, opts)
	if err != nil {
		t.Fatalf("kubeenv: %v", err)
	}
	t.Logf("kubeenv: control plane at %s ready in %s (logs in %s)", env.Server, env.StartDuration.Round(time.Millisecond), env.Dir)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kubeenv: logs of the control plane:\n%s", env.LogTails(40))
		}
		if err := env.Stop(); err != nil {
			t.Errorf("kubeenv: stop: %v", err)
		}
	})
	return env
}

// logDir is a per-test directory: under $WEFT_KUBEENV_LOGDIR if set (kept),
// else the test's temporary directory (removed after the test).
func logDir(t testing.TB) string {
	root := os.Getenv(LogDirEnv)
	if root == "" {
		return filepath.Join(t.TempDir(), "kubeenv")
	}
	safe := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_")
	dir, err := os.MkdirTemp(root, safe+"-")
	if err != nil {
		t.Fatalf("kubeenv: %s: %v", LogDirEnv, err)
	}
	return dir
}

// New starts a control plane without a test, for sharing one across a
// package (see Shared). The caller must Stop it. On error everything already
// started is stopped and the error carries the tails of the logs.
func New(bins Bins, opts Options) (env *Env, err error) {
	opts = opts.withDefaults()
	start := time.Now()
	bind := net.ParseIP(opts.BindAddress)
	if bind == nil || bind.IsUnspecified() {
		return nil, fmt.Errorf("bind address %q: want one specific IP", opts.BindAddress)
	}
	if opts.LogDir == "" {
		return nil, errors.New("Options.LogDir is required by New")
	}
	env = &Env{Bins: bins, Dir: opts.LogDir, opts: opts, bind: bind}
	defer func() {
		if err != nil {
			tails := env.LogTails(30)
			if stopErr := env.Stop(); stopErr != nil {
				err = errors.Join(err, stopErr)
			}
			err = fmt.Errorf("%w\n%s", err, tails)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), opts.StartTimeout)
	defer cancel()
	if err := env.setup(ctx); err != nil {
		return env, err
	}
	env.StartDuration = time.Since(start)
	return env, nil
}

// setup brings the components up in dependency order.
func (e *Env) setup(ctx context.Context) error {
	if err := os.MkdirAll(e.Dir, 0o755); err != nil {
		return fmt.Errorf("log dir: %w", err)
	}
	firstServiceIP := net.IPv4(10, 96, 0, 1)
	p, err := newPKI(filepath.Join(e.Dir, "pki"), []net.IP{e.bind}, firstServiceIP)
	if err != nil {
		return err
	}
	e.pki = p
	if err := e.startEtcd(ctx); err != nil {
		return err
	}
	if err := e.startAPIServer(ctx); err != nil {
		return err
	}
	if err := e.makeClients(); err != nil {
		return err
	}
	if e.opts.WithoutControllerManager {
		return nil
	}
	return e.startControllerManager(ctx)
}

// makeClients writes the kubeconfig and builds Config and Client.
func (e *Env) makeClients() error {
	e.Kubeconfig = filepath.Join(e.Dir, "kubeconfig")
	if err := writeKubeconfig(e.Kubeconfig, e.Server, e.pki); err != nil {
		return err
	}
	e.Config = &rest.Config{
		Host:            e.Server,
		BearerToken:     e.pki.adminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: e.pki.caPEM},
		// Tests create objects in bursts; client-side throttling would
		// only slow them down.
		QPS:   200,
		Burst: 400,
	}
	c, err := kubernetes.NewForConfig(e.Config)
	if err != nil {
		return fmt.Errorf("clientset: %w", err)
	}
	e.Client = c
	return nil
}

// Stop stops every component (controller-manager, apiserver, etcd). It is
// idempotent.
func (e *Env) Stop() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for _, p := range []**process{&e.kcm, &e.apiserver, &e.etcd} {
		if err := (*p).stop(); err != nil {
			errs = append(errs, err)
		}
		*p = nil
	}
	return errors.Join(errs...)
}

// LogTails returns the last n lines of each component's log.
func (e *Env) LogTails(n int) string {
	var b strings.Builder
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager"} {
		path := filepath.Join(e.Dir, name+".log")
		if _, err := os.Stat(path); err != nil {
			continue
		}
		fmt.Fprintf(&b, "----- %s (last %d lines of %s) -----\n%s\n", name, n, path, fileTail(path, n))
	}
	return b.String()
}

func (e *Env) logPath(name string) string { return filepath.Join(e.Dir, name+".log") }

// hostPort joins the bind address with port.
func (e *Env) hostPort(port int) string {
	return net.JoinHostPort(e.bind.String(), strconv.Itoa(port))
}

// freePort asks the kernel for a free TCP port on ip. Another process can
// take it before the component binds; launch retries in that case.
func freePort(ip net.IP) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		return 0, fmt.Errorf("free port on %s: %w", ip, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
