package validation

import (
	"regexp"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// probeHeaderNameRE is what a header name of an HTTP readiness probe may
// hold: the agent sends it as is.
var probeHeaderNameRE = regexp.MustCompile(`^[-A-Za-z0-9]+$`)

// ValidateWorkloadGroup checks one WorkloadGroup as Istio does. weft does
// not act on WorkloadGroups (VMs register through istiod's own flow), but
// refuses the same mistakes. The template is not checked like a
// WorkloadEntry: its address and ports are filled in at registration.
func ValidateWorkloadGroup(wg *networkingv1.WorkloadGroup) field.ErrorList {
	spec, p := &wg.Spec, field.NewPath("spec")
	var errs field.ErrorList
	if spec.GetTemplate() == nil {
		errs = append(errs, field.Required(p, "a WorkloadGroup needs a template"))
	}
	if md := spec.GetMetadata(); md != nil {
		errs = append(errs, validateLabels(p.Child("metadata").Child("labels"), md.GetLabels())...)
	}
	return append(errs, validateReadinessProbe(p.Child("probe"), spec.GetProbe())...)
}

// validateReadinessProbe checks counters are not negative and the one
// health check method is complete. Istio's agent knows httpGet, tcpSocket
// and exec only, so a grpc probe (in the API) is refused as Istio does.
func validateReadinessProbe(p *field.Path, probe *networking.ReadinessProbe) field.ErrorList {
	if probe == nil {
		return nil
	}
	errs := nonNegative(p.Child("initialDelaySeconds"), probe.GetInitialDelaySeconds())
	errs = append(errs, nonNegative(p.Child("timeoutSeconds"), probe.GetTimeoutSeconds())...)
	errs = append(errs, nonNegative(p.Child("periodSeconds"), probe.GetPeriodSeconds())...)
	errs = append(errs, nonNegative(p.Child("successThreshold"), probe.GetSuccessThreshold())...)
	errs = append(errs, nonNegative(p.Child("failureThreshold"), probe.GetFailureThreshold())...)
	switch m := probe.GetHealthCheckMethod().(type) {
	case *networking.ReadinessProbe_HttpGet:
		errs = append(errs, validateHTTPProbe(p.Child("httpGet"), m.HttpGet)...)
	case *networking.ReadinessProbe_TcpSocket:
		errs = append(errs, validatePort(p.Child("tcpSocket").Child("port"), m.TcpSocket.GetPort())...)
	case *networking.ReadinessProbe_Exec:
		if len(m.Exec.GetCommand()) == 0 {
			errs = append(errs, field.Required(p.Child("exec"), "an exec probe needs a command"))
		}
	case *networking.ReadinessProbe_Grpc:
		errs = append(errs, field.NotSupported(p.Child("grpc"), "grpc", []string{"httpGet", "tcpSocket", "exec"}))
		errs[len(errs)-1].Detail = "grpc probes are not supported by Istio's agent: use httpGet, tcpSocket or exec"
	case nil:
		errs = append(errs, field.Required(p, "a probe needs one of httpGet, tcpSocket or exec"))
	}
	return errs
}

func validateHTTPProbe(p *field.Path, h *networking.HTTPHealthCheckConfig) field.ErrorList {
	errs := validatePort(p.Child("port"), h.GetPort())
	errs = append(errs, oneOf(p.Child("scheme"), h.GetScheme(), "HTTP", "HTTPS")...)
	for i, hdr := range h.GetHttpHeaders() {
		if name := hdr.GetName(); !probeHeaderNameRE.MatchString(name) {
			errs = append(errs, invalid(p.Child("httpHeaders").Index(i).Child("name"), name,
				"probe header name %q must be non-empty letters, digits and '-'", name))
		}
	}
	return errs
}
