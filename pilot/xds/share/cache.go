package share

import (
	"sync"
	"sync/atomic"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// Cache holds the parts built from one mesh version.
type Cache struct {
	mesh   *mesh.Mesh
	mu     sync.Mutex
	parts  map[partKey]*entry
	builds atomic.Int64
}

type partKey struct{ typeURL, key string }

// entry is one part, built once by whichever caller gets there first.
type entry struct {
	once sync.Once
	part *Part
}

// NewCache returns an empty cache for m.
func NewCache(m *mesh.Mesh) *Cache {
	return &Cache{mesh: m, parts: map[partKey]*entry{}}
}

// Part returns the part for s, building it on first use; concurrent
// callers with the same key wait for that one build.
func (c *Cache) Part(s Spec) *Part {
	k := partKey{s.TypeURL, s.Key}
	c.mu.Lock()
	e, ok := c.parts[k]
	if !ok {
		e = &entry{}
		c.parts[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		c.builds.Add(1)
		var deg build.Degradations
		e.part = NewPart(s.TypeURL, s.Build(&deg), deg)
	})
	return e.part
}

// Builds counts the parts built so far (distinct views, not proxies).
func (c *Cache) Builds() int64 { return c.builds.Load() }

// Store hands out the cache for the current mesh, replacing it when the
// mesh changes so parts of an older version are never mixed in.
type Store struct {
	cur atomic.Pointer[Cache]
}

// For returns the cache of m.
func (s *Store) For(m *mesh.Mesh) *Cache {
	for {
		c := s.cur.Load()
		if c != nil && c.mesh == m {
			return c
		}
		n := NewCache(m)
		if s.cur.CompareAndSwap(c, n) {
			return n
		}
	}
}
