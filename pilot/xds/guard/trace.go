package guard

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/translate"
)

const (
	// maxRounds bounds how often a mesh is traced again after leaving
	// resources out (one more bad resource may hide behind another).
	maxRounds = 4
	// maxTrials bounds the translations spent tracing one round; failures
	// left untraced are still left out by the server (share.Part).
	maxTrials = 256
)

// trialCount counts trial translations, for tests.
var trialCount atomic.Int64

// GuardedKinds are the kinds a rejecting diagnostic can name.
var GuardedKinds = []string{"VirtualService", "DestinationRule", "ServiceEntry", "PeerAuthentication", "Sidecar"}

// Translate is translate.Translate as weftd serves it: VirtualService
// rules Envoy would refuse are left out (Apply); then every cluster, its
// endpoints and the sidecar listeners are built and validated, each one
// that fails is traced to the resource without which it is valid
// (DestinationRule or ServiceEntry for clusters; PeerAuthentication,
// Sidecar or ServiceEntry for listeners), and the mesh is translated again
// without those resources, each named by a rejecting diagnostic. Every
// other resource keeps flowing.
func Translate(s *config.Snapshot, version string, opts translate.Options) *mesh.Mesh {
	m := translated(s, version, opts)
	var rejected []mesh.Diagnostic
	inputs, lisInputs := checkInputs(s)
	for round := range maxRounds {
		same, sameLis := "", ""
		if round == 0 {
			same, sameLis = cleanClusters.passed(inputs), cleanListeners.passed(lisInputs)
		}
		failures := checkOutput(m, serviceEntryHosts(s), same == "", sameLis == "")
		if round == 0 {
			m.SameClustersAs, m.SameListenersAs = rememberClean(m, failures, inputs, lisInputs, same, sameLis)
		}
		culprits := trace(s, version, opts, failures)
		if len(culprits) == 0 {
			break
		}
		s = without(s, culprits)
		rejected = append(rejected, culprits...)
		m = translated(s, version, opts)
	}
	m.Diagnostics = append(m.Diagnostics, rejected...)
	suspects.remember(rejected)
	return m
}

// rememberClean records what passed in the first round's check, and
// returns the earlier versions whose clusters and listeners m may reuse.
func rememberClean(m *mesh.Mesh, failures []failure, inputs, lisInputs *config.Snapshot, same, sameLis string) (string, string) {
	clusters, listeners := hasFailure(failures, false), hasFailure(failures, true)
	if !clusters {
		cleanClusters.remember(inputs, m)
	} else {
		same = ""
	}
	if !listeners {
		cleanListeners.remember(lisInputs, m)
	} else {
		sameLis = ""
	}
	return same, sameLis
}

// suspects are the resources left out by the last Translate: a bad
// resource usually stays for many pushes, so it is tried first rather
// than after every other candidate. Only the order of trials depends on it.
var suspects suspectSet

type suspectSet struct {
	mu   sync.Mutex
	keys map[config.Key]bool
}

func (s *suspectSet) remember(diags []mesh.Diagnostic) {
	keys := make(map[config.Key]bool, len(diags))
	for _, d := range diags {
		keys[config.Key{Kind: d.Ref.Kind, Namespace: d.Ref.Namespace, Name: d.Ref.Name}] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = keys
}

// first moves the remembered suspects ahead within each run of one kind:
// the kinds' order (the more specific first) decides who is blamed, so it
// stays.
func (s *suspectSet) first(keys []config.Key) []config.Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]config.Key, 0, len(keys))
	for start := 0; start < len(keys); {
		end := start + 1
		for end < len(keys) && keys[end].Kind == keys[start].Kind {
			end++
		}
		run := keys[start:end]
		for _, suspect := range []bool{true, false} {
			for _, k := range run {
				if s.keys[k] == suspect {
					out = append(out, k)
				}
			}
		}
		start = end
	}
	return out
}

func translated(s *config.Snapshot, version string, opts translate.Options) *mesh.Mesh {
	m := translate.TranslateWith(s, version, opts)
	Apply(m)
	return m
}

