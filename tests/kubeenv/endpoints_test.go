package kubeenv_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/weftmesh/weft/tests/kubeenv"
)

// TestDeploymentToEndpointSlice is the node-playing flow end to end: the
// controller-manager turns a Deployment into pods, the test binds and
// readies them with pod IPs, and the EndpointSlice controller publishes both
// addresses ready under the Service's named port.
func TestDeploymentToEndpointSlice(t *testing.T) {
	kubeenv.RequirePrivateNetwork(t)
	env := kubeenv.Shared(t, kubeenv.Options{})
	ns := env.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	labels := map[string]string{"app": "reviews"}
	if _, err := env.Client.AppsV1().Deployments(ns).Create(ctx, deployment("reviews", labels, 2), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	if _, err := env.Client.CoreV1().Services(ns).Create(ctx, service("reviews", labels), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create service: %v", err)
	}

	pods := env.WaitRunPods(t, ns, "app=reviews", 2, kubeenv.SequentialIPs("10.244.1.", 2))
	t.Logf("pods running: %v", pods)
	waitEndpoints(ctx, t, env, ns, "reviews", []string{"10.244.1.2", "10.244.1.3"})
}

func deployment(name string, labels map[string]string, replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  "app",
					Image: "weft.invalid/never-pulled:v1", // no kubelet ever pulls it
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 9080}},
				}}},
			},
		},
	}
}

func service(name string, selector map[string]string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{
			Selector: selector,
			Ports: []corev1.ServicePort{{
				Name: "http", Port: 9080, TargetPort: intstr.FromString("http"),
			}},
		},
	}
}

// waitEndpoints waits until the Service's EndpointSlices list exactly want,
// all ready, on port "http" 9080.
func waitEndpoints(ctx context.Context, t *testing.T, env *kubeenv.Env, ns, svc string, want []string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		list, err := env.Client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{
			LabelSelector: discoveryv1.LabelServiceName + "=" + svc,
		})
		if err != nil {
			last = err.Error()
			continue
		}
		got, desc := readyAddresses(list.Items)
		last = desc
		if strings.Join(got, ",") == strings.Join(want, ",") {
			return
		}
	}
	t.Fatalf("EndpointSlices of %s/%s: want %v ready on http:9080; last saw %s", ns, svc, want, last)
}

// readyAddresses returns the sorted ready addresses on port http:9080 and a
// description of everything seen.
func readyAddresses(items []discoveryv1.EndpointSlice) ([]string, string) {
	var ready []string
	var desc []string
	for _, s := range items {
		onHTTP := slices.ContainsFunc(s.Ports, func(p discoveryv1.EndpointPort) bool {
			return p.Name != nil && *p.Name == "http" && p.Port != nil && *p.Port == 9080
		})
		for _, ep := range s.Endpoints {
			r := ep.Conditions.Ready != nil && *ep.Conditions.Ready
			desc = append(desc, fmt.Sprintf("%s %v ready=%v http=%v", s.Name, ep.Addresses, r, onHTTP))
			if r && onHTTP {
				ready = append(ready, ep.Addresses...)
			}
		}
	}
	slices.Sort(ready)
	return ready, strings.Join(desc, "; ")
}
