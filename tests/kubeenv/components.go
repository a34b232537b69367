package kubeenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// portAttempts bounds how often a component is restarted on another port
// after losing a race for the one freePort found.
const portAttempts = 3

// component describes how to run and probe one control-plane binary.
type component struct {
	name  string
	bin   string
	args  func(port int) []string
	ready func(ctx context.Context, p *process, port int) error
}

// launch starts c on port, or on a free port when port is 0, and waits for
// it to be ready. With a free port it retries on another one if the
// component reports the address in use.
func (e *Env) launch(ctx context.Context, c component, port int) (*process, int, error) {
	fixed := port != 0
	for attempt := 1; ; attempt++ {
		if !fixed {
			var err error
			if port, err = freePort(e.bind); err != nil {
				return nil, 0, err
			}
		}
		p, err := startProcess(c.name, c.bin, c.args(port), nil, e.logPath(c.name))
		if err != nil {
			return nil, 0, err
		}
		err = c.ready(ctx, p, port)
		if err == nil {
			return p, port, nil
		}
		stopErr := p.stop()
		lostRace := strings.Contains(p.logTail(20), "address already in use")
		if fixed || !lostRace || attempt == portAttempts {
			return nil, 0, errors.Join(fmt.Errorf("%s on port %d: %w", c.name, port, err), stopErr)
		}
	}
}

// startEtcd runs etcd on a port it picks itself (no race) and reads the
// client URL from its address file.
func (e *Env) startEtcd(ctx context.Context) error {
	addrFile := filepath.Join(e.Dir, "etcd.addr")
	args := []string{
		"--bind=" + e.bind.String(),
		"--client-port=0",
		"--peer-port=0",
		"--data-dir=" + filepath.Join(e.Dir, "etcd-data"),
		"--addr-file=" + addrFile,
		// Test data is thrown away; fsync only costs time.
		"--unsafe-no-fsync",
		"--log-level=error", // its warnings are per-request noise
	}
	p, err := startProcess("etcd", e.Bins.Etcd, args, nil, e.logPath("etcd"))
	if err != nil {
		return err
	}
	e.etcd = p
	return poll(ctx, "etcd to serve", time.Minute, 50*time.Millisecond, func(context.Context) (bool, string, error) {
		if done, err := p.exited(); done {
			return false, "", fmt.Errorf("etcd %w", err)
		}
		b, err := os.ReadFile(addrFile)
		if err != nil {
			return false, "no address file yet", nil
		}
		e.etcdURL = strings.TrimSpace(string(b))
		return true, "", nil
	})
}

// startAPIServer starts kube-apiserver on e.apiPort (a free port when 0).
func (e *Env) startAPIServer(ctx context.Context) error {
	c := component{name: "kube-apiserver", bin: e.Bins.APIServer, args: e.apiServerArgs, ready: e.apiServerReady}
	p, port, err := e.launch(ctx, c, e.apiPort)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.apiserver, e.apiPort = p, port
	if e.Server == "" { // a restart keeps the port: leave the field alone for readers
		e.Server = "https://" + e.hostPort(port)
	}
	e.mu.Unlock()
	return nil
}

func (e *Env) apiServerArgs(port int) []string {
	args := []string{
		"--etcd-servers=" + e.etcdURL,
		"--bind-address=" + e.bind.String(),
		// Without it the apiserver looks for the default route's interface,
		// which a private network namespace does not have.
		"--advertise-address=" + e.bind.String(),
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + filepath.Join(e.Dir, "apiserver-certs"),
		"--tls-cert-file=" + e.pki.certFile,
		"--tls-private-key-file=" + e.pki.keyFile,
		"--token-auth-file=" + e.pki.tokenFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + e.pki.saPubFile,
		"--service-account-signing-key-file=" + e.pki.saKeyFile,
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--allow-privileged=true",
		// The "kubernetes" Service's endpoints would be the advertise
		// address, which EndpointSlice validation rejects on loopback.
		"--endpoint-reconciler-type=none",
		// Close watches on SIGTERM instead of waiting for the whole
		// request timeout (60 s) for watchers such as the controller-manager.
		"--shutdown-watch-termination-grace-period=2s",
		// Start-up speed: no priority-and-fairness bootstrap, no profiling.
		"--enable-priority-and-fairness=false",
		// Webhooks behind a Service are called at a ready endpoint: no
		// kube-proxy routes ClusterIPs in the test's network namespace.
		"--enable-aggregator-routing=true",
		"--profiling=false",
	}
	if e.opts.WithoutControllerManager {
		// Nobody would create the default service accounts pods need.
		args = append(args, "--disable-admission-plugins=ServiceAccount")
	}
	return append(args, e.opts.APIServerFlags...)
}

