package mesh

// Route weights, in one place. A VirtualService route lists destinations,
// each with a written weight (int32, 0 when omitted). What the numbers mean:
//
//   - A lone destination takes all traffic whatever its weight (Istio's
//     rule); the IR records it as AllTraffic.
//   - Among several destinations a weight is a share of traffic. Omitted
//     means 0, and a 0 destination receives nothing.
//   - Validation (CheckWeights) rejects negative weights, several
//     destinations that are all 0, and — once more than one destination
//     has a weight — weights that do not sum to 100.
//   - Zero-weight destinations stay in the IR: they name where a switch
//     could send traffic next, which proxyless warming needs.
//   - Generators send only TrafficSplit: grpc-go ignores a zero-weight
//     entry in weighted_clusters (it does not even build that cluster's
//     balancer), and Envoy sends it nothing, so listing it would only
//     suggest a reference that does not exist.
//   - The remaining weights go to Envoy and grpc-go as they are; both
//     divide by the sum of the weights listed.

// AllTraffic is the weight of a destination that takes all of a route's
// traffic, and the sum validated weights have.
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
	zero := 0
	for _, d := range ds {
		if d.Weight == 0 {
			zero++
		}
	}
	if zero == 0 {
		return ds
	}
	out := make([]Destination, 0, len(ds)-zero)
	for _, d := range ds {
		if d.Weight > 0 {
			out = append(out, d)
		}
	}
	return out
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
	// WeightsNotSummingTo100: more than one destination has a weight and
	// the weights do not add up to AllTraffic.
	WeightsNotSummingTo100
)

// WeightProblem is one broken rule. Index is the destination to blame (the
// last weighted one for a bad sum), or -1 for the route as a whole.
type WeightProblem struct {
	Kind  WeightProblemKind
	Index int
	Sum   int64
}

// CheckWeights applies the rules above to the weights written on one
// route's destinations, in order; validation turns the problems into
// field errors.
func CheckWeights(written []int32) []WeightProblem {
	var out []WeightProblem
	sum, weighted, last := int64(0), 0, -1
	for i, w := range written {
		if w < 0 {
			out = append(out, WeightProblem{Kind: NegativeWeight, Index: i})
		}
		if w != 0 {
			sum, weighted, last = sum+int64(w), weighted+1, i
		}
	}
	switch {
	case len(written) > 1 && weighted == 0:
		out = append(out, WeightProblem{Kind: AllWeightsZero, Index: -1})
	case weighted > 1 && sum != AllTraffic:
		out = append(out, WeightProblem{Kind: WeightsNotSummingTo100, Index: last, Sum: sum})
	}
	return out
}
