package validation

import (
	networking "istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ringHashMaxSize is the largest ring Envoy builds (RingHashLbConfig's
// minimum_ring_size: lte 8388608); a larger minimum makes Envoy reject the
// cluster, which Istio's validation lets through.
const ringHashMaxSize = 8388608

// validateRingSize checks ringHash.minimumRingSize and the deprecated
// minimumRingSize against Envoy's bound.
func validateRingSize(p *field.Path, ch *networking.LoadBalancerSettings_ConsistentHashLB) field.ErrorList {
	var errs field.ErrorList
	if n := ch.GetRingHash().GetMinimumRingSize(); n > ringHashMaxSize {
		errs = append(errs, invalid(p.Child("ringHash", "minimumRingSize"), n, "minimumRingSize must be at most %d (Envoy's largest ring), got %d", ringHashMaxSize, n))
	}
	//lint:ignore SA1019 the deprecated field is still served, so it is bounded the same way.
	if n := ch.GetMinimumRingSize(); n > ringHashMaxSize {
		errs = append(errs, invalid(p.Child("minimumRingSize"), n, "minimumRingSize must be at most %d (Envoy's largest ring), got %d", ringHashMaxSize, n))
	}
	return errs
}
