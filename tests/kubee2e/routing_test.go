package kubee2e

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/weftmesh/weft/internal/grpcapp"
)

// kubectl apply of mesh policy changes live routing: 90/10, then 50/50
// (how long that takes is logged, not asserted), delete back to plain
// round-robin, and a pod relabelled to another version moves to that subset.
func TestKubectlApplyRouting(t *testing.T) {
	env := sharedEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := env.Namespace(t)
	w := startWeftd(t, env, "--leader-elect=false")
	apply(t, env, deploymentYAML(ns, "v1", 1)+"---\n"+deploymentYAML(ns, "v2", 1))
	a := newApp(t, env, ns, w.XDSAddr, "10.244.1.")
	v1, v2 := a.run(ctx, "v1", 1), a.run(ctx, "v2", 1)
	c := a.client(ctx, w.XDSAddr)
	// Both pods in rotation before any policy: a client still connecting to
	// its second pod sends it a small share that would pass for 90/10.
	roundRobin(ctx, t, c, v1[0], v2[0])
	apply(t, env, destinationRuleYAML(ns, "v1", "v2")+"---\n"+splitYAML(ns, "reviews", map[string]int{"v1": 90, "v2": 10}))

	t.Run("90/10", func(t *testing.T) {
		// Until the VirtualService arrives the client round-robins (50%).
		_, err := grpcapp.WaitForWith(ctx, c, grpcapp.And(grpcapp.AllSucceed(), shareBetween(v2, 0.01, 0.25)),
			grpcapp.WaitOptions{Batch: grpcapp.RunOptions{N: 200, Concurrency: 8}})
		must(t, err)
		res := c.Run(ctx, grpcapp.RunOptions{N: 2000, Concurrency: 8})
		if got := 100 * share(res, v2); res.OK() != 2000 || math.Abs(got-10) > 2.5 {
			t.Errorf("v2 share %.1f%% (%v), want 10%% ± 2.5 with no failures", got, res)
		}
	})
	t.Run("50/50", func(t *testing.T) {
		applied := time.Now()
		apply(t, env, splitYAML(ns, "reviews", map[string]int{"v1": 50, "v2": 50}))
		// 200 calls at 90/10 land ≥ 35% on v2 with negligible probability.
		_, err := grpcapp.WaitForWith(ctx, c, grpcapp.And(grpcapp.AllSucceed(), shareBetween(v2, 0.35, 0.65)),
			grpcapp.WaitOptions{Batch: grpcapp.RunOptions{N: 200, Concurrency: 8}})
		must(t, err)
		t.Logf("50/50 observed %v after kubectl apply (logged, not asserted)", time.Since(applied).Round(time.Millisecond))
		res := c.Run(ctx, grpcapp.RunOptions{N: 1000, Concurrency: 8})
		if got := 100 * share(res, v2); res.OK() != 1000 || math.Abs(got-50) > 5 {
			t.Errorf("after the 50/50 apply: v2 share %.1f%% (%v), want 50%% ± 5", got, res)
		}
	})
	t.Run("delete restores round-robin", func(t *testing.T) {
		apply(t, env, splitYAML(ns, "reviews", map[string]int{"v1": 100}))
		_, err := grpcapp.WaitFor(ctx, c, grpcapp.AllOn(v1[0]))
		must(t, err)
		kubectl(t, env, "delete", "virtualservice", "reviews", "-n", ns)
		_, err = grpcapp.WaitFor(ctx, c, grpcapp.SeesAll(v1[0], v2[0]))
		must(t, err)
		res := c.Run(ctx, grpcapp.RunOptions{N: 1000, Concurrency: 8})
		if got := 100 * share(res, v2); res.OK() != 1000 || math.Abs(got-50) > 5 {
			t.Errorf("round-robin over 2 pods: v2 share %.1f%% (%v), want 50%% ± 5", got, res)
		}
	})
	t.Run("relabelled pod changes subset", func(t *testing.T) {
		apply(t, env, splitYAML(ns, "reviews", map[string]int{"v2": 100}))
		_, err := grpcapp.WaitFor(ctx, c, grpcapp.AllOn(v2[0]))
		must(t, err)
		kubectl(t, env, "label", "pod", v1[0], "-n", ns, "version=v2", "--overwrite")
		_, err = grpcapp.WaitFor(ctx, c, grpcapp.And(grpcapp.AllSucceed(), grpcapp.SeesAll(v1[0], v2[0])))
		must(t, err)
	})
}

