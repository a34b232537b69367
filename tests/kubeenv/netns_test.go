package kubeenv_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/weftmesh/weft/tests/kubeenv"
)

// TestPrivateNetworkIsolated checks that the namespace has no way out: the
// only interface that is up is lo.
func TestPrivateNetworkIsolated(t *testing.T) {
	kubeenv.RequirePrivateNetwork(t)
	ifaces, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifaces {
		if i.Flags&net.FlagUp != 0 && i.Flags&net.FlagLoopback == 0 {
			t.Errorf("interface %s is up in the private network namespace", i.Name)
		}
	}
}

// TestPodIPIsLocal proves what kube-mode e2e relies on: inside the namespace
// a server can listen on a pod IP and be reached there.
func TestPodIPIsLocal(t *testing.T) {
	kubeenv.RequirePrivateNetwork(t)
	l, err := net.Listen("tcp", "10.244.1.2:0")
	if err != nil {
		t.Fatalf("listen on pod IP: %v", err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		line, _ := bufio.NewReader(c).ReadString('\n')
		_, _ = c.Write([]byte("echo " + line))
	}()
	c, err := net.DialTimeout("tcp", l.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", l.Addr(), err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != "echo ping\n" {
		t.Fatalf("reply %q, %v", got, err)
	}
}

// TestEndpointSliceAcceptsPodIP shows why the namespace is needed: the
// apiserver accepts an EndpointSlice with pod IP 10.244.1.2 for a Service
// and rejects one with a loopback address.
func TestEndpointSliceAcceptsPodIP(t *testing.T) {
	kubeenv.RequirePrivateNetwork(t)
	env := kubeenv.Shared(t, kubeenv.Options{})
	ns := env.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	svc := service("manual", nil) // no selector: endpoints are managed by hand
	if _, err := env.Client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create service: %v", err)
	}
	slices := env.Client.DiscoveryV1().EndpointSlices(ns)
	if _, err := slices.Create(ctx, endpointSlice("manual-pod", "10.244.1.2"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("EndpointSlice with pod IP 10.244.1.2 rejected: %v", err)
	}
	_, err := slices.Create(ctx, endpointSlice("manual-loopback", "127.0.0.2"), metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("EndpointSlice with 127.0.0.2: err = %v, want a loopback rejection", err)
	}
}

func endpointSlice(name, ip string) *discoveryv1.EndpointSlice {
	ready := true
	port, portName, proto := int32(9080), "http", corev1.ProtocolTCP
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name:   name,
			Labels: map[string]string{discoveryv1.LabelServiceName: "manual", discoveryv1.LabelManagedBy: "kubeenv-test"},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
		Ports:       []discoveryv1.EndpointPort{{Name: &portName, Port: &port, Protocol: &proto}},
	}
}