// trace finds, for each failure in turn, the first candidate resource
// whose removal (with the culprits found before it) makes it valid, and
// returns one diagnostic per culprit. A failure the earlier culprits
// already fix is skipped.
func trace(s *config.Snapshot, version string, opts translate.Options, failures []failure) []mesh.Diagnostic {
	var out []mesh.Diagnostic
	traced := map[string]bool{} // the same bad output, built for several proxies
	trials := 0
	fixedWith := func(f failure, extra ...mesh.Diagnostic) bool {
		trials++
		trialCount.Add(1)
		return !stillFails(translated(without(s, append(slices.Clone(out), extra...)), version, opts), f)
	}
	for _, f := range failures {
		id := f.typ + " " + f.name + ": " + f.err.Error()
		if traced[id] || trials >= maxTrials {
			continue
		}
		traced[id] = true
		if len(out) > 0 && fixedWith(f) {
			continue
		}
		for _, key := range suspects.first(candidates(s, f)) {
			if trials >= maxTrials {
				break
			}
			if fixedWith(f, mesh.Diagnostic{Ref: refOf(key)}) {
				out = append(out, rejection(key, f))
				break
			}
		}
	}
	return out
}

func rejection(key config.Key, f failure) mesh.Diagnostic {
	return mesh.Diagnostic{Ref: refOf(key), Field: "spec", Reason: mesh.ReasonInvalidEnvoyConfig,
		Message: "produces " + f.typ + " " + f.name + " that Envoy would reject, so weft leaves the whole " + key.Kind +
			" out: " + f.err.Error()}
}

func refOf(k config.Key) mesh.Ref {
	return mesh.Ref{Kind: k.Kind, Namespace: k.Namespace, Name: k.Name}
}

// candidates are the resources that can shape what f names, the more
// specific first: a DestinationRule before the ServiceEntry defining the
// host (without which the cluster is gone, hence "valid").
func candidates(s *config.Snapshot, f failure) []config.Key {
	var out []config.Key
	if f.typ != "Listener" {
		host := clusterHost(f.name)
		for _, dr := range s.DestinationRules {
			if hostMatches(dr.Spec.GetHost(), host) {
				out = append(out, config.KeyOf(dr))
			}
		}
		return append(out, serviceEntriesFor(s, host)...)
	}
	for _, pa := range s.PeerAuthentications { // the proxy's namespace first
		if pa.Namespace == f.proxy.Namespace {
			out = append(out, config.KeyOf(pa))
		}
	}
	for _, pa := range s.PeerAuthentications {
		if pa.Namespace != f.proxy.Namespace {
			out = append(out, config.KeyOf(pa))
		}
	}
	for _, sc := range s.Sidecars {
		out = append(out, config.KeyOf(sc))
	}
	return append(out, serviceEntriesFor(s, "")...)
}

// serviceEntriesFor lists ServiceEntries with a host matching host (all
// when host is empty).
func serviceEntriesFor(s *config.Snapshot, host string) []config.Key {
	var out []config.Key
	for _, se := range s.ServiceEntries {
		for _, h := range se.Spec.GetHosts() {
			if host == "" || hostMatches(h, host) {
				out = append(out, config.KeyOf(se))
				break
			}
		}
	}
	return out
}

// serviceEntryHosts are the hosts ServiceEntries define (wildcards as
// written, which mesh services of that name then carry).
func serviceEntryHosts(s *config.Snapshot) map[string]bool {
	out := map[string]bool{}
	for _, se := range s.ServiceEntries {
		for _, h := range se.Spec.GetHosts() {
			out[h] = true
		}
	}
	return out
}

// hostMatches is deliberately loose (a short name matches its FQDN): the
// trial translation decides, this only narrows what is tried.
func hostMatches(pattern, host string) bool {
	switch {
	case pattern == "*" || pattern == host:
		return true
	case strings.HasPrefix(pattern, "*."):
		return strings.HasSuffix(host, pattern[1:])
	}
	return strings.HasPrefix(host, pattern+".")
}

// without copies s leaving out the resources diags name.
func without(s *config.Snapshot, diags []mesh.Diagnostic) *config.Snapshot {
	drop := map[config.Key]bool{}
	for _, d := range diags {
		drop[config.Key{Kind: d.Ref.Kind, Namespace: d.Ref.Namespace, Name: d.Ref.Name}] = true
	}
	b := config.NewBuilder()
	for _, o := range s.Objects() {
		if !drop[o.Key] {
			_ = b.Add(o) // keys are unique in s already
		}
	}
	return b.Finish()
}
