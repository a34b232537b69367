package kubeenv_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/weftmesh/weft/tests/kubeenv"
)

// TestStartKubectlRestart starts a private control plane (the restart would
// disturb tests sharing one), uses it through Client and kubectl, restarts
// kube-apiserver and checks state survived and clients reconnect, then
// stops it and checks nothing still listens.
func TestStartKubectlRestart(t *testing.T) {
	env := kubeenv.Start(t, kubeenv.Options{WithoutControllerManager: true})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "survivor", Namespace: "default"},
		Data:       map[string]string{"k": "v"},
	}
	if _, err := env.Client.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create configmap: %v", err)
	}
	out, err := env.Kubectl("get", "configmap", "survivor", "-n", "default", "-o", "jsonpath={.data.k}")
	if err != nil || out != "v" {
		t.Fatalf("kubectl get configmap = %q, %v; want v", out, err)
	}
	if out, err := env.Kubectl("version", "-o", "json"); err != nil || !strings.Contains(out, `"gitVersion": "`+kubeenv.KubeVersion+`"`) {
		t.Errorf("kubectl version = %s, %v; want server and client %s", out, err, kubeenv.KubeVersion)
	}

	start := time.Now()
	env.RestartAPIServer(t)
	t.Logf("kube-apiserver restarted in %s", time.Since(start).Round(time.Millisecond))
	got, err := env.Client.CoreV1().ConfigMaps("default").Get(ctx, "survivor", metav1.GetOptions{})
	if err != nil || got.Data["k"] != "v" {
		t.Fatalf("after restart: get configmap = %v, %v", got, err)
	}
	if _, err := env.Kubectl("get", "namespaces"); err != nil {
		t.Fatalf("after restart: %v", err)
	}

	if err := env.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	host := strings.TrimPrefix(env.Server, "https://")
	if c, err := net.DialTimeout("tcp", host, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Stop", host)
	}
}
