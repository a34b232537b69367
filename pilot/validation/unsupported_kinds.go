package validation

import (
	"net/url"
	"strings"

	extensions "istio.io/api/extensions/v1alpha1"
	telemetry "istio.io/api/telemetry/v1alpha1"
	typev1beta1 "istio.io/api/type/v1beta1"
	extensionsv1alpha1 "istio.io/client-go/pkg/apis/extensions/v1alpha1"
	networkingv1alpha3 "istio.io/client-go/pkg/apis/networking/v1alpha3"
	networkingv1beta1 "istio.io/client-go/pkg/apis/networking/v1beta1"
	telemetryv1 "istio.io/client-go/pkg/apis/telemetry/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/weftmesh/weft/pilot/config"
)

// validateUnimplementedKind checks the Istio kinds weft decodes but does
// not act on. They are still validated like Istio does, so that a config
// weft accepts today is one Istio would accept too (and a mistake in it
// is reported where the user looks: weftctl validate, the webhook).
func validateUnimplementedKind(r config.Resource) field.ErrorList {
	switch r := r.(type) {
	case *networkingv1alpha3.EnvoyFilter:
		return ValidateEnvoyFilter(r)
	case *networkingv1beta1.ProxyConfig:
		return validateProxyConfig(r)
	case *telemetryv1.Telemetry:
		return validateTelemetry(r)
	case *extensionsv1alpha1.WasmPlugin:
		return validateWasmPlugin(r)
	case *extensionsv1alpha1.TrafficExtension:
		return validateTrafficExtension(r)
	}
	return nil
}

// validateMatchLabels checks a type.v1beta1 workload selector.
func validateMatchLabels(p *field.Path, ws *typev1beta1.WorkloadSelector) field.ErrorList {
	if ws == nil {
		return nil
	}
	return validateSelectorLabels(p.Child("matchLabels"), ws.GetMatchLabels())
}

func validateProxyConfig(pc *networkingv1beta1.ProxyConfig) field.ErrorList {
	p := field.NewPath("spec")
	errs := validateMatchLabels(p.Child("selector"), pc.Spec.GetSelector())
	if c := pc.Spec.GetConcurrency(); c != nil && c.GetValue() < 0 {
		errs = append(errs, invalid(p.Child("concurrency"), c.GetValue(), "concurrency must be 0 (one worker per core) or more, got %d", c.GetValue()))
	}
	return errs
}

func validateTelemetry(t *telemetryv1.Telemetry) field.ErrorList {
	spec, p := &t.Spec, field.NewPath("spec")
	errs := validateMatchLabels(p.Child("selector"), spec.GetSelector())
	for i, tr := range spec.GetTracing() {
		errs = append(errs, validateTracing(p.Child("tracing").Index(i), tr)...)
	}
	for i, al := range spec.GetAccessLogging() {
		errs = append(errs, validateProviderRefs(p.Child("accessLogging").Index(i).Child("providers"), al.GetProviders())...)
	}
	for i, m := range spec.GetMetrics() {
		errs = append(errs, validateMetrics(p.Child("metrics").Index(i), m)...)
	}
	return errs
}

// validateProviderRefs: a provider is referred to by name, which mesh
// config defines; Istio reports only the first nameless one.
func validateProviderRefs(p *field.Path, refs []*telemetry.ProviderRef) field.ErrorList {
	for i, r := range refs {
		if r.GetName() == "" {
			return field.ErrorList{field.Required(p.Index(i), "a provider needs a name")}
		}
	}
	return nil
}

func validateTracing(p *field.Path, tr *telemetry.Tracing) field.ErrorList {
	errs := validateProviderRefs(p.Child("providers"), tr.GetProviders())
	if s := tr.GetRandomSamplingPercentage(); s != nil && (s.GetValue() < 0 || s.GetValue() > 100) {
		errs = append(errs, invalid(p.Child("randomSamplingPercentage"), s.GetValue(), "randomSamplingPercentage must be between 0 and 100, got %v", s.GetValue()))
	}
	for _, name := range sortedKeys(tr.GetCustomTags()) {
		errs = append(errs, validateCustomTag(p.Child("customTags").Key(name), name, tr.GetCustomTags()[name])...)
	}
	return errs
}

