package kube

import (
	"context"
	"errors"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// A credential Secret is watched from a proxy's first request: it reads
// as absent until listed, then follows updates and deletion; Secrets
// nobody asked for are not read.
func TestSecretsWatchOnlyWhatIsAsked(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	secret := func(ns, name, v string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{"tls.crt": []byte(v)}}
	}
	client := fake.NewClientset(secret("shop", "bank", "v1"), secret("shop", "other", "x"))
	changed := make(chan struct{}, 16)
	s := NewSecrets(ctx, client, nil, func() { changed <- struct{}{} })

	waitFor := func(want string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			d, ok := s.Secret("shop", "bank")
			if got := string(d["tls.crt"]); (want == "" && !ok) || (ok && got == want) {
				return
			}
			select {
			case <-changed:
			case <-deadline:
				t.Fatalf("shop/bank never became %q (now %v %v)", want, d, ok)
			}
		}
	}
	waitFor("v1")
	if _, err := client.CoreV1().Secrets("shop").Update(ctx, secret("shop", "bank", "v2"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor("v2")
	if err := client.CoreV1().Secrets("shop").Delete(ctx, "bank", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor("")

	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.watched) != 1 {
		t.Errorf("watching %d Secrets, want only the one asked for", len(s.watched))
	}
}

// Key material goes only to a workload allowed to list its namespace's
// Secrets (istiod's SubjectAccessReview); failing to ask denies.
func TestSecretsAuthorize(t *testing.T) {
	client := fake.NewClientset()
	client.PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		sar := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SubjectAccessReview)
		attrs := sar.Spec.ResourceAttributes
		switch {
		case sar.Spec.User == "system:serviceaccount:shop:broken":
			return true, nil, errors.New("forbidden")
		case attrs.Verb != "list" || attrs.Resource != "secrets" || attrs.Namespace != "shop":
			t.Errorf("review asks %+v", attrs)
		}
		sar.Status.Allowed = sar.Spec.User == "system:serviceaccount:shop:gateway"
		return true, sar, nil
	})
	s := NewSecrets(context.Background(), client, nil, func() {})
	for sa, allowed := range map[string]bool{"gateway": true, "web": false, "broken": false} {
		if err := s.Authorize("shop", sa); (err == nil) != allowed {
			t.Errorf("Authorize(shop, %s) = %v, want allowed %v", sa, err, allowed)
		}
	}
}
