package share

import (
	"sync"
	"sync/atomic"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// Cache holds the parts built from one mesh version. Parts are counted by
// the proxies holding them and dropped when the last lets go, so views no
// connected proxy uses do not accumulate (a client can make up views).
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
	// refs counts holders (Acquire) and builders in progress; atomic, as
	// an entry inherited by the next version's cache is counted from both.
	refs atomic.Int64
	// routeFree is the Spec's RouteFree, set before the entry is shared.
	routeFree bool
}

// NewCache returns an empty cache for m.
func NewCache(m *mesh.Mesh) *Cache {
	return &Cache{mesh: m, parts: map[partKey]*entry{}}
}

func (c *Cache) built(e *entry, s Spec) *Part {
	e.once.Do(func() {
		c.builds.Add(1)
		var deg build.Degradations
		e.part = NewPart(s.TypeURL, s.Build(&deg), deg)
	})
	return e.part
}

// ref finds or makes the entry for s and counts one more holder.
func (c *Cache) ref(k partKey, s Spec) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.parts[k]
	if !ok {
		e = &entry{routeFree: s.RouteFree}
		c.parts[k] = e
	}
	e.refs.Add(1)
	return e
}

// unref counts one holder less and forgets the entry with the last.
func (c *Cache) unref(k partKey, e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.refs.Add(-1) == 0 && c.parts[k] == e {
		delete(c.parts, k)
	}
}

// Held is the parts one proxy holds in a cache; Release lets go of them.
type Held struct {
	c    *Cache
	keys []partKey
	ents []*entry
}

// Acquire resolves specs through the cache and holds each part until the
// returned Held is released.
func (c *Cache) Acquire(specs []Spec) ([]*Part, *Held) {
	h := &Held{c: c}
	out := make([]*Part, 0, len(specs))
	for _, s := range specs {
		k := partKey{s.TypeURL, s.Key}
		e := c.ref(k, s)
		h.keys, h.ents = append(h.keys, k), append(h.ents, e)
		out = append(out, c.built(e, s))
	}
	return out, h
}

// Release lets go of the parts; nil is a no-op.
func (h *Held) Release() {
	if h == nil {
		return
	}
	for i, k := range h.keys {
		h.c.unref(k, h.ents[i])
	}
	h.keys, h.ents = nil, nil
}

// Len is the number of parts cached now.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.parts)
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
		n.inherit(c)
		if s.cur.CompareAndSwap(c, n) {
			return n
		}
	}
}

// Mesh is the mesh the cache's parts are built from.
func (c *Cache) Mesh() *mesh.Mesh { return c.mesh }

// inherit takes over from prev the parts proxies hold of the types this
// cache's mesh says are unchanged since prev's (SameClustersAs: clusters
// and endpoints; SameListenersAs: listeners): a weight change then builds
// routes alone.
func (c *Cache) inherit(prev *Cache) {
	if prev == nil || c.mesh == nil || prev.mesh == nil {
		return
	}
	same := map[string]bool{}
	if v := c.mesh.SameClustersAs; v != "" && v == prev.mesh.Version {
		same[resource.ClusterType], same[resource.EndpointType] = true, true
	}
	if v := c.mesh.SameListenersAs; v != "" && v == prev.mesh.Version {
		same[resource.ListenerType] = true
	}
	if len(same) == 0 {
		return
	}
	prev.mu.Lock()
	defer prev.mu.Unlock()
	for k, e := range prev.parts {
		if same[k.typeURL] && e.routeFree && e.refs.Load() > 0 {
			c.parts[k] = e // the holders' counts carry over with the entry
		}
	}
}
