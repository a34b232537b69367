package mesh

import (
	"math"
	"reflect"
	"testing"
)

func TestNormalizedWeight(t *testing.T) {
	tests := []struct {
		rule    string
		written []int32
		want    []uint32
	}{
		{"a lone destination takes all traffic when its weight is omitted", []int32{0}, []uint32{100}},
		{"a lone destination takes all traffic whatever its weight", []int32{30}, []uint32{100}},
		{"a lone destination takes all traffic even with a negative weight", []int32{-5}, []uint32{100}},
		{"several destinations keep their weights", []int32{90, 10}, []uint32{90, 10}},
		{"an omitted weight among several is 0", []int32{100, 0}, []uint32{100, 0}},
		{"a negative weight among several counts as 0", []int32{110, -10}, []uint32{110, 0}},
		{"weights are not rescaled", []int32{7, 0, 3}, []uint32{7, 0, 3}},
	}
	for _, tt := range tests {
		got := make([]uint32, len(tt.written))
		for i, w := range tt.written {
			got[i] = NormalizedWeight(w, len(tt.written))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v → %v, want %v", tt.rule, tt.written, got, tt.want)
		}
	}
}

func TestTrafficSplit(t *testing.T) {
	a, b, c := weightTestKey("a"), weightTestKey("b"), weightTestKey("c")
	tests := []struct {
		rule string
		in   []Destination
		want []Destination
	}{
		{"no destinations, no traffic", nil, nil},
		{"a lone destination receives everything", []Destination{{Cluster: a, Weight: 100}}, []Destination{{Cluster: a, Weight: 100}}},
		{"a lone destination built with weight 0 still receives everything",
			[]Destination{{Cluster: a}}, []Destination{{Cluster: a, Weight: 100}}},
		{"a split keeps its weights and order",
			[]Destination{{Cluster: b, Weight: 10}, {Cluster: a, Weight: 90}}, []Destination{{Cluster: b, Weight: 10}, {Cluster: a, Weight: 90}}},
		{"zero-weight destinations receive nothing and are left out",
			[]Destination{{Cluster: a, Weight: 0}, {Cluster: b, Weight: 100}, {Cluster: c}}, []Destination{{Cluster: b, Weight: 100}}},
		{"all zero (rejected by validation) leaves nothing to send to",
			[]Destination{{Cluster: a}, {Cluster: b}}, []Destination{}},
	}
	for _, tt := range tests {
		if got := TrafficSplit(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.rule, got, tt.want)
		}
	}
}

// TrafficSplit is on every route build's path: the usual split must not
// copy, and the caller's slice must never be changed.
func TestTrafficSplitSharesOrCopies(t *testing.T) {
	split := []Destination{{Cluster: weightTestKey("a"), Weight: 90}, {Cluster: weightTestKey("b"), Weight: 10}}
	if got := TrafficSplit(split); &got[0] != &split[0] {
		t.Error("a split without zero weights was copied")
	}
	lone := []Destination{{Cluster: weightTestKey("a")}}
	TrafficSplit(lone)
	if lone[0].Weight != 0 {
		t.Error("TrafficSplit changed its argument")
	}
}

func TestTargets(t *testing.T) {
	dests := []Destination{{Cluster: weightTestKey("a"), Weight: 100}, {Cluster: weightTestKey("b")}}
	tests := []struct {
		rule  string
		route HTTPRoute
		want  []Destination
	}{
		{"a forwarding rule sends to its split", HTTPRoute{Destinations: dests}, dests[:1]},
		{"a redirect sends to no cluster", HTTPRoute{Redirect: &Redirect{Path: "/x"}}, nil},
		{"a direct response sends to no cluster", HTTPRoute{DirectResponse: &DirectResponse{Status: 503}}, nil},
	}
	for _, tt := range tests {
		if got := tt.route.Targets(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.rule, got, tt.want)
		}
	}
}