func validateCustomTag(p *field.Path, name string, tag *telemetry.Tracing_CustomTag) field.ErrorList {
	var missing string
	switch {
	case name == "":
		return field.ErrorList{invalid(p, name, "custom tag names must not be empty")}
	case tag.GetLiteral() != nil && tag.GetLiteral().GetValue() == "":
		missing = "literal"
	case tag.GetHeader() != nil && tag.GetHeader().GetName() == "":
		missing = "header"
	case tag.GetEnvironment() != nil && tag.GetEnvironment().GetName() == "":
		missing = "environment"
	default:
		return nil
	}
	return field.ErrorList{field.Required(p.Child(missing), "custom tag "+strings.TrimSpace(name)+" needs a "+missing+" value or name")}
}

// validateMetrics: UPSERT sets a tag to a value, REMOVE drops it, so only
// UPSERT carries a value.
func validateMetrics(p *field.Path, m *telemetry.Metrics) field.ErrorList {
	errs := validateProviderRefs(p.Child("providers"), m.GetProviders())
	for i, o := range m.GetOverrides() {
		op := p.Child("overrides").Index(i)
		for _, name := range sortedKeys(o.GetTagOverrides()) {
			to := o.GetTagOverrides()[name]
			switch {
			case to.GetOperation() == telemetry.MetricsOverrides_TagOverride_UPSERT && to.GetValue() == "":
				errs = append(errs, field.Required(op.Child("tagOverrides").Key(name), "operation UPSERT needs a value"))
			case to.GetOperation() == telemetry.MetricsOverrides_TagOverride_REMOVE && to.GetValue() != "":
				errs = append(errs, field.Forbidden(op.Child("tagOverrides").Key(name).Child("value"), "operation REMOVE takes no value"))
			}
		}
		if cm, ok := o.GetMatch().GetMetricMatch().(*telemetry.MetricSelector_CustomMetric); ok && cm.CustomMetric == "" {
			errs = append(errs, field.Required(op.Child("match").Child("customMetric"), "customMetric must not be empty"))
		}
	}
	return errs
}

func validateWasmPlugin(wp *extensionsv1alpha1.WasmPlugin) field.ErrorList {
	spec, p := &wp.Spec, field.NewPath("spec")
	errs := validateMatchLabels(p.Child("selector"), spec.GetSelector())
	errs = append(errs, validateWasmModule(p, wasmModule{spec.GetUrl(), spec.GetSha256(), spec.GetImagePullSecret(), spec.GetPluginName(), spec.GetVmConfig()})...)
	for i, m := range spec.GetMatch() {
		errs = append(errs, validateSelectorPorts(p.Child("match").Index(i).Child("ports"), m.GetPorts())...)
	}
	return errs
}

// validateTrafficExtension: an extension runs either a Wasm module or Lua
// code (the two are a oneof, so both is a decode error).
func validateTrafficExtension(te *extensionsv1alpha1.TrafficExtension) field.ErrorList {
	spec, p := &te.Spec, field.NewPath("spec")
	errs := validateMatchLabels(p.Child("selector"), spec.GetSelector())
	switch {
	case spec.GetWasm() != nil:
		w := spec.GetWasm()
		errs = append(errs, validateWasmModule(p.Child("wasm"), wasmModule{w.GetUrl(), w.GetSha256(), w.GetImagePullSecret(), w.GetPluginName(), w.GetVmConfig()})...)
	case spec.GetLua() != nil:
		errs = append(errs, validateLua(p.Child("lua").Child("inlineCode"), spec.GetLua().GetInlineCode())...)
	default:
		errs = append(errs, field.Required(p, "a TrafficExtension needs wasm or lua"))
	}
	for i, m := range spec.GetMatch() {
		errs = append(errs, validateSelectorPorts(p.Child("match").Index(i).Child("ports"), m.GetPorts())...)
	}
	return errs
}

