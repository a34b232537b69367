package kubee2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/contract"
	"github.com/weftmesh/weft/tests/envoystandin"
	"github.com/weftmesh/weft/tests/harness"
	"github.com/weftmesh/weft/tests/kubeenv"
)

// The path a user takes, with nothing set by hand: weft installed from
// manifests/install.yaml; weftd run (by the test kubelet) from its
// Deployment's pod spec with the install's ServiceAccount token and RBAC;
// a labelled namespace; kubectl apply of a Deployment, a Service and a 90/10
// VirtualService; the pod as the injection webhook admitted it, its
// weft-agent run unchanged with a token from the TokenRequest API; and an
// Envoy stand-in that reads the agent's bootstrap, takes the certificate
// over SDS, verifies weftd's SAN and receives the pod's config over mTLS.
func TestInstalledMeshConfiguresInjectedSidecar(t *testing.T) {
	env := sharedEnv(t)
	install(t, env)
	weftdIP, weftd := runWeftdFromInstall(t, env)
	// weftd's own ServiceAccount must be enough for everything it does.
	t.Cleanup(func() { requireNoForbidden(t, weftd.Log()) })
	hosts := map[string]string{contract.ControlPlaneHost(contract.DefaultNamespace): weftdIP}

	t.Run("validating webhook enforces", func(t *testing.T) { requireValidationEnforced(t, env) })
	t.Run("Istio's API", func(t *testing.T) { requireIstioAPI(t, env) })

	ns := env.Namespace(t)
	kubectl(t, env, "label", "namespace", ns, "istio-injection=enabled")
	kubectl(t, env, "create", "serviceaccount", "reviews", "-n", ns)
	apply(t, env, injectedAppYAML(ns)+"---\n"+destinationRuleYAML(ns, "v1", "v2")+"---\n"+splitYAML(ns, "reviews", map[string]int{"v1": 90, "v2": 10}))
	ips := kubeenv.SequentialIPs("10.244.9.", 20)
	v1 := env.WaitRunPods(t, ns, "app=reviews,version=v1", 1, ips)[0]
	v2 := env.WaitRunPods(t, ns, "app=reviews,version=v2", 1, ips)[0]

	vols := env.MountPodVolumes(t, ns, v1)
	requireInjected(t, vols)
	env.RunContainer(t, vols, kubeenv.ContainerOptions{Container: contract.AgentContainer, Binary: agentBinary(t), PodIP: ips(v1), Hosts: hosts})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	proxy := startProxyStandIn(ctx, t, vols, hosts)
	snap, err := proxy.WaitFor(ctx, func(s envoystandin.Snapshot) bool { return podConfigReady(s, ns) })
	if err != nil {
		t.Fatalf("the injected sidecar never got its config: %v", err)
	}
	requirePodConfig(t, snap, ns, map[string]string{"v1": ips(v1), "v2": ips(v2)})
	// The leader reports on the VirtualService through the status subresource.
	waitStatus(t, env, "virtualservice", ns, "reviews", time.Minute, func(v statusView) bool {
		c := v.accepted()
		return c != nil && c.Status == "True"
	})
	if n := proxy.NACKs(); len(n) != 0 {
		t.Errorf("the stand-in rejected weftd's config: %+v", n)
	}
	if uris := proxy.ClientCertificate().URIs; len(uris) != 1 || uris[0].String() != "spiffe://cluster.local/ns/"+ns+"/sa/reviews" {
		t.Errorf("the sidecar presented %v, want the pod's identity", uris)
	}

	t.Run("other identities are refused the pod's node", func(t *testing.T) {
		requireImpostorsRefused(ctx, t, env, impostor{ns: ns, pod: v1, ip: ips(v1), weftd: weftdIP})
		if err := proxy.Err(); err != nil {
			t.Fatalf("the real sidecar's stream ended: %v", err)
		}
		if got := proxy.Snapshot(); !podConfigReady(got, ns) || len(proxy.NACKs()) != 0 {
			t.Fatalf("the real sidecar's config changed: %s", got.Summary())
		}
	})
}

// impostor is a workload of service account "ratings" in the pod's
// namespace, with a certificate weftd's CA really issued to it.
type impostor struct{ ns, pod, ip, weftd string }

