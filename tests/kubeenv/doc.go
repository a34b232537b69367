// Package kubeenv runs a real Kubernetes control plane for integration and
// e2e tests: an embedded etcd, kube-apiserver and (optionally)
// kube-controller-manager as subprocesses, with no kubelet and no scheduler.
// Tests play the node themselves (CreateNode, BindPod, MarkPodReady, RunPods)
// so Deployments, Services and EndpointSlices behave as in a cluster.
//
// The binaries are built from source by hack/kubebin/build.sh into a cache
// outside the repo (see Binaries). EndpointSlices refuse loopback addresses,
// so tests that need pod IPs run inside a private network namespace
// (InPrivateNetwork) where the whole of PodCIDR is local.
//
// One Env per test package keeps `make test` fast: call Shared from tests and
// RunMain or InPrivateNetwork from TestMain. See README.md.
package kubeenv