// maxLuaCode is the most inline Lua Istio passes to Envoy.
const maxLuaCode = 64 << 10

func validateLua(p *field.Path, code string) field.ErrorList {
	switch {
	case code == "":
		return field.ErrorList{field.Required(p, "lua inlineCode must not be empty")}
	case len(code) > maxLuaCode:
		return field.ErrorList{field.TooLong(p, "", maxLuaCode)}
	}
	return nil
}

func validateSelectorPorts(p *field.Path, ports []*typev1beta1.PortSelector) field.ErrorList {
	var errs field.ErrorList
	for i, port := range ports {
		errs = append(errs, validatePort(p.Index(i).Child("number"), port.GetNumber())...)
	}
	return errs
}

// wasmModule holds what WasmPlugin and a TrafficExtension's wasm share.
type wasmModule struct {
	url, sha256, pullSecret, pluginName string
	vm                                  *extensions.VmConfig
}

func validateWasmModule(p *field.Path, m wasmModule) field.ErrorList {
	errs := validateWasmURL(p.Child("url"), p, m.url)
	errs = append(errs, validateSHA256(p.Child("sha256"), m.sha256)...)
	if len(m.pullSecret) > 253 {
		errs = append(errs, field.TooLong(p.Child("imagePullSecret"), "", 253))
	}
	if len(m.pluginName) > 256 {
		errs = append(errs, field.TooLong(p.Child("pluginName"), "", 256))
	}
	return append(errs, validateVMEnv(p.Child("vmConfig").Child("env"), m.vm.GetEnv())...)
}

// validateWasmURL: the module is fetched from a file, an HTTP(S) server or
// an OCI registry; a URL without scheme is taken as OCI.
func validateWasmURL(p, parent *field.Path, raw string) field.ErrorList {
	if raw == "" {
		return field.ErrorList{field.Required(parent, "url is required")}
	}
	u, err := url.ParseRequestURI(raw)
	if err != nil {
		// Without a scheme it is a registry reference (registry/repo:tag).
		if _, err := url.ParseRequestURI("http://" + raw); err != nil {
			return field.ErrorList{invalid(p, raw, "url %q cannot be parsed", raw)}
		}
		return nil
	}
	switch u.Scheme {
	case "", "file", "http", "https", "oci":
		return nil
	}
	return field.ErrorList{invalid(p, raw, "url scheme %q is not supported, want file, http, https or oci", u.Scheme)}
}

func validateSHA256(p *field.Path, sum string) field.ErrorList {
	if sum == "" {
		return nil
	}
	if len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
		return field.ErrorList{invalid(p, sum, "sha256 must be 64 lower-case hex digits")}
	}
	return nil
}

// validateVMEnv: env names are unique, and only INLINE variables carry a
// value (HOST ones take the proxy's own). Istio stops at the first error.
func validateVMEnv(p *field.Path, env []*extensions.EnvVar) field.ErrorList {
	seen := map[string]bool{}
	for i, e := range env {
		ep := p.Index(i)
		switch {
		case e.GetName() == "":
			return field.ErrorList{field.Required(ep, "env vars need a name")}
		case len(e.GetName()) > 256:
			return field.ErrorList{field.TooLong(ep.Child("name"), "", 256)}
		case seen[e.GetName()]:
			return field.ErrorList{duplicate(ep.Child("name"), e.GetName(), "duplicate env var %q", e.GetName())}
		case e.GetValueFrom() != extensions.EnvValueSource_INLINE && e.GetValue() != "":
			return field.ErrorList{field.Forbidden(ep.Child("value"), "value is only allowed with valueFrom INLINE")}
		}
		seen[e.GetName()] = true
	}
	return nil
}
