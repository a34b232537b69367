package server

import (
	"sync"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds/share"
)

// rejections logs each generated resource left out for failing
// validation once, not once per view and push: it remembers what the
// previous mesh version rejected, as logNewDiagnostics does for warnings.
type rejections struct {
	mu        sync.Mutex
	mesh      *mesh.Mesh
	prev, cur map[string]bool
}

// fresh returns the rejections of parts not yet reported for m or the
// mesh before it, and marks them reported.
func (r *rejections) fresh(m *mesh.Mesh, parts []*share.Part) []share.Rejection {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mesh != m {
		r.mesh, r.prev, r.cur = m, r.cur, map[string]bool{}
	}
	var out []share.Rejection
	for _, p := range parts {
		for _, rj := range p.Rejected {
			k := rj.TypeURL + "\x00" + rj.Name + "\x00" + rj.Err.Error()
			if !r.cur[k] && !r.prev[k] {
				out = append(out, rj)
			}
			r.cur[k] = true
		}
	}
	return out
}

// reportRejections logs and counts the resources left out of a proxy's
// configuration; the proxy still receives everything else.
func (s *Server) reportRejections(ps *proxyState, m *mesh.Mesh, parts []*share.Part) {
	if !hasRejections(parts) {
		return
	}
	s.metrics.generateErrors.Inc()
	for _, rj := range s.rejected.fresh(m, parts) {
		s.metrics.rejected.WithLabelValues(shortType(rj.TypeURL)).Inc()
		s.log.Error("generated resource failed validation; left out, the rest of the config is served",
			"type", shortType(rj.TypeURL), "resource", rj.Name, "proxy", ps.Proxy().ID, "err", rj.Err)
	}
}

func hasRejections(parts []*share.Part) bool {
	for _, p := range parts {
		if len(p.Rejected) > 0 {
			return true
		}
	}
	return false
}
