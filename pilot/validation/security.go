package validation

import (
	"maps"
	"slices"
	"strconv"

	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidatePeerAuthentication checks one PeerAuthentication. Modes are
// enums and port keys numbers, both checked by the decoder.
func ValidatePeerAuthentication(pa *securityv1.PeerAuthentication) field.ErrorList {
	spec, p := &pa.Spec, field.NewPath("spec")
	errs := validateWorkloadSelector(p.Child("selector"), spec.GetSelector())
	ports := spec.GetPortLevelMtls()
	// Ports only mean something for selected workloads, whose ports are known.
	if len(ports) > 0 && len(spec.GetSelector().GetMatchLabels()) == 0 {
		errs = append(errs, field.Forbidden(p.Child("portLevelMtls"), "portLevelMtls needs a selector"))
	}
	// The decoder leaves the map nil unless it is written: written empty,
	// it is a port list someone forgot to fill in.
	if ports != nil && len(ports) == 0 {
		errs = append(errs, field.Required(p.Child("portLevelMtls"), "portLevelMtls, when written, must name at least one port"))
	}
	for _, port := range slices.Sorted(maps.Keys(ports)) {
		if port < 1 || port > 65535 {
			pp := p.Child("portLevelMtls").Key(strconv.FormatUint(uint64(port), 10))
			errs = append(errs, invalid(pp, port, "port must be a number between 1 and 65535, got %d", port))
		}
	}
	return errs
}