// apiServerReady polls /readyz with the admin token until it answers 200.
func (e *Env) apiServerReady(ctx context.Context, p *process, port int) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(e.pki.caPEM)
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	defer client.CloseIdleConnections()
	url := "https://" + e.hostPort(port) + "/readyz"
	return poll(ctx, "kube-apiserver /readyz", time.Minute, 100*time.Millisecond, func(ctx context.Context) (bool, string, error) {
		return probe(ctx, p, client, url, e.pki.adminToken)
	})
}

// probe GETs url and reports done on 200; it fails at once if p exited.
func probe(ctx context.Context, p *process, client *http.Client, url, token string) (bool, string, error) {
	if done, err := p.exited(); done {
		return false, "", fmt.Errorf("%s %w", p.name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err.Error(), nil
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK, resp.Status, nil
}

// StopAPIServer stops kube-apiserver, leaving etcd and the controller-manager
// running.
func (e *Env) StopAPIServer(t testing.TB) {
	t.Helper()
	e.mu.Lock()
	p := e.apiserver
	e.apiserver = nil
	e.mu.Unlock()
	if err := p.stop(); err != nil {
		t.Fatalf("kubeenv: stop kube-apiserver: %v", err)
	}
}

// StartAPIServer starts kube-apiserver again on the same port and etcd, so
// Config, Client and Kubeconfig stay valid, and waits for /readyz.
func (e *Env) StartAPIServer(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e.opts.StartTimeout)
	defer cancel()
	if err := e.startAPIServer(ctx); err != nil {
		t.Fatalf("kubeenv: restart kube-apiserver: %v\n%s", err, e.LogTails(30))
	}
}

// RestartAPIServer stops and starts kube-apiserver (see StartAPIServer).
func (e *Env) RestartAPIServer(t testing.TB) {
	t.Helper()
	e.StopAPIServer(t)
	e.StartAPIServer(t)
}

// kcmControllers is every default controller except those that act for
// absent kubelets: node-lifecycle would mark the test's fake nodes
// unreachable after 40 s and their pods not ready, and taint-eviction would
// then delete the pods.
var kcmControllers = "*,-node-lifecycle-controller,-taint-eviction-controller"

func (e *Env) startControllerManager(ctx context.Context) error {
	c := component{name: "kube-controller-manager", bin: e.Bins.ControllerManager, args: e.kcmArgs, ready: e.kcmReady}
	p, _, err := e.launch(ctx, c, 0)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.kcm = p
	e.mu.Unlock()
	// Controllers start after /healthz answers. The default service account
	// appearing shows they run, and pods in "default" can then be created.
	return e.waitServiceAccount(ctx, metav1.NamespaceDefault)
}

func (e *Env) kcmArgs(port int) []string {
	args := []string{
		"--kubeconfig=" + e.Kubeconfig,
		"--authentication-kubeconfig=" + e.Kubeconfig,
		"--authorization-kubeconfig=" + e.Kubeconfig,
		// The apiserver has no request-header or client CA to publish, so
		// looking up extension-apiserver-authentication only logs errors.
		"--authentication-skip-lookup=true",
		"--service-account-private-key-file=" + e.pki.saKeyFile,
		"--root-ca-file=" + e.pki.caFile,
		"--leader-elect=false",
		"--bind-address=" + e.bind.String(),
		"--secure-port=" + strconv.Itoa(port),
		"--controllers=" + kcmControllers,
		"--kube-api-qps=200",
		"--kube-api-burst=400",
		"--profiling=false",
	}
	return append(args, e.opts.ControllerManagerFlags...)
}

// kcmReady polls the controller-manager's /healthz. Its serving certificate
// is self-signed and generated in memory, and the connection never leaves
// this host, so verification is skipped for this probe only.
func (e *Env) kcmReady(ctx context.Context, p *process, port int) error {
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // loopback health probe
	}
	defer client.CloseIdleConnections()
	url := "https://" + e.hostPort(port) + "/healthz"
	return poll(ctx, "kube-controller-manager /healthz", time.Minute, 100*time.Millisecond, func(ctx context.Context) (bool, string, error) {
		return probe(ctx, p, client, url, "")
	})
}

// waitServiceAccount waits for the "default" ServiceAccount of ns.
func (e *Env) waitServiceAccount(ctx context.Context, ns string) error {
	return poll(ctx, "ServiceAccount "+ns+"/default", time.Minute, 100*time.Millisecond, func(ctx context.Context) (bool, string, error) {
		if kcm := e.controllerManager(); kcm != nil {
			if done, err := kcm.exited(); done {
				return false, "", fmt.Errorf("kube-controller-manager %w", err)
			}
		}
		_, err := e.Client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, "not created yet", nil
		}
		if err != nil {
			return false, err.Error(), nil
		}
		return true, "", nil
	})
}

// controllerManager returns the running controller-manager, or nil.
func (e *Env) controllerManager() *process {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.kcm
}
