package share

import (
	"sync/atomic"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// Cache holds the parts built from one mesh version.
type Cache struct {
	mesh   *mesh.Mesh
	parts  cache
	builds atomic.Int64
}

// NewCache returns an empty cache for m.
func NewCache(m *mesh.Mesh) *Cache {
	return &Cache{mesh: m, parts: cache{parts: map[partKey]*entry{}}}
}

// Mesh is the mesh version the cache's parts were built from.
func (c *Cache) Mesh() *mesh.Mesh { return c.mesh }

// Part returns the part for s, building it on first use; concurrent
// callers with the same key wait for that one build.
func (c *Cache) Part(s Spec) *Part {
	k := partKey{s.TypeURL, s.Key}
	c.parts.mu.Lock()
	e, ok := c.parts.parts[k]
	if !ok {
		e = &entry{}
		c.parts.parts[k] = e
	}
	c.parts.mu.Unlock()
	e.once.Do(func() {
		c.builds.Add(1)
		var deg build.Degradations
		e.part = NewPart(s.TypeURL, s.Build(&deg), deg)
	})
	return e.part
}

// Builds counts the parts built so far (distinct views, not proxies).
func (c *Cache) Builds() int64 { return c.builds.Load() }

// Len is the number of distinct parts held.
func (c *Cache) Len() int {
	c.parts.mu.Lock()
	defer c.parts.mu.Unlock()
	return len(c.parts.parts)
}

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
