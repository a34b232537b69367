package validation

import (
	"math"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// maglevMaxTableSize is the first table size Envoy refuses for Maglev.
const maglevMaxTableSize = 5000011

// topologyLabels are the labels that locality (region/zone/subzone)
// failover already orders by; naming them in failoverPriority as well
// would give Envoy two conflicting orders.
var topologyLabels = []string{"topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone"}

// validateLoadBalancer checks consistent hashing, locality and warmup
// settings; simple and consistentHash are a oneof, so setting both is a
// decode error.
func validateLoadBalancer(p *field.Path, lb *networking.LoadBalancerSettings) field.ErrorList {
	if lb == nil {
		return nil
	}
	errs := validateConsistentHash(p.Child("consistentHash"), lb.GetConsistentHash())
	if lb.GetLocalityLbSetting() != nil && lb.GetZoneAwareLbSetting() != nil {
		errs = append(errs, field.Forbidden(p.Child("zoneAwareLbSetting"), "localityLbSetting and zoneAwareLbSetting are mutually exclusive"))
	}
	errs = append(errs, validateLocality(p.Child("localityLbSetting"), lb.GetLocalityLbSetting())...)
	errs = append(errs, validateZoneAware(p.Child("zoneAwareLbSetting"), lb.GetZoneAwareLbSetting())...)
	return append(errs, validateWarmup(p.Child("warmup"), lb.GetWarmup())...)
}

// validateConsistentHash checks the cookie and the hash algorithm. A hash
// without a key is allowed, as in Istio (Envoy then hashes at random).
func validateConsistentHash(p *field.Path, ch *networking.LoadBalancerSettings_ConsistentHashLB) field.ErrorList {
	if ch == nil {
		return nil
	}
	var errs field.ErrorList
	if c := ch.GetHttpCookie(); c != nil {
		errs = append(errs, validateHashCookie(p.Child("httpCookie"), c)...)
	}
	//lint:ignore SA1019 minimumRingSize is deprecated but still served; it must not be mixed with its replacement.
	if ch.GetMinimumRingSize() != 0 && ch.GetHashAlgorithm() != nil {
		errs = append(errs, field.Forbidden(p.Child("minimumRingSize"), "the deprecated minimumRingSize cannot be combined with ringHash or maglev"))
	}
	errs = append(errs, validateRingSize(p, ch)...)
	if ml := ch.GetMaglev(); ml != nil {
		errs = append(errs, validateMaglevTableSize(p.Child("maglev").Child("tableSize"), ml.GetTableSize())...)
	}
	return errs
}

func validateHashCookie(p *field.Path, c *networking.LoadBalancerSettings_ConsistentHashLB_HTTPCookie) field.ErrorList {
	var errs field.ErrorList
	if c.GetName() == "" {
		errs = append(errs, field.Required(p, "httpCookie needs a name"))
	}
	seen := map[string]bool{}
	for i, a := range c.GetAttributes() {
		ap, name := p.Child("attributes").Index(i).Child("name"), a.GetName()
		switch {
		case name == "":
			errs = append(errs, field.Required(ap, "cookie attribute names must not be empty"))
		case seen[name]:
			errs = append(errs, duplicate(ap, name, "duplicate cookie attribute %q", name))
		}
		seen[name] = true
	}
	return errs
}

// validateMaglevTableSize: Envoy needs a prime table size below 5000011.
func validateMaglevTableSize(p *field.Path, n uint64) field.ErrorList {
	switch {
	case n == 0:
		return field.ErrorList{field.Required(p, "maglev needs a tableSize (a prime number below 5000011)")}
	case n >= maglevMaxTableSize:
		return field.ErrorList{invalid(p, n, "maglev tableSize must be below %d, got %d", maglevMaxTableSize, n)}
	case !isPrime(n):
		return field.ErrorList{invalid(p, n, "maglev tableSize must be a prime number, got %d", n)}
	}
	return nil
}

// isPrime follows Envoy's primality test for Maglev table sizes, which
// treats 1 as prime.
func isPrime(n uint64) bool {
	if n < 4 {
		return n != 0
	}
	if n%2 == 0 {
		return false
	}
	for f := uint64(3); f <= uint64(math.Sqrt(float64(n))); f += 2 {
		if n%f == 0 {
			return false
		}
	}
	return true
}

// validateWarmup: a warmup needs a duration; minimumPercent is a
// percentage and aggression a positive factor.
func validateWarmup(p *field.Path, w *networking.WarmupConfiguration) field.ErrorList {
	if w == nil {
		return nil
	}
	var errs field.ErrorList
	if w.GetDuration() == nil {
		errs = append(errs, field.Required(p, "warmup needs a duration"))
	} else {
		errs = append(errs, validateMsDuration(p.Child("duration"), w.GetDuration())...)
	}
	if v := w.GetMinimumPercent().GetValue(); v > 100 {
		errs = append(errs, invalid(p.Child("minimumPercent"), v, "minimumPercent must be at most 100, got %v", v))
	}
	if a := w.GetAggression(); a != nil && a.GetValue() <= 0 {
		errs = append(errs, invalid(p.Child("aggression"), a.GetValue(), "aggression must be greater than 0, got %v", a.GetValue()))
	}
	return errs
}

// validateLocality checks locality load balancing: distribute and
// failover exclude each other, weights are 1-100 and sum to 100,
// localities are well-formed and do not overlap, and failover names
// distinct regions.
func validateLocality(p *field.Path, l *networking.LocalityLoadBalancerSetting) field.ErrorList {
	if l == nil {
		return nil
	}
	if len(l.GetDistribute()) > 0 && len(l.GetFailover()) > 0 {
		return field.ErrorList{field.Forbidden(p.Child("failover"), "distribute and failover are mutually exclusive")}
	}
	if len(l.GetFailover()) > 0 {
		if errs := forbidTopologyLabels(p.Child("failoverPriority"), l.GetFailoverPriority(), "failover already orders by region, zone and subzone"); errs != nil {
			return errs
		}
	}
	errs := validateDistribute(p.Child("distribute"), l.GetDistribute())
	if errs != nil {
		return errs
	}
	return validateRegionFailover(p.Child("failover"), l.GetFailover())
}

// validateZoneAware checks zone-aware load balancing, where Envoy orders
// by region and zone on its own: failover names regions only, and
// failoverPriority may not repeat the topology labels.
func validateZoneAware(p *field.Path, z *networking.ZoneAwareLoadBalancerSetting) field.ErrorList {
	if z == nil {
		return nil
	}
	errs := forbidTopologyLabels(p.Child("failoverPriority"), z.GetFailoverPriority(), "zone-aware load balancing orders by region and zone itself")
	return append(errs, validateRegionFailover(p.Child("failover"), z.GetFailover())...)
}

func forbidTopologyLabels(p *field.Path, priority []string, why string) field.ErrorList {
	var errs field.ErrorList
	for i, label := range priority {
		for _, t := range topologyLabels {
			if label == t {
				errs = append(errs, invalid(p.Index(i), label, "failoverPriority cannot use the topology label %s: %s", label, why))
			}
		}
	}
	return errs
}

// validateDistribute checks each entry's weights, then that the
// localities on either side are well-formed and do not overlap. Like
// Istio it stops at the first bad weight.
func validateDistribute(p *field.Path, dist []*networking.LocalityLoadBalancerSetting_Distribute) field.ErrorList {
	from := newLocalitySet()
	for i, d := range dist {
		dp := p.Index(i)
		if errs := validateLocalityWeights(dp.Child("to"), d.GetTo()); errs != nil {
			return errs
		}
		to := newLocalitySet()
		for _, loc := range sortedKeys(d.GetTo()) {
			if msg := to.add(loc); msg != "" {
				return field.ErrorList{invalid(dp.Child("to").Key(loc), loc, "locality %q %s", loc, msg)}
			}
		}
		if msg := from.add(d.GetFrom()); msg != "" {
			return field.ErrorList{invalid(dp.Child("from"), d.GetFrom(), "locality %q %s", d.GetFrom(), msg)}
		}
	}
	return nil
}

func validateLocalityWeights(p *field.Path, to map[string]uint32) field.ErrorList {
	var sum uint32
	for _, loc := range sortedKeys(to) {
		w := to[loc]
		if w == 0 || w > 100 {
			return field.ErrorList{invalid(p.Key(loc), w, "locality weights must be between 1 and 100, got %d", w)}
		}
		sum += w
	}
	if sum != 100 {
		return field.ErrorList{invalid(p, sum, "locality weights must sum to 100, got %d", sum)}
	}
	return nil
}

// validateRegionFailover checks failover entries name two different
// regions, without zones or wildcards.
func validateRegionFailover[F interface {
	GetFrom() string
	GetTo() string
}](p *field.Path, failover []F) field.ErrorList {
	var errs field.ErrorList
	for i, f := range failover {
		fp := p.Index(i)
		if f.GetFrom() == f.GetTo() {
			errs = append(errs, invalid(fp.Child("to"), f.GetTo(), "failover must go to a different region than %q", f.GetFrom()))
		}
		for _, side := range []struct{ name, value string }{{"from", f.GetFrom()}, {"to", f.GetTo()}} {
			if strings.Contains(side.value, "/") {
				errs = append(errs, invalid(fp.Child(side.name), side.value, "failover names regions only, not zones: %q", side.value))
			}
			if strings.Contains(side.value, "*") {
				errs = append(errs, invalid(fp.Child(side.name), side.value, "failover regions cannot hold wildcards: %q", side.value))
			}
		}
	}
	return errs
}

// localitySet collects region/zone/subzone localities and reports one
// that is malformed or overlaps those already added (a region and one of
// its zones, say), which would leave Envoy's weights ambiguous.
type localitySet struct {
	all  bool
	tree map[string]map[string]map[string]bool // region -> zone -> subzone; "*" = all below
}

func newLocalitySet() *localitySet {
	return &localitySet{tree: map[string]map[string]map[string]bool{}}
}

// add records loc and returns why it is refused, or "".
func (s *localitySet) add(loc string) string {
	if n := strings.Count(loc, "*"); n > 1 || (n == 1 && !strings.HasSuffix(loc, "*")) {
		return "may hold at most one wildcard '*', at the end"
	}
	if s.all {
		return "overlaps a locality given before"
	}
	parts := strings.SplitN(loc, "/", 3)
	for _, part := range parts {
		if part == "" {
			return "has an empty region, zone or subzone"
		}
	}
	if parts[0] == "*" {
		s.all = true
	}
	return s.addParts(parts)
}

func (s *localitySet) addParts(parts []string) string {
	const overlap = "overlaps a locality given before"
	zones, ok := s.tree[parts[0]]
	if len(parts) == 1 {
		if ok {
			return overlap
		}
		s.tree[parts[0]] = map[string]map[string]bool{"*": {"*": true}}
		return ""
	}
	if !ok {
		zones = map[string]map[string]bool{}
		s.tree[parts[0]] = zones
	}
	if zones["*"] != nil {
		return overlap
	}
	subzones, ok := zones[parts[1]]
	if len(parts) == 2 {
		if ok {
			return overlap
		}
		zones[parts[1]] = map[string]bool{"*": true}
		return ""
	}
	if !ok {
		subzones = map[string]bool{}
		zones[parts[1]] = subzones
	}
	if subzones["*"] || subzones[parts[2]] {
		return overlap
	}
	subzones[parts[2]] = true
	return ""
}
