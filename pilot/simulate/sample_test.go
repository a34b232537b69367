package simulate

import (
	"reflect"
	"testing"
)

// The split of a sample is deterministic and adds up: 90/10 of 2000 is
// 1800/200, and remainders go to the largest fractions first.
func TestSample(t *testing.T) {
	r := &Result{Action: Action{Clusters: []WeightedCluster{
		{Name: "v1", Weight: 90, Probability: 0.9}, {Name: "v2", Weight: 10, Probability: 0.1}}}}
	if got := Sample(r, 2000); !reflect.DeepEqual(got, []Share{{"v1", 1800}, {"v2", 200}}) {
		t.Errorf("90/10 of 2000: %v", got)
	}
	thirds := &Result{Action: Action{Clusters: []WeightedCluster{
		{Name: "a", Probability: 1.0 / 3}, {Name: "b", Probability: 1.0 / 3}, {Name: "c", Probability: 1.0 / 3}}}}
	got := Sample(thirds, 10)
	if sum := got[0].Count + got[1].Count + got[2].Count; sum != 10 || got[0].Count != 4 {
		t.Errorf("thirds of 10: %v (sum %d), want 4/3/3", got, sum)
	}
}
