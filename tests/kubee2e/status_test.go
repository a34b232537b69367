package kubee2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/weftmesh/weft/internal/grpcapp"
	"github.com/weftmesh/weft/pilot/config/kube"
	"github.com/weftmesh/weft/tests/harness"
)

// A route to a subset no DestinationRule defines is reported in status and
// the report clears once the DestinationRule is fixed.
func TestStatusConditions(t *testing.T) {
	env := sharedEnv(t)
	ns := env.Namespace(t)
	startWeftd(t, env, "--leader-elect=false", "--pod-name=solo")
	apply(t, env, deploymentYAML(ns, "v1", 1))
	apply(t, env, destinationRuleYAML(ns, "v1")+"---\n"+splitYAML(ns, "reviews", map[string]int{"v1": 50, "v3": 50}))

	v := waitStatus(t, env, "virtualservice", ns, "reviews", 15*time.Second, func(v statusView) bool {
		c := v.accepted()
		return c != nil && c.Status == "False" && c.Reason == "MissingSubset"
	})
	t.Logf("unresolved subset: %+v", *v.accepted())
	dr := waitStatus(t, env, "destinationrule", ns, "reviews", 15*time.Second, func(v statusView) bool {
		c := v.accepted()
		return c != nil && c.Status == "True"
	})
	if c := dr.accepted(); int64(c.ObservedGeneration) != dr.Metadata.Generation {
		t.Errorf("observedGeneration %d, want %d", c.ObservedGeneration, dr.Metadata.Generation)
	}

	apply(t, env, destinationRuleYAML(ns, "v1", "v3"))
	waitStatus(t, env, "virtualservice", ns, "reviews", 15*time.Second, func(v statusView) bool {
		c := v.accepted()
		return c != nil && c.Status == "True" && c.Reason == "Accepted"
	})
}

// Two replicas serve xDS; only the Lease holder writes status, and when it
// stops the other takes over (the time it took is logged, not asserted).
func TestLeaderWritesStatus(t *testing.T) {
	env := sharedEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := env.Namespace(t)
	weftNS := env.Namespace(t) // the replicas' own namespace, for the Lease
	replicas := map[string]*weftdReplica{}
	for _, id := range []string{"weftd-a", "weftd-b"} {
		replicas[id] = &weftdReplica{w: startWeftd(t, env, "--leader-elect=true", "--namespace="+weftNS, "--pod-name="+id)}
	}
	apply(t, env, deploymentYAML(ns, "v1", 1))
	a := newApp(t, env, ns, replicas["weftd-a"].w.XDSAddr, "10.244.4.")
	pod := a.run(ctx, "v1", 1)
	for _, r := range replicas {
		r.c = a.client(ctx, r.w.XDSAddr)
		_, err := grpcapp.WaitFor(ctx, r.c, grpcapp.AllOn(pod[0]))
		must(t, err)
	}

	apply(t, env, splitYAML(ns, "broken-1", map[string]int{"v9": 100}))
	leader := leaseHolder(t, env, weftNS)
	v := waitStatus(t, env, "virtualservice", ns, "broken-1", time.Minute, rejected)
	if got := v.statusManagers(); !slices.Equal(got, []string{kube.FieldManager(leader)}) {
		t.Fatalf("status written by %v, want only the leader %s", got, leader)
	}

	replicas[leader].w.Stop()
	follower := "weftd-a"
	if leader == follower {
		follower = "weftd-b"
	}
	stopped := time.Now()
	apply(t, env, splitYAML(ns, "broken-2", map[string]int{"v9": 100}))
	v = waitStatus(t, env, "virtualservice", ns, "broken-2", time.Minute, rejected)
	t.Logf("%s took over status writing %v after %s stopped", follower, time.Since(stopped), leader)
	if got := v.statusManagers(); !slices.Equal(got, []string{kube.FieldManager(follower)}) {
		t.Errorf("after failover status written by %v, want %s", got, follower)
	}
	if res := replicas[follower].c.Run(ctx, grpcapp.RunOptions{N: 100}); res.ByBackend[pod[0]] != 100 {
		t.Errorf("the remaining replica stopped serving xDS: %v", res)
	}
}

type weftdReplica struct {
	w *harness.Weftd
	c *grpcapp.Client
}

func rejected(v statusView) bool {
	c := v.accepted()
	return c != nil && c.Status == "False"
}

// leaseHolder waits (bounded) for the weftd-leader Lease to have a holder.
func leaseHolder(t *testing.T, env kubectlRunner, ns string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, err := env.Kubectl("get", "lease", "weftd-leader", "-n", ns, "-o", "jsonpath={.spec.holderIdentity}")
		if err == nil && out != "" {
			return out
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatal("no replica acquired the weftd-leader Lease within 30s")
	return ""
}

type kubectlRunner interface {
	Kubectl(args ...string) (string, error)
}