// requireImpostorsRefused: a certificate for ratings claiming the reviews
// pod's node id, or a node in another namespace, gets PermissionDenied.
func requireImpostorsRefused(ctx context.Context, t *testing.T, env *kubeenv.Env, im impostor) {
	kubectl(t, env, "create", "serviceaccount", "ratings", "-n", im.ns)
	secure := net.JoinHostPort(im.weftd, fmt.Sprint(contract.PortSecure))
	a := startAgent(ctx, t, env, agentSpec{ns: im.ns, sa: "ratings", pod: "ratings-0", ip: "10.244.9.99", caAddr: secure, xdsAddr: secure,
		serverName: contract.ControlPlaneHost(contract.DefaultNamespace), roots: waitRootCert(t, env, im.ns)})
	creds := certFilesTLS(t, filepath.Dir(a.CertPaths().Key))
	for name, n := range map[string]*corev3.Node{
		"reviews pod's node":  nodeClaim(fmt.Sprintf("sidecar~%s~%s.%s~%s.svc.cluster.local", im.ip, im.pod, im.ns, im.ns), im.ns, "ratings"),
		"another namespace":   nodeClaim("sidecar~10.244.9.99~ratings-0.default~default.svc.cluster.local", "default", "ratings"),
		"another service acc": nodeClaim("sidecar~10.244.9.99~ratings-0."+im.ns+"~"+im.ns+".svc.cluster.local", im.ns, "reviews"),
	} {
		err := adsStreamError(ctx, secure, creds, n)
		if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "spiffe://cluster.local/ns/"+im.ns+"/sa/ratings") {
			t.Errorf("%s: %v, want PermissionDenied naming the certificate's identity", name, err)
		}
	}
}

func nodeClaim(id, ns, sa string) *corev3.Node {
	md, _ := structpb.NewStruct(map[string]any{"NAMESPACE": ns, "SERVICE_ACCOUNT": sa})
	return &corev3.Node{Id: id, Metadata: md}
}

// certFilesTLS is mutual TLS from the files weft-agent keeps, verifying
// weftd by its Service name.
func certFilesTLS(t *testing.T, dir string) credentials.TransportCredentials {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "cert-chain.pem"), filepath.Join(dir, "key.pem"))
	must(t, err)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM([]byte(readFile(t, filepath.Join(dir, "root-cert.pem"))))
	return credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: roots,
		ServerName: contract.ControlPlaneHost(contract.DefaultNamespace), MinVersion: tls.VersionTLS12})
}

// adsStreamError opens an ADS stream claiming node and returns how weftd ended it.
func adsStreamError(ctx context.Context, addr string, creds credentials.TransportCredentials, n *corev3.Node) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	s, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		return err
	}
	_ = s.Send(&discoveryv3.DiscoveryRequest{Node: n, TypeUrl: resource.ListenerType}) // a refused stream may already be closed
	_, err = s.Recv()
	return err
}

// install applies the rendered install manifest and removes what would
// outlive weftd (webhooks failing closed, cluster RBAC, its namespace).
func install(t *testing.T, env *kubeenv.Env) {
	t.Helper()
	manifest := filepath.Join(repoRoot(t), "manifests", "install.yaml")
	out := kubectl(t, env, "apply", "-f", manifest)
	for _, want := range []string{"namespace/weft-system", "deployment.apps/weftd", "customresourcedefinition.apiextensions.k8s.io/virtualservices.networking.istio.io"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl apply output lacks %q:\n%s", want, out)
		}
	}
	if explain := kubectl(t, env, "explain", "virtualservice.spec.http.route"); !strings.Contains(explain, "weight") {
		t.Errorf("kubectl explain virtualservice.spec.http.route lacks the weight field:\n%s", explain)
	}
	t.Cleanup(func() {
		for _, obj := range []string{"mutatingwebhookconfiguration/weft-sidecar-injector", "validatingwebhookconfiguration/weft-validator",
			"clusterrolebinding/weftd-weft-system", "clusterrole/weftd-weft-system", "namespace/weft-system"} {
			_, _ = env.Kubectl("delete", obj, "--ignore-not-found", "--wait=false")
		}
	})
}

