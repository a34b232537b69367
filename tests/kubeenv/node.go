package kubeenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// There is no kubelet and no scheduler: these helpers play the node. A pod
// the controllers create stays Pending until a test binds it to a Node and
// patches its status Running and Ready with an IP; only then does the
// EndpointSlice controller publish it.

// DefaultNode is the Node RunPods binds pods to; it is created on demand.
const DefaultNode = "kubeenv-node"

// callTimeout bounds each helper's API calls.
const callTimeout = 30 * time.Second

// CreateNode creates a Ready Node named name (no error if it exists).
func (e *Env) CreateNode(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if err := e.ensureNode(ctx, name); err != nil {
		t.Fatalf("kubeenv: %v", err)
	}
}

func (e *Env) ensureNode(ctx context.Context, name string) error {
	now := metav1.Now()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{
				Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
				Message: "played by kubeenv", LastHeartbeatTime: now, LastTransitionTime: now,
			}},
		},
	}
	_, err := e.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create node %s: %w", name, err)
	}
	return nil
}

// BindPod binds pod ns/name to node through the pods/binding subresource,
// as the scheduler would.
func (e *Env) BindPod(t testing.TB, ns, name, node string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if err := e.bindPod(ctx, ns, name, node); err != nil {
		t.Fatalf("kubeenv: %v", err)
	}
}

func (e *Env) bindPod(ctx context.Context, ns, name, node string) error {
	b := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node},
	}
	if err := e.Client.CoreV1().Pods(ns).Bind(ctx, b, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("bind pod %s/%s to %s: %w", ns, name, node, err)
	}
	return nil
}

// MarkPodReady sets pod ns/name's status as a kubelet would for a started,
// ready pod: phase Running, podIP/podIPs ip, conditions Ready and
// ContainersReady True, every container running and ready.
func (e *Env) MarkPodReady(t testing.TB, ns, name, ip string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if err := e.markPodReady(ctx, ns, name, ip); err != nil {
		t.Fatalf("kubeenv: %v", err)
	}
}

func (e *Env) markPodReady(ctx context.Context, ns, name, ip string) error {
	pods := e.Client.CoreV1().Pods(ns)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		pod, err := pods.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		setRunningReady(pod, ip, metav1.Now())
		_, err = pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("mark pod %s/%s ready with IP %s: %w", ns, name, ip, err)
	}
	return nil
}

// setRunningReady fills pod.Status the way a kubelet reports a running pod.
func setRunningReady(pod *corev1.Pod, ip string, now metav1.Time) {
	s := &pod.Status
	s.Phase = corev1.PodRunning
	s.PodIP = ip
	s.PodIPs = []corev1.PodIP{{IP: ip}}
	if s.StartTime == nil {
		s.StartTime = &now
	}
	for _, c := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		setCondition(s, c, now)
	}
	started := true
	s.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		s.ContainerStatuses = append(s.ContainerStatuses, corev1.ContainerStatus{
			Name:        c.Name,
			Image:       c.Image,
			ImageID:     c.Image,
			ContainerID: "kubeenv://" + pod.Name + "/" + c.Name,
			Ready:       true,
			Started:     &started,
			State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
}

func setCondition(s *corev1.PodStatus, typ corev1.PodConditionType, now metav1.Time) {
	for i := range s.Conditions {
		if s.Conditions[i].Type == typ {
			if s.Conditions[i].Status != corev1.ConditionTrue {
				s.Conditions[i].Status, s.Conditions[i].LastTransitionTime = corev1.ConditionTrue, now
			}
			return
		}
	}
	s.Conditions = append(s.Conditions, corev1.PodCondition{Type: typ, Status: corev1.ConditionTrue, LastTransitionTime: now})
}

// RunPods binds every Pending pod in ns matching the label selector to
// DefaultNode (unless already bound) and marks it ready with ipFor(podName).
// It returns the names of the pods it started.
func (e *Env) RunPods(t testing.TB, ns, selector string, ipFor func(podName string) string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	names, err := e.runPods(ctx, ns, selector, ipFor)
	if err != nil {
		t.Fatalf("kubeenv: %v", err)
	}
	return names
}

func (e *Env) runPods(ctx context.Context, ns, selector string, ipFor func(string) string) ([]string, error) {
	if err := e.ensureNode(ctx, DefaultNode); err != nil {
		return nil, err
	}
	list, err := e.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("list pods %s in %s: %w", selector, ns, err)
	}
	var started []string
	for _, pod := range list.Items {
		if pod.DeletionTimestamp != nil || pod.Status.Phase != corev1.PodPending {
			continue
		}
		if pod.Spec.NodeName == "" {
			if err := e.bindPod(ctx, ns, pod.Name, DefaultNode); err != nil {
				return started, err
			}
		}
		ip := ipFor(pod.Name)
		if ip == "" {
			return started, fmt.Errorf("no IP for pod %s/%s", ns, pod.Name)
		}
		if err := e.markPodReady(ctx, ns, pod.Name, ip); err != nil {
			return started, err
		}
		started = append(started, pod.Name)
	}
	return started, nil
}

