package kubee2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weftmesh/weft/internal/grpcapp"
	"github.com/weftmesh/weft/tests/harness"
	"github.com/weftmesh/weft/tests/kubeenv"
)

const grpcPort = 9080

// apply writes yaml to a file and runs kubectl apply on it, as a user would.
func apply(t *testing.T, env *kubeenv.Env, yaml string) {
	t.Helper()
	kubectl(t, env, "apply", "-f", writeTemp(t, yaml))
}

func kubectl(t *testing.T, env *kubeenv.Env, args ...string) string {
	t.Helper()
	out, err := env.Kubectl(args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// deploymentYAML is a Deployment of the reviews app at one version plus
// (once per namespace, harmless to repeat) the Service selecting all versions.
func deploymentYAML(ns, version string, replicas int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-%[2]s, namespace: %[1]s}
spec:
  replicas: %[3]d
  selector: {matchLabels: {app: reviews, version: %[2]s}}
  template:
    metadata: {labels: {app: reviews, version: %[2]s}}
    spec:
      containers: [{name: reviews, image: example.invalid/reviews, ports: [{name: grpc, containerPort: %[4]d}]}]
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: %[1]s}
spec:
  selector: {app: reviews}
  ports: [{name: grpc, port: %[4]d, targetPort: grpc}]
`, ns, version, replicas, grpcPort)
}

func destinationRuleYAML(ns string, subsets ...string) string {
	var b strings.Builder
	for _, s := range subsets {
		fmt.Fprintf(&b, "  - {name: %s, labels: {version: %s}}\n", s, s)
	}
	return fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: %s}
spec:
  host: reviews
  subsets:
%s`, ns, b.String())
}

// splitYAML is a VirtualService weighting subsets, e.g. {"v1": 90, "v2": 10}.
func splitYAML(ns, name string, weights map[string]int) string {
	var b strings.Builder
	for _, s := range slices.Sorted(maps.Keys(weights)) {
		fmt.Fprintf(&b, "    - {destination: {host: reviews, subset: %s}, weight: %d}\n", s, weights[s])
	}
	return fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: %s, namespace: %s}
spec:
  hosts: [reviews]
  http:
  - route:
%s`, name, ns, b.String())
}

// app is the reviews service running in a namespace: pods made ready by
// the test, each served by a proxyless backend listening on its pod IP.
type app struct {
	t        *testing.T
	env      *kubeenv.Env
	ns       string
	xdsAddr  string
	ips      func(string) string
	backends map[string]*grpcapp.Backend // by pod name
}

func newApp(t *testing.T, env *kubeenv.Env, ns, xdsAddr string, ipBase string) *app {
	return &app{t: t, env: env, ns: ns, xdsAddr: xdsAddr, ips: kubeenv.SequentialIPs(ipBase, 2), backends: map[string]*grpcapp.Backend{}}
}

// run readies want pods of a version and starts a backend for each new one.
func (a *app) run(ctx context.Context, version string, want int) []string {
	a.t.Helper()
	pods := a.env.WaitRunPods(a.t, a.ns, "app=reviews,version="+version, want, a.ips)
	for _, pod := range pods {
		if _, ok := a.backends[pod]; ok {
			continue
		}
		b, err := grpcapp.StartBackend(ctx, grpcapp.BackendOptions{
			Name: pod, Addr: fmt.Sprintf("%s:%d", a.ips(pod), grpcPort), XDSAddr: a.xdsAddr,
			PodName: pod, Namespace: a.ns, Logf: a.t.Logf,
		})
		if err != nil {
			a.t.Fatalf("backend for %s: %v", pod, err)
		}
		a.t.Cleanup(b.Stop)
		a.backends[pod] = b
	}
	if err := grpcapp.WaitServing(ctx, a.backendList()...); err != nil {
		a.t.Fatal(err)
	}
	return pods
}

func (a *app) backendList() []*grpcapp.Backend {
	out := make([]*grpcapp.Backend, 0, len(a.backends))
	for _, b := range a.backends {
		out = append(out, b)
	}
	return out
}

func (a *app) client(ctx context.Context, xdsAddr string) *grpcapp.Client {
	a.t.Helper()
	c, err := grpcapp.NewClient(ctx, grpcapp.ClientOptions{
		Target: "reviews." + a.ns + ".svc.cluster.local:" + fmt.Sprint(grpcPort), XDSAddr: xdsAddr, Namespace: a.ns,
	})
	if err != nil {
		a.t.Fatal(err)
	}
	a.t.Cleanup(func() { c.Close() })
	return c
}

// share sums a result's calls over the given pods, as a fraction.
func share(r grpcapp.Result, pods []string) float64 {
	n := 0
	for _, p := range pods {
		n += r.ByBackend[p]
	}
	if r.Total == 0 {
		return 0
	}
	return float64(n) / float64(r.Total)
}

// startWeftd runs weftd in Kubernetes mode; unless extra names one, it gets
// a namespace of its own for its Lease and CA Secret.
func startWeftd(t *testing.T, env *kubeenv.Env, extra ...string) *harness.Weftd {
	t.Helper()
	if !slices.ContainsFunc(extra, func(a string) bool { return strings.HasPrefix(a, "--namespace=") }) {
		extra = append(extra, "--namespace="+env.Namespace(t))
	}
	return harness.StartWeftd(t, harness.WeftdOptions{Kubeconfig: env.Kubeconfig, ExtraArgs: extra, ReadyTimeout: time.Minute})
}

// condition reads a resource's Accepted condition through kubectl.
type condition struct {
	Type, Status, Reason, Message string
	ObservedGeneration            generation
}

// generation reads an int64 written as a JSON number or, as Istio's status
// (a proto message in JSON) writes it, a string.
type generation int64

func (g *generation) UnmarshalJSON(b []byte) error {
	n, err := strconv.ParseInt(strings.Trim(string(b), `"`), 10, 64)
	*g = generation(n)
	return err
}

type statusView struct {
	Metadata struct {
		Generation    int64 `json:"generation"`
		ManagedFields []struct {
			Manager     string `json:"manager"`
			Subresource string `json:"subresource"`
		} `json:"managedFields"`
	} `json:"metadata"`
	Status struct {
		Conditions []condition `json:"conditions"`
	} `json:"status"`
}

func getStatus(t *testing.T, env *kubeenv.Env, kind, ns, name string) statusView {
	t.Helper()
	var v statusView
	if err := json.Unmarshal([]byte(kubectl(t, env, "get", kind, name, "-n", ns, "-o", "json", "--show-managed-fields")), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func (v statusView) accepted() *condition {
	for i := range v.Status.Conditions {
		if v.Status.Conditions[i].Type == "Accepted" {
			return &v.Status.Conditions[i]
		}
	}
	return nil
}

// statusManagers lists the field managers that wrote the status subresource.
func (v statusView) statusManagers() []string {
	var out []string
	for _, m := range v.Metadata.ManagedFields {
		if m.Subresource == "status" {
			out = append(out, m.Manager)
		}
	}
	return out
}

// waitStatus polls (bounded) until pred holds for the resource's status.
func waitStatus(t *testing.T, env *kubeenv.Env, kind, ns, name string, timeout time.Duration, pred func(statusView) bool) statusView {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var v statusView
	for time.Now().Before(deadline) {
		v = getStatus(t, env, kind, ns, name)
		if pred(v) {
			return v
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s %s/%s status never matched within %v: %+v", kind, ns, name, timeout, v.Status)
	return v
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := harness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func crdsDir(t *testing.T) string { return filepath.Join(repoRoot(t), "manifests", "crds") }