// runWeftdFromInstall plays the kubelet for one replica of the installed
// weftd Deployment: its pod spec run unchanged (in-cluster config from the
// projected ServiceAccount token), marked ready once its readiness probe
// passes. It returns the pod's IP.
func runWeftdFromInstall(t *testing.T, env *kubeenv.Env) (string, *kubeenv.Container) {
	t.Helper()
	const ns, ip = contract.DefaultNamespace, "10.244.9.10"
	pod := waitPod(t, env, ns, "app=weftd")
	env.CreateNode(t, kubeenv.DefaultNode)
	env.BindPod(t, ns, pod, kubeenv.DefaultNode)
	vols := env.MountPodVolumes(t, ns, pod)
	api, err := url.Parse(env.Server)
	if err != nil {
		t.Fatal(err)
	}
	c := env.RunContainer(t, vols, kubeenv.ContainerOptions{Container: "weftd", Binary: weftdBinary(t), PodIP: ip,
		Env: map[string]string{"KUBERNETES_SERVICE_HOST": api.Hostname(), "KUBERNETES_SERVICE_PORT": api.Port()}})
	waitReadinessProbe(t, vols, "weftd", ip)
	env.MarkPodReady(t, ns, pod, ip)
	return ip, c
}

// requireNoForbidden fails on any request the API server refused weftd.
func requireNoForbidden(t *testing.T, log string) {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(strings.ToLower(line), "forbidden") {
			t.Errorf("weftd was refused by its RBAC: %s", line)
		}
	}
}

// waitPod returns the first pod matching selector once a controller made it.
func waitPod(t *testing.T, env *kubeenv.Env, ns, selector string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		out, err := env.Kubectl("get", "pods", "-n", ns, "-l", selector, "-o", "jsonpath={.items[*].metadata.name}")
		if names := strings.Fields(out); err == nil && len(names) > 0 {
			return names[0]
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("no pod %s in %s within a minute", selector, ns)
	return ""
}

// waitReadinessProbe polls the container's own httpGet readiness probe.
func waitReadinessProbe(t *testing.T, vols *kubeenv.PodVolumes, container, ip string) {
	t.Helper()
	probe := vols.Container(container).ReadinessProbe.HTTPGet
	u := fmt.Sprintf("http://%s:%d%s", ip, probe.Port.IntValue(), probe.Path)
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if resp, err := client.Get(u); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s readiness probe %s never passed", container, u)
}

// requireValidationEnforced: weftd proves its validating webhook works with
// the install's RBAC and switches it to fail closed; kubectl then gets an
// invalid VirtualService denied.
func requireValidationEnforced(t *testing.T, env *kubeenv.Env) {
	deadline := time.Now().Add(time.Minute)
	for {
		out, _ := env.Kubectl("get", "validatingwebhookconfiguration", "weft-validator", "-o", "jsonpath={.webhooks[*].failurePolicy}")
		if strings.Fields(out) != nil && !strings.Contains(out, "Ignore") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("weft-validator failurePolicy still %q after a minute", out)
		}
		time.Sleep(500 * time.Millisecond)
	}
	ns := env.Namespace(t)
	// All-zero weights are invalid in Istio too ("total destination weight = 0").
	bad := splitYAML(ns, "bad", map[string]int{"v1": 0, "v2": 0})
	out, err := env.Kubectl("apply", "-f", writeTemp(t, bad))
	if err == nil || !strings.Contains(err.Error()+out, `admission webhook "validation.weft.io" denied the request`) {
		t.Fatalf("invalid VirtualService (weights 0+0) was not denied: err=%v\n%s", err, out)
	}
	// Weights that do not sum to 100 are valid in Istio (weight/sum) and admitted.
	split := splitYAML(ns, "split", map[string]int{"v1": 60, "v2": 30})
	if out, err := env.Kubectl("apply", "--dry-run=server", "-f", writeTemp(t, split)); err != nil {
		t.Fatalf("valid VirtualService (weights 60+30) was denied: %v\n%s", err, out)
	}
}

// injectedAppYAML is reviews v1 and v2 under service account reviews, and
// the Service selecting both.
func injectedAppYAML(ns string) string {
	var b strings.Builder
	for _, v := range []string{"v1", "v2"} {
		y := deploymentYAML(ns, v, 1)
		b.WriteString(strings.Replace(y, "    spec:\n      containers:", "    spec:\n      serviceAccountName: reviews\n      containers:", 1))
		b.WriteString("---\n")
	}
	return b.String()
}