// WaitRunPods runs pods as RunPods does, repeatedly, until at least want
// pods matching selector are Running and Ready (controllers create them
// asynchronously), for up to a minute. It returns the ready pods' names.
func (e *Env) WaitRunPods(t testing.TB, ns, selector string, want int, ipFor func(podName string) string) []string {
	t.Helper()
	var ready []string
	err := poll(context.Background(), fmt.Sprintf("%d ready pods %q in %s", want, selector, ns), time.Minute, 200*time.Millisecond,
		func(ctx context.Context) (bool, string, error) {
			if _, err := e.runPods(ctx, ns, selector, ipFor); err != nil {
				return false, err.Error(), nil
			}
			var err error
			ready, err = e.readyPods(ctx, ns, selector)
			if err != nil {
				return false, err.Error(), nil
			}
			return len(ready) >= want, fmt.Sprintf("%d ready: %v", len(ready), ready), nil
		})
	if err != nil {
		t.Fatalf("kubeenv: %v", err)
	}
	return ready
}

// readyPods lists the names of pods matching selector that are Running and
// Ready and not being deleted.
func (e *Env) readyPods(ctx context.Context, ns, selector string) ([]string, error) {
	list, err := e.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	var names []string
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning && podReady(&p) {
			names = append(names, p.Name)
		}
	}
	return names, nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// SequentialIPs returns an ipFor function for RunPods that gives each new
// pod name the next address prefix+first, prefix+(first+1), ... and the same
// address again for a name it has seen. Example: SequentialIPs("10.244.1.", 2).
func SequentialIPs(prefix string, first int) func(podName string) string {
	var mu sync.Mutex
	next := first
	seen := map[string]string{}
	return func(name string) string {
		mu.Lock()
		defer mu.Unlock()
		if ip, ok := seen[name]; ok {
			return ip
		}
		ip := fmt.Sprintf("%s%d", prefix, next)
		next++
		seen[name] = ip
		return ip
	}
}

// Namespace creates a namespace unique to the test (so tests can share an
// Env), waits for its default ServiceAccount when the controller-manager
// runs, and deletes it at cleanup without waiting.
func (e *Env) Namespace(t testing.TB) string {
	t.Helper()
	name := namespaceName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := e.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("kubeenv: create namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		_ = e.Client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
	})
	if e.controllerManager() != nil {
		if err := e.waitServiceAccount(ctx, name); err != nil {
			t.Fatalf("kubeenv: %v", err)
		}
	}
	return name
}

var notDNSLabel = regexp.MustCompile(`[^a-z0-9-]+`)

// namespaceName makes a DNS label from a test name plus a random suffix.
func namespaceName(testName string) string {
	base := strings.Trim(notDNSLabel.ReplaceAllString(strings.ToLower(testName), "-"), "-")
	if len(base) > 50 {
		base = strings.TrimRight(base[:50], "-")
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return base + "-" + hex.EncodeToString(b)
}
