package validation

import (
	"math"

	networking "istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateEndpointWeightSum bounds the sum of the endpoints' weights: weft
// sends a ServiceEntry's endpoints in one locality, and Envoy and grpc-go
// reject an assignment whose locality weights sum above 2^32-1 (a check
// of theirs, not of the proto's rules). Unset weights count as 1.
func validateEndpointWeightSum(p *field.Path, eps []*networking.WorkloadEntry) field.ErrorList {
	var sum uint64
	for _, ep := range eps {
		sum += uint64(max(ep.GetWeight(), 1))
	}
	if sum > math.MaxUint32 {
		return field.ErrorList{invalid(p, sum, "the endpoints' weights sum to %d, above the %d Envoy and grpc-go accept in one locality", sum, uint64(math.MaxUint32))}
	}
	return nil
}
