package validation

import (
	"fmt"
	"strconv"
	"strings"

	typev1beta1 "istio.io/api/type/v1beta1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	security "istio.io/api/security/v1beta1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"

	"github.com/weftmesh/weft/pilot/config"
)

// validatePolicyTargets checks what a policy applies to: workloads by
// selector, or Services and gateways by reference — one way only.
func validatePolicyTargets(p *field.Path, sel *typev1beta1.WorkloadSelector, ref *typev1beta1.PolicyTargetReference,
	refs []*typev1beta1.PolicyTargetReference) field.ErrorList {
	errs := validateWorkloadSelector(p.Child("selector"), sel)
	if ref != nil {
		errs = append(errs, validateTargetRef(p.Child("targetRef"), ref)...)
	}
	for i, r := range refs {
		errs = append(errs, validateTargetRef(p.Child("targetRefs").Index(i), r)...)
	}
	// The error goes on the field that comes later in the API (and usually
	// in the document): the one that was added to a working policy.
	switch {
	case len(refs) > 0 && (sel != nil || ref != nil):
		errs = append(errs, field.Forbidden(p.Child("targetRefs"), "set only one of selector, targetRef and targetRefs"))
	case ref != nil && sel != nil:
		errs = append(errs, field.Forbidden(p.Child("targetRef"), "set only one of selector, targetRef and targetRefs"))
	}
	return errs
}

// validateWorkloadSelector refuses label keys and values Istio's selector
// matching cannot use: an empty key, or a "*" (labels match exactly).
func validateWorkloadSelector(p *field.Path, sel *typev1beta1.WorkloadSelector) field.ErrorList {
	var errs field.ErrorList
	labels := sel.GetMatchLabels()
	for _, k := range sortedKeys(labels) {
		kp := p.Child("matchLabels").Key(k)
		switch {
		case k == "":
			errs = append(errs, field.Required(kp, "label key must not be empty"))
		case strings.Contains(k, "*") || strings.Contains(labels[k], "*"):
			errs = append(errs, invalid(kp, k+"="+labels[k], "label %s=%s: wildcards are not supported, labels match exactly", k, labels[k]))
		}
	}
	return errs
}

// targetKinds are the kinds a policy may target, by group ("" is core).
var targetKinds = map[string]string{
	"Service":      "",
	"ServiceEntry": "networking.istio.io",
	"Gateway":      "gateway.networking.k8s.io",
	"GatewayClass": "gateway.networking.k8s.io",
}

func validateTargetRef(p *field.Path, ref *typev1beta1.PolicyTargetReference) field.ErrorList {
	var errs field.ErrorList
	if ref.GetName() == "" {
		errs = append(errs, field.Required(p.Child("name"), "targetRef name is required"))
	}
	if ref.GetNamespace() != "" {
		errs = append(errs, field.Forbidden(p.Child("namespace"), "targetRef namespace must be left out: a policy targets its own namespace only"))
	}
	return append(errs, validateTargetKind(p, ref)...)
}

// validateTargetKind marks the group when the kind is one that can be
// targeted but under another group, else the kind.
func validateTargetKind(p *field.Path, ref *typev1beta1.PolicyTargetReference) field.ErrorList {
	kind, group := ref.GetKind(), ref.GetGroup()
	if group == "core" {
		group = ""
	}
	want, known := targetKinds[kind]
	if known && want == group {
		return nil
	}
	msg := fmt.Sprintf("cannot target %s in group %q: want Service, ServiceEntry (networking.istio.io), Gateway or GatewayClass (gateway.networking.k8s.io)", kind, group)
	if known && group != "" {
		return field.ErrorList{invalid(p.Child("group"), ref.GetGroup(), "%s", msg)}
	}
	return field.ErrorList{invalid(p.Child("kind"), kind, "%s", msg)}
}

// dryRunAnnotation makes an AuthorizationPolicy log its decisions instead
// of enforcing them; it means nothing on any other resource.
const dryRunAnnotation = "istio.io/dry-run"

// validateDryRun checks the dry-run annotation: only ALLOW and DENY
// policies can be dry-run, with a boolean value; elsewhere it would be
// silently ignored, so it is refused.
func validateDryRun(r config.Resource) field.ErrorList {
	value, ok := r.GetAnnotations()[dryRunAnnotation]
	if !ok {
		return nil
	}
	p := field.NewPath("metadata").Child("annotations").Key(dryRunAnnotation)
	ap, isAuthz := r.(*securityv1.AuthorizationPolicy)
	switch {
	case !isAuthz:
		return field.ErrorList{field.Forbidden(p, "only AuthorizationPolicy supports "+dryRunAnnotation)}
	case ap.Spec.GetAction() != security.AuthorizationPolicy_ALLOW && ap.Spec.GetAction() != security.AuthorizationPolicy_DENY:
		return field.ErrorList{field.Forbidden(p, dryRunAnnotation+" works with the ALLOW and DENY actions only")}
	}
	if _, err := strconv.ParseBool(value); err != nil {
		return field.ErrorList{invalid(p, value, "%s must be true or false, got %q", dryRunAnnotation, value)}
	}
	return nil
}
