package validation

import (
	"strconv"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// maxSNI is the longest SNI Envoy takes (UpstreamTlsContext.sni).
const maxSNI = 255

// validateMeshSNI: sidecars reach a MESH_INTERNAL entry with Istio mTLS
// whose SNI is outbound_.PORT_._.HOST; Envoy rejects the cluster when that
// is longer than 255 bytes, though every label of the host is valid.
func validateMeshSNI(p *field.Path, se *networkingv1.ServiceEntry) field.ErrorList {
	if se.Spec.GetLocation() != networking.ServiceEntry_MESH_INTERNAL {
		return nil
	}
	var errs field.ErrorList
	for i, h := range se.Spec.GetHosts() {
		for _, port := range se.Spec.GetPorts() {
			sni := "outbound_." + strconv.FormatUint(uint64(port.GetNumber()), 10) + "_._." + h
			if len(sni) > maxSNI {
				errs = append(errs, invalid(p.Child("hosts").Index(i), h,
					"a MESH_INTERNAL host must keep the mTLS SNI %q within %d bytes (Envoy's limit), it is %d", sni[:24]+"…", maxSNI, len(sni)))
				break
			}
		}
	}
	return errs
}