func requireInjected(t *testing.T, vols *kubeenv.PodVolumes) {
	t.Helper()
	for _, c := range []string{contract.InitContainer, contract.AgentContainer, contract.ProxyContainer} {
		if vols.Container(c) == nil {
			t.Fatalf("pod %s was admitted without %s: is the injection webhook called?", vols.Pod.Name, c)
		}
	}
}

// startProxyStandIn waits (bounded) for weft-agent's bootstrap in the
// istio-proxy container's view, as its start script does, and starts the
// Envoy stand-in from it.
func startProxyStandIn(ctx context.Context, t *testing.T, vols *kubeenv.PodVolumes, hosts map[string]string) *envoystandin.Envoy {
	t.Helper()
	view := envoystandin.Container{Hosts: hosts, Path: func(p string) (string, error) { return vols.HostPath(contract.ProxyContainer, p) }}
	path, err := view.Path(contract.EnvoyBootstrap)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("weft-agent wrote no bootstrap at %s: %v", contract.EnvoyBootstrap, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	proxy, err := envoystandin.StartInContainer(ctx, contract.EnvoyBootstrap, view)
	if err != nil {
		t.Fatalf("Envoy stand-in: %v", err)
	}
	t.Cleanup(func() { proxy.Close() })
	return proxy
}

// subsetCluster is weft's outbound cluster name for a reviews subset.
func subsetCluster(ns, subset string) string {
	return fmt.Sprintf("outbound|%d|%s|reviews.%s.svc.cluster.local", grpcPort, subset, ns)
}

// podConfigReady: everything requirePodConfig checks has arrived.
func podConfigReady(s envoystandin.Snapshot, ns string) bool {
	in := s.Listeners["virtualInbound"]
	return in != nil && envoystandin.FilterChainForPort(in, grpcPort) != nil && s.Routes[fmt.Sprint(grpcPort)] != nil &&
		len(s.Endpoints[subsetCluster(ns, "v1")].GetEndpoints()) > 0 && len(s.Endpoints[subsetCluster(ns, "v2")].GetEndpoints()) > 0
}

// requirePodConfig checks the pod's config resource by resource.
func requirePodConfig(t *testing.T, s envoystandin.Snapshot, ns string, podIPs map[string]string) {
	t.Helper()
	for _, l := range []string{"virtualInbound", "virtualOutbound"} {
		if s.Listeners[l] == nil {
			t.Errorf("listener %s missing; have %s", l, s.Summary())
		}
	}
	requireSplit(t, s.Routes[fmt.Sprint(grpcPort)], ns)
	for subset, ip := range podIPs {
		name := subsetCluster(ns, subset)
		if c := s.Clusters[name]; c == nil || c.GetType() != clusterv3.Cluster_EDS {
			t.Errorf("cluster %s: %v, want an EDS cluster", name, c)
		}
		if got := endpointIPs(s, name); len(got) != 1 || got[0] != ip {
			t.Errorf("endpoints of %s = %v, want [%s]", name, got, ip)
		}
	}
}

// requireSplit finds the reviews virtual host and checks its 90/10 route.
func requireSplit(t *testing.T, rc *routev3.RouteConfiguration, ns string) {
	t.Helper()
	host := fmt.Sprintf("reviews.%s.svc.cluster.local", ns)
	for _, vh := range rc.GetVirtualHosts() {
		if !containsString(vh.GetDomains(), host) {
			continue
		}
		got := map[string]uint32{}
		for _, wc := range vh.GetRoutes()[0].GetRoute().GetWeightedClusters().GetClusters() {
			got[wc.GetName()] = wc.GetWeight().GetValue()
		}
		if got[subsetCluster(ns, "v1")] != 90 || got[subsetCluster(ns, "v2")] != 10 || len(got) != 2 {
			t.Errorf("route for %s splits %v, want v1 90 / v2 10", host, got)
		}
		return
	}
	t.Errorf("route config %q has no virtual host for %s", rc.GetName(), host)
}

func endpointIPs(s envoystandin.Snapshot, cluster string) []string {
	var out []string
	for _, loc := range s.Endpoints[cluster].GetEndpoints() {
		for _, ep := range loc.GetLbEndpoints() {
			out = append(out, ep.GetEndpoint().GetAddress().GetSocketAddress().GetAddress())
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func weftdBinary(t *testing.T) string { return harness.Binary(t, "weftd") }

func agentBinary(t *testing.T) string { return harness.Binary(t, "weft-agent") }
