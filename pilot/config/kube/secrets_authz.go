package kube

import (
	"context"
	"fmt"
	"sync"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Authorization of key material, as istiod: a proxy gets a credential's
// certificate and key only if its service account may list the Secrets of
// its namespace itself (a SubjectAccessReview). weftd fails closed: without
// permission to create SubjectAccessReviews it serves no keys.
const (
	authzAllowedTTL = 5 * time.Minute // access need not be revoked quickly
	authzDeniedTTL  = time.Minute
)

type authzEntry struct {
	err     error
	expires time.Time
}

type authzCache struct {
	mu      sync.Mutex
	entries map[string]authzEntry
}

// Authorize reports whether namespace/serviceAccount may list Secrets in
// namespace.
func (s *Secrets) Authorize(namespace, serviceAccount string) error {
	user := "system:serviceaccount:" + namespace + ":" + serviceAccount
	if err, ok := s.authz.get(user); ok {
		return err
	}
	err := s.review(namespace, user)
	s.authz.put(user, err)
	return err
}

func (s *Secrets) review(namespace, user string) error {
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: user,
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: namespace, Verb: "list", Resource: "secrets"}}}
	resp, err := s.client.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("subject access review for %s: %w", user, err)
	}
	if !resp.Status.Allowed {
		return fmt.Errorf("%s may not list secrets in %s: %s", user, namespace, resp.Status.Reason)
	}
	return nil
}

func (c *authzCache) get(user string) (error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[user]
	if !ok || time.Now().After(e.expires) {
		return nil, false
	}
	return e.err, true
}

func (c *authzCache) put(user string, err error) {
	ttl := authzAllowedTTL
	if err != nil {
		ttl = authzDeniedTTL
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]authzEntry{}
	}
	for u, e := range c.entries { // bounded by the service accounts asking
		if time.Now().After(e.expires) {
			delete(c.entries, u)
		}
	}
	c.entries[user] = authzEntry{err: err, expires: time.Now().Add(ttl)}
}
