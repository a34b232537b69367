package mesh

import "math"

// Route weights, in one place. A VirtualService route lists destinations,
// each with a written weight (int32, 0 when omitted). What the numbers mean:
//
//   - A lone destination takes all traffic whatever its weight (Istio's
//     rule); the IR records it as AllTraffic.
//   - Among several destinations a weight is a relative share: a
//     destination receives weight/(sum of the route's weights) of the
//     traffic, so 60+30, 1+2 and 33+33+33 are all fine (Istio's rule:
//     weights need not sum to 100). Omitted means 0, and a 0 destination
//     receives nothing.
//   - Validation (CheckWeights) rejects negative weights and several
//     destinations that are all 0, as Istio does; nothing else.
//   - Zero-weight destinations stay in the IR: they name where a switch
//     could send traffic next, which proxyless warming needs.
//   - Generators send only TrafficSplit: grpc-go ignores a zero-weight
//     entry in weighted_clusters (it does not even build that cluster's
//     balancer), and Envoy sends it nothing, so listing it would only
//     suggest a reference that does not exist.
//   - The remaining weights go to Envoy and grpc-go as they are, without
//     total_weight; both divide by the sum of the weights listed. Only a
//     sum past 2^32-1, which Envoy rejects for the whole route
//     configuration, is scaled down, keeping the shares.

// AllTraffic is the weight the IR gives a destination that takes all of a
// route's traffic (a lone destination); a split's weights may sum to
// anything above 0.
const AllTraffic = 100

// NormalizedWeight is the IR weight of a destination written with weight
// w among n destinations. Negative weights, which validation rejects,
// count as 0 so that unvalidated input cannot wrap around to a huge share.
func NormalizedWeight(w int32, n int) uint32 {
	if n == 1 {
		return AllTraffic
	}
	return uint32(max(w, 0))
}

// TrafficSplit returns the destinations that receive traffic, with their
// weights: a lone destination (as AllTraffic even if an IR built by hand
// left its weight 0), otherwise those weighing more than 0. It returns ds
// itself when nothing is dropped or changed, which is the common case.
func TrafficSplit(ds []Destination) []Destination {
	if len(ds) == 1 {
		if ds[0].Weight == AllTraffic {
			return ds
		}
		lone := ds[0]
		lone.Weight = AllTraffic
		return []Destination{lone}
	}
	zero, sum := 0, uint64(0)
	for _, d := range ds {
		if d.Weight == 0 {
			zero++
		}
		sum += uint64(d.Weight)
	}
	if zero == 0 && sum <= math.MaxUint32 {
		return ds
	}
	out := make([]Destination, 0, len(ds)-zero)
	for _, d := range ds {
		if d.Weight > 0 {
			out = append(out, d)
		}
	}
	if sum > math.MaxUint32 {
		scaleWeights(out, sum)
	}
	return out
}

// scaleWeights shrinks weights summing to more than Envoy's limit so they
// sum to at most the limit, each keeping its share (and at least 1).
func scaleWeights(ds []Destination, sum uint64) {
	target := uint64(math.MaxUint32) - uint64(len(ds)) // room for rounding each up to 1
	for i := range ds {
		ds[i].Weight = uint32(max(uint64(ds[i].Weight)*target/sum, 1))
	}
}

// Targets are the destinations r's action sends traffic to: none for a
// redirect or a direct response, otherwise its TrafficSplit.
func (r *HTTPRoute) Targets() []Destination {
	if r.Redirect != nil || r.DirectResponse != nil {
		return nil
	}
	return TrafficSplit(r.Destinations)
}

// WeightProblemKind is a way the written weights of a route break the rules.
type WeightProblemKind int

const (
	// NegativeWeight: a destination's weight is below 0.
	NegativeWeight WeightProblemKind = iota + 1
	// AllWeightsZero: several destinations and none has a weight.
	AllWeightsZero
)

// WeightProblem is one broken rule. Index is the destination to blame, or
// -1 for the route as a whole.
type WeightProblem struct {
	Kind  WeightProblemKind
	Index int
}

// CheckWeights applies the rules above to the weights written on one
// route's destinations, in order; validation turns the problems into
// field errors.
func CheckWeights(written []int32) []WeightProblem {
	var out []WeightProblem
	weighted := 0
	for i, w := range written {
		if w < 0 {
			out = append(out, WeightProblem{Kind: NegativeWeight, Index: i})
		}
		if w != 0 {
			weighted++
		}
	}
	if len(written) > 1 && weighted == 0 {
		out = append(out, WeightProblem{Kind: AllWeightsZero, Index: -1})
	}
	return out
}
