package validation

import (
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateWorkloadEntry checks one WorkloadEntry.
func ValidateWorkloadEntry(we *networkingv1.WorkloadEntry) field.ErrorList {
	return validateWorkloadEntrySpec(field.NewPath("spec"), &we.Spec, endpointRules{allowFQDN: true})
}
