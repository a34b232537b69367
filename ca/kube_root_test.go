package ca

import (
	"context"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestRootSurvivesRestart: a new CA instance on the same Secret (weftd
// restarted, or another replica) signs with the same root and key.
func TestRootSurvivesRestart(t *testing.T) {
	env := kubeEnv(t)
	ns := env.Namespace(t)
	first := newKubeCA(t, env, ns, nil).Authority().Material()
	second := newKubeCA(t, env, ns, nil).Authority().Material()
	if !first.Cert.Equal(second.Cert) || !publicKeysEqual(first.Key.Public(), second.Key.Public()) {
		t.Fatal("restart produced a different root")
	}
	sec, err := env.Client.CoreV1().Secrets(ns).Get(context.Background(), DefaultRootSecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{keyCACert, keyCAKey, keyRootCert} {
		if len(sec.Data[k]) == 0 {
			t.Errorf("secret lacks %s", k)
		}
	}
}

// TestRacingReplicasShareOneRoot: replicas starting at once on an empty
// namespace all end up with the root of the one Create that won.
func TestRacingReplicasShareOneRoot(t *testing.T) {
	env := kubeEnv(t)
	ns := env.Namespace(t)
	const replicas = 6
	roots := make([]*Material, replicas)
	errs := make([]error, replicas)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			<-start
			s, err := New(context.Background(), Options{Kube: env.Client, Namespace: ns, DisableRootConfigMaps: true})
			if errs[i] = err; err == nil {
				roots[i] = s.Authority().Material()
			}
		})
	}
	close(start)
	wg.Wait()
	persisted, _, err := (&secretStore{client: env.Client, namespace: ns, name: DefaultRootSecretName}).load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range replicas {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		if !roots[i].Cert.Equal(persisted.Current.Cert) {
			t.Fatalf("replica %d signs with a root that is not the persisted one", i)
		}
	}
}

// TestCreateConflictUsesWinner forces the losing side of the race: another
// replica creates the Secret between our Get (NotFound) and our Create.
func TestCreateConflictUsesWinner(t *testing.T) {
	env := kubeEnv(t)
	ns := env.Namespace(t)
	ctx := context.Background()
	store := &secretStore{client: env.Client, namespace: ns, name: DefaultRootSecretName}
	src := &secretSource{store: store, now: time.Now,
		plan: rotationPlan{opts: RotationOptions{}.withDefaults(), maxTTL: DefaultMaxTTL, trustDomain: DefaultTrustDomain}}
	var winner *RootState
	loser, _, err := store.loadOrCreate(ctx, func() (*RootState, error) {
		w, _, err := store.loadOrCreate(ctx, src.newState) // the other replica wins
		if err != nil {
			return nil, err
		}
		winner = w
		return src.newState() // our own root, which must lose
	})
	if err != nil {
		t.Fatal(err)
	}
	if !loser.Current.Cert.Equal(winner.Current.Cert) {
		t.Fatal("the replica that lost the Create must use the winner's root")
	}
}
