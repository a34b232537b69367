package ca

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/metadata"
)

// Authenticator tells who is calling. Implementations read the caller's
// credential from ctx (gRPC metadata) and return the workload identity the
// certificate will carry; the CSR has no say in it.
type Authenticator interface {
	Authenticate(ctx context.Context) (Identity, error)
}

// ErrUnauthenticated marks a missing, malformed, expired or rejected
// credential; the server maps it to codes.Unauthenticated. Other errors (the
// API server is down) are reported as Unavailable, so clients retry.
var ErrUnauthenticated = errors.New("unauthenticated")

// BearerToken returns the token of the "authorization: Bearer <token>"
// metadata that istio-agent and weft-agent send.
func BearerToken(ctx context.Context) (string, error) {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return "", fmt.Errorf("%w: no request metadata", ErrUnauthenticated)
	}
	values := md.Get("authorization")
	if len(values) == 0 {
		return "", fmt.Errorf("%w: no authorization metadata (want \"Bearer <service-account token>\")", ErrUnauthenticated)
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", fmt.Errorf("%w: authorization metadata is not \"Bearer <token>\"", ErrUnauthenticated)
	}
	return strings.TrimSpace(token), nil
}

// StaticTokens authenticates bearer tokens from a fixed table. It is for file
// mode and tests, where there is no API server to review tokens; Kubernetes
// mode always uses TokenReview.
type StaticTokens map[string]Identity

// Authenticate implements Authenticator.
func (s StaticTokens) Authenticate(ctx context.Context) (Identity, error) {
	token, err := BearerToken(ctx)
	if err != nil {
		return Identity{}, err
	}
	// Compare every entry in constant time so response timing does not
	// reveal how much of a guessed token matched.
	var found Identity
	var ok bool
	for t, id := range s {
		if subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 {
			found, ok = id, true
		}
	}
	if !ok {
		return Identity{}, fmt.Errorf("%w: unknown token", ErrUnauthenticated)
	}
	return found, nil
}
