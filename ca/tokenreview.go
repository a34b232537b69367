package ca

import (
	"context"
	"fmt"
	"slices"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/weftmesh/weft/contract"
)

// DefaultAudience is the audience istio-agent requests for its CA token
// (Istio's "istio-ca"), so existing sidecar injection templates work.
const DefaultAudience = contract.TokenAudience

// TokenReviewAuthenticator checks service-account tokens with the API
// server's TokenReview: it verifies the signature, expiry, audience and that
// the ServiceAccount (and a bound Pod or Secret) still exists, which a local
// JWT check could not.
type TokenReviewAuthenticator struct {
	client    kubernetes.Interface
	audiences []string
	cache     *reviewCache
}

// NewTokenReviewAuthenticator reviews tokens for any of audiences
// (default DefaultAudience).
func NewTokenReviewAuthenticator(client kubernetes.Interface, audiences ...string) *TokenReviewAuthenticator {
	if len(audiences) == 0 {
		audiences = []string{DefaultAudience}
	}
	return &TokenReviewAuthenticator{client: client, audiences: audiences, cache: newReviewCache(reviewCacheSize, time.Now)}
}

// Authenticate implements Authenticator.
func (a *TokenReviewAuthenticator) Authenticate(ctx context.Context) (Identity, error) {
	token, err := BearerToken(ctx)
	if err != nil {
		return Identity{}, err
	}
	if id, ok := a.cache.get(token); ok {
		return id, nil
	}
	review := &authnv1.TokenReview{Spec: authnv1.TokenReviewSpec{Token: token, Audiences: a.audiences}}
	res, err := a.client.AuthenticationV1().TokenReviews().Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		// Not the caller's fault: no ErrUnauthenticated, so it maps to Unavailable.
		return Identity{}, fmt.Errorf("token review: %w", err)
	}
	id, err := a.identity(res.Status)
	if err == nil {
		a.cache.put(token, id) // only successes: a rejected token is reviewed again
	}
	return id, err
}

// identity turns a TokenReview status into the caller's identity. The
// audience check repeats the API server's on purpose: an API server that
// ignored spec.audiences would otherwise let any token in.
func (a *TokenReviewAuthenticator) identity(st authnv1.TokenReviewStatus) (Identity, error) {
	if !st.Authenticated {
		reason := st.Error
		if reason == "" {
			reason = "token not authenticated"
		}
		return Identity{}, fmt.Errorf("%w: %s", ErrUnauthenticated, reason)
	}
	if !slices.ContainsFunc(st.Audiences, func(aud string) bool { return slices.Contains(a.audiences, aud) }) {
		return Identity{}, fmt.Errorf("%w: token audiences %q do not include %q", ErrUnauthenticated, st.Audiences, a.audiences)
	}
	id, err := IdentityFromUsername(st.User.Username)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrUnauthenticated, err)
	}
	return id, nil
}
