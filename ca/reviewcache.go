package ca

import (
	"container/list"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
)

// Client-side rate limits for the CA's TokenReviews: client-go's default
// (5/s, burst 10) throttles a rollout to 5 certificates/s per replica.
const (
	TokenReviewQPS   = 2000
	TokenReviewBurst = 4000
)

// TokenReviewConfig is cfg with rate limits fit for the CA: every new pod
// costs one TokenReview.
func TokenReviewConfig(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.QPS, c.Burst = TokenReviewQPS, TokenReviewBurst
	return c
}

// Bounds of the review cache. A cached review outlives a deletion of the
// pod or ServiceAccount by at most reviewMaxAge; it ends reviewExpirySkew
// before the token itself expires.
const (
	reviewCacheSize  = 10000
	reviewMaxAge     = 5 * time.Minute
	reviewExpirySkew = 30 * time.Second
)

// reviewCache remembers successful TokenReviews by token hash, so an agent
// retrying or renewing with the same token does not cost another review.
// Only hashes are kept: the cache never holds a usable credential.
type reviewCache struct {
	mu    sync.Mutex
	now   func() time.Time
	max   int
	order *list.List // front: newest; values are *reviewEntry
	byKey map[[32]byte]*list.Element
}

type reviewEntry struct {
	key     [32]byte
	id      Identity
	expires time.Time
}

func newReviewCache(max int, now func() time.Time) *reviewCache {
	return &reviewCache{now: now, max: max, order: list.New(), byKey: map[[32]byte]*list.Element{}}
}

// get returns the identity a still-fresh review gave token.
func (c *reviewCache) get(token string) (Identity, bool) {
	key := sha256.Sum256([]byte(token))
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return Identity{}, false
	}
	e := el.Value.(*reviewEntry)
	if !c.now().Before(e.expires) {
		c.remove(el)
		return Identity{}, false
	}
	return e.id, true
}

// put caches a successful review until shortly before the token expires
// (its exp claim, which the review has just verified), at most reviewMaxAge.
func (c *reviewCache) put(token string, id Identity) {
	expires := c.now().Add(reviewMaxAge)
	if exp, ok := tokenExpiry(token); ok && exp.Add(-reviewExpirySkew).Before(expires) {
		expires = exp.Add(-reviewExpirySkew)
	}
	if !c.now().Before(expires) {
		return
	}
	key := sha256.Sum256([]byte(token))
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		c.remove(el)
	}
	c.byKey[key] = c.order.PushFront(&reviewEntry{key: key, id: id, expires: expires})
	for c.order.Len() > c.max {
		c.remove(c.order.Back())
	}
}

func (c *reviewCache) remove(el *list.Element) {
	delete(c.byKey, el.Value.(*reviewEntry).key)
	c.order.Remove(el)
}

func (c *reviewCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// tokenExpiry reads a JWT's exp claim without verifying anything: it is
// called only on tokens the API server has just authenticated.
func tokenExpiry(token string) (time.Time, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp *float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == nil {
		return time.Time{}, false
	}
	return time.Unix(int64(*claims.Exp), 0), true
}