// Scaling a Deployment from 2 to 5 ready pods puts the new pods in rotation.
func TestScaleDeployment(t *testing.T) {
	env := sharedEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := env.Namespace(t)
	w := startWeftd(t, env, "--leader-elect=false")
	apply(t, env, deploymentYAML(ns, "v1", 2))
	a := newApp(t, env, ns, w.XDSAddr, "10.244.2.")
	first := a.run(ctx, "v1", 2)
	c := a.client(ctx, w.XDSAddr)
	_, err := grpcapp.WaitFor(ctx, c, grpcapp.And(grpcapp.AllSucceed(), grpcapp.SeesAll(first...)))
	must(t, err)

	kubectl(t, env, "scale", "deployment", "reviews-v1", "-n", ns, "--replicas=5")
	all := a.run(ctx, "v1", 5)
	if len(all) != 5 {
		t.Fatalf("want 5 ready pods, got %v", all)
	}
	_, err = grpcapp.WaitFor(ctx, c, grpcapp.And(grpcapp.AllSucceed(), grpcapp.SeesAll(all...)))
	must(t, err)
}

// outage is how long the API server stays down in TestAPIServerOutage: past
// the reflector backoff's growth to its 30 s cap.
const outage = 30 * time.Second

// weftd rides out a 30 s API server outage: traffic keeps its routing, and
// the first change after the API server returns reaches the proxies within
// 5 s (client-go's own backoff alone took 25 s).
func TestAPIServerOutage(t *testing.T) {
	env := privateEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := env.Namespace(t)
	w := startWeftd(t, env, "--leader-elect=false")
	apply(t, env, deploymentYAML(ns, "v1", 1)+"---\n"+deploymentYAML(ns, "v2", 1))
	a := newApp(t, env, ns, w.XDSAddr, "10.244.3.")
	v1, v2 := a.run(ctx, "v1", 1), a.run(ctx, "v2", 1)
	c := a.client(ctx, w.XDSAddr)
	roundRobin(ctx, t, c, v1[0], v2[0])
	apply(t, env, destinationRuleYAML(ns, "v1", "v2")+"---\n"+splitYAML(ns, "reviews", map[string]int{"v1": 100}))
	_, err := grpcapp.WaitFor(ctx, c, grpcapp.AllOn(v1[0]))
	must(t, err)

	env.StopAPIServer(t)
	down := time.Now()
	if res := c.Run(ctx, grpcapp.RunOptions{N: 200, Concurrency: 4}); res.ByBackend[v1[0]] != 200 {
		t.Fatalf("during the API server outage routing changed or failed: %v", res)
	}
	<-time.After(time.Until(down.Add(outage))) // the outage itself, not a wait for a condition
	env.StartAPIServer(t)
	apply(t, env, splitYAML(ns, "reviews", map[string]int{"v2": 100}))
	applied := time.Now()
	within, stop := context.WithTimeout(ctx, 5*time.Second)
	defer stop()
	if _, err = grpcapp.WaitFor(within, c, grpcapp.AllOn(v2[0])); err != nil {
		t.Fatalf("the first change after a %v outage did not reach the proxy within 5s of kubectl apply: %v", outage, err)
	}
	t.Logf("first change after the outage observed %v after kubectl apply", time.Since(applied).Round(time.Millisecond))
	select {
	case <-w.Exited():
		t.Fatal("weftd exited during the API server outage")
	default:
	}
	if strings.Contains(w.Logs(), "level=ERROR msg=\"config source") {
		t.Error("weftd's config source failed during the outage")
	}
}

// shareBetween holds when the pods' share of a sample is within [lo, hi].
func shareBetween(pods []string, lo, hi float64) grpcapp.Predicate {
	return func(r grpcapp.Result) bool {
		s := share(r, pods)
		return s >= lo && s <= hi
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// roundRobin waits until the client reaches every pod, so a later share or
// all-on-one-pod condition can only come from applied policy.
func roundRobin(ctx context.Context, t *testing.T, c *grpcapp.Client, pods ...string) {
	t.Helper()
	_, err := grpcapp.WaitFor(ctx, c, grpcapp.And(grpcapp.AllSucceed(), grpcapp.SeesAll(pods...)))
	must(t, err)
}
