package ca

import (
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
	"time"
)

// jwtWithExp is a token shaped like a JWT whose payload has exp; the cache
// reads only that claim (the signature was the API server's to check).
func jwtWithExp(exp time.Time, salt string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"ES256"}`)) + "." +
		enc.EncodeToString([]byte(fmt.Sprintf(`{"exp":%d,"jti":%q}`, exp.Unix(), salt))) + ".sig"
}

func TestReviewCacheLifetime(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	id := Identity{Namespace: "ns", ServiceAccount: "sa"}
	cases := []struct {
		name    string
		token   string
		fresh   time.Duration // still cached this long after put
		expired time.Duration // gone this long after put
	}{
		{"ends before the token expires", jwtWithExp(clock.now().Add(2*time.Minute), "a"), 89 * time.Second, 90 * time.Second},
		{"bounded by the maximum age", jwtWithExp(clock.now().Add(time.Hour), "b"), reviewMaxAge - time.Second, reviewMaxAge},
		{"no exp claim: maximum age", "opaque-token", reviewMaxAge - time.Second, reviewMaxAge},
		{"about to expire: not cached", jwtWithExp(clock.now().Add(20*time.Second), "c"), -1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := clock.now()
			c := newReviewCache(10, func() time.Time { return start })
			c.put(tc.token, id)
			at := func(d time.Duration) bool {
				c.now = func() time.Time { return start.Add(d) }
				_, ok := c.get(tc.token)
				return ok
			}
			if tc.fresh >= 0 && !at(tc.fresh) {
				t.Errorf("not cached %v after the review", tc.fresh)
			}
			if at(tc.expired) {
				t.Errorf("still cached %v after the review", tc.expired)
			}
		})
	}
}

// The cache holds at most its size, dropping the oldest review first.
func TestReviewCacheIsBounded(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := newReviewCache(3, func() time.Time { return now })
	for i := range 5 {
		c.put(fmt.Sprintf("token-%d", i), Identity{Namespace: "ns", ServiceAccount: fmt.Sprint(i)})
	}
	if c.len() != 3 {
		t.Fatalf("cache holds %d reviews, want 3", c.len())
	}
	for i, want := range []bool{false, false, true, true, true} {
		if _, ok := c.get(fmt.Sprintf("token-%d", i)); ok != want {
			t.Errorf("token-%d cached=%v, want %v", i, ok, want)
		}
	}
}

// The key is checked before the signature: a CSR with a key weft would
// never sign is refused for its key even when its signature is bad too,
// so a huge RSA key costs no signature check.
func TestParseCSRChecksKeyBeforeSignature(t *testing.T) {
	block, _ := pem.Decode(csrPEM(t, rsaKey(t, 1024), ""))
	der := append([]byte(nil), block.Bytes...)
	der[len(der)-3] ^= 0xff // inside the signature
	_, err := ParseCSR(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	if err == nil || !strings.Contains(err.Error(), "RSA key of 1024 bits") {
		t.Fatalf("got %v, want the key size refused before the signature is checked", err)
	}
}
