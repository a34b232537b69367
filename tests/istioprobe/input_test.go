//go:build istioprobe

package istioprobe

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/weftmesh/weft/tests/kubeenv"
)

// input is a feature's input.yaml split for the two control planes.
type input struct {
	kube       []string                     // Namespaces, ServiceAccounts, Services and Pods, in that order
	istio      []string                     // everything else, for istiod's --configDir
	podIPs     map[string]map[string]string // namespace -> pod -> IP (from status.podIP)
	labelsByIP map[string]map[string]string
	services   []string // namespace/name
}

type object struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		ServiceAccount string `json:"serviceAccountName"`
	} `json:"spec"`
	Status struct {
		PodIP string `json:"podIP"`
	} `json:"status"`
}

func splitInput(t *testing.T, data []byte) *input {
	in := &input{podIPs: map[string]map[string]string{}, labelsByIP: map[string]map[string]string{}}
	namespaces := map[string]bool{"istio-system": true}
	var accounts, objects []string
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("input: %v", err)
		}
		if o.Kind == "" {
			continue
		}
		if o.Metadata.Namespace != "" { // Nodes have none
			namespaces[o.Metadata.Namespace] = true
		}
		switch o.Kind {
		case "Node":
			objects = append(objects, doc)
		case "Pod":
			in.addPod(o)
			accounts = append(accounts, fmt.Sprintf("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: %s, namespace: %s}",
				o.Spec.ServiceAccount, o.Metadata.Namespace))
			objects = append(objects, doc)
		case "Service":
			objects = append(objects, doc)
			in.services = append(in.services, o.Metadata.Namespace+"/"+o.Metadata.Name)
		default:
			in.istio = append(in.istio, doc)
		}
	}
	in.kube = append(append(namespaceDocs(namespaces), accounts...), objects...)
	return in
}

func (in *input) addPod(o object) {
	ns := o.Metadata.Namespace
	if in.podIPs[ns] == nil {
		in.podIPs[ns] = map[string]string{}
	}
	in.podIPs[ns][o.Metadata.Name] = o.Status.PodIP
	in.labelsByIP[o.Status.PodIP] = o.Metadata.Labels
}

func namespaceDocs(set map[string]bool) []string {
	var out []string
	for ns := range set {
		out = append(out, "apiVersion: v1\nkind: Namespace\nmetadata: {name: "+ns+"}")
	}
	sort.Strings(out)
	return out
}

// apply creates the Kubernetes objects and plays the node: each pod runs
// Ready at its input IP, so the EndpointSlice controller publishes it.
func (in *input) apply(t *testing.T, env *kubeenv.Env) {
	for _, doc := range in.kube {
		if out, err := env.KubectlInput(doc, "apply", "-f", "-"); err != nil {
			t.Fatalf("kubectl apply: %v\n%s", err, out)
		}
	}
	for ns, pods := range in.podIPs {
		env.WaitRunPods(t, ns, "", len(pods), func(name string) string { return pods[name] })
	}
	for _, svc := range in.services {
		if err := waitEndpoints(env, svc); err != nil {
			t.Fatalf("%s: %v", svc, err)
		}
	}
}

// waitEndpoints waits until the EndpointSlice controller has published an
// endpoint of the service, so istiod's first push has it.
func waitEndpoints(env *kubeenv.Env, svc string) error {
	ns, name, _ := strings.Cut(svc, "/")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		slices, err := env.Client.DiscoveryV1().EndpointSlices(ns).List(ctx,
			metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + name})
		if err == nil && len(slices.Items) > 0 && len(slices.Items[0].Endpoints) > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no endpoints published: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

func (in *input) writeIstio(t *testing.T, dir string) {
	for i, doc := range in.istio {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d.yaml", i)), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