func TestCheckWeights(t *testing.T) {
	tests := []struct {
		rule    string
		written []int32
		want    []WeightProblem
	}{
		{"a lone destination may omit its weight", []int32{0}, nil},
		{"a lone destination may have any weight", []int32{30}, nil},
		{"weights that sum to 100 are valid", []int32{75, 25}, nil},
		{"weights need not sum to 100 (Istio: weight/sum)", []int32{60, 30, 0}, nil},
		{"weights may sum to more than 100", []int32{60, 50}, nil},
		{"small weights are relative shares", []int32{1, 2}, nil},
		{"thirds are valid", []int32{33, 33, 33}, nil},
		{"one weighted destination among several needs no sum", []int32{100, 0, 0}, nil},
		{"one weighted destination among several may weigh less than 100", []int32{0, 50}, nil},
		{"large weights do not overflow", []int32{1 << 30, 1 << 30, 1 << 30}, nil},
		{"several destinations may not all be 0", []int32{0, 0},
			[]WeightProblem{{Kind: AllWeightsZero, Index: -1}}},
		{"a negative weight is reported even when the sum is 100", []int32{110, -10},
			[]WeightProblem{{Kind: NegativeWeight, Index: 1}}},
		{"a lone negative weight is reported", []int32{-1},
			[]WeightProblem{{Kind: NegativeWeight, Index: 0}}},
		{"a negative weight among zeros is reported, not as all zero", []int32{-5, 0},
			[]WeightProblem{{Kind: NegativeWeight, Index: 0}}},
	}
	for _, tt := range tests {
		if got := CheckWeights(tt.written); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v → %+v, want %+v", tt.rule, tt.written, got, tt.want)
		}
	}
}

// Every split validation accepts, once normalised, sends traffic somewhere
// and keeps the written weights of the destinations that receive traffic:
// a destination's share is its weight over the sum of the split.
func TestAcceptedWeightsAlwaysServe(t *testing.T) {
	for _, written := range [][]int32{{0}, {40}, {100, 0}, {0, 0, 100}, {50, 50}, {0, 30}, {1, 99, 0}, {60, 30}, {1, 2}, {33, 33, 33}, {50, 60}} {
		if p := CheckWeights(written); p != nil {
			t.Fatalf("%v rejected: %+v", written, p)
		}
		ds := make([]Destination, len(written))
		for i, w := range written {
			ds[i] = Destination{Cluster: weightTestKey(string(rune('a' + i))), Weight: NormalizedWeight(w, len(written))}
		}
		split := TrafficSplit(ds)
		if len(split) == 0 {
			t.Errorf("%v: nothing receives traffic", written)
			continue
		}
		if len(written) == 1 {
			if split[0].Weight != AllTraffic {
				t.Errorf("%v: lone destination weighs %d, want %d", written, split[0].Weight, AllTraffic)
			}
			continue
		}
		var want []uint32
		for _, w := range written {
			if w > 0 {
				want = append(want, uint32(w))
			}
		}
		var got []uint32
		for _, d := range split {
			got = append(got, d.Weight)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%v: split weights %v, want %v as written", written, got, want)
		}
	}
}

func weightTestKey(host string) ClusterKey {
	return ClusterKey{Direction: Outbound, Port: 80, Host: host}
}

// Weights Istio accepts but whose sum Envoy refuses (past 2^32-1) are
// scaled down to fit, keeping each share and never dropping to 0.
func TestTrafficSplitScalesOversizedSums(t *testing.T) {
	const big = math.MaxInt32
	in := []Destination{{Cluster: weightTestKey("a"), Weight: big}, {Cluster: weightTestKey("b"), Weight: big},
		{Cluster: weightTestKey("c"), Weight: big}, {Cluster: weightTestKey("d"), Weight: 1}}
	got := TrafficSplit(in)
	sum := uint64(0)
	for _, d := range got {
		sum += uint64(d.Weight)
		if d.Weight == 0 {
			t.Errorf("%v scaled to 0", d.Cluster)
		}
	}
	if sum > math.MaxUint32 {
		t.Fatalf("scaled weights sum to %d, past Envoy's limit", sum)
	}
	if got[0].Weight != got[1].Weight || got[1].Weight != got[2].Weight || got[0].Weight < math.MaxUint32/4 {
		t.Errorf("shares not kept: %+v", got)
	}
	if in[0].Weight != big {
		t.Errorf("the IR was modified: %+v", in)
	}
	fits := []Destination{{Cluster: weightTestKey("a"), Weight: big}, {Cluster: weightTestKey("b"), Weight: big}}
	if got := TrafficSplit(fits); got[0].Weight != big || got[1].Weight != big {
		t.Errorf("a sum within the limit was changed: %+v", got)
	}
}
