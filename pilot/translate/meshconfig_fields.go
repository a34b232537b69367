package translate

import (
	"encoding/json"
	"fmt"
	"slices"

	"google.golang.org/protobuf/reflect/protoreflect"
	meshconfig "istio.io/api/mesh/v1alpha1"

	"github.com/weftmesh/weft/pilot/mesh"
)

// meshFieldsRead are the MeshConfig fields (JSON names) weft acts on;
// every other field set is reported in Options.Unread, so no setting is
// ignored silently. trustDomainAliases is read by bootstrap.
var meshFieldsRead = map[string]bool{
	"defaultVirtualServiceExportTo": true, "defaultDestinationRuleExportTo": true, "defaultServiceExportTo": true,
	"localityLbSetting": true, "outboundTrafficPolicy": true, "trustDomain": true, "trustDomainAliases": true,
}

// readMeshFields sets the options beyond exportTo defaults and lists the
// fields weft does not act on.
func readMeshFields(mc *meshconfig.MeshConfig, j []byte, opts *Options) error {
	opts.LocalityLB = mc.GetLocalityLbSetting()
	opts.TrustDomain = mc.GetTrustDomain()
	opts.TrustDomainAliases = mc.GetTrustDomainAliases()
	registryOnly, err := outboundRegistryOnly(j)
	if err != nil {
		return err
	}
	opts.RegistryOnly = registryOnly
	opts.Unread = unreadMeshFields(mc)
	return nil
}

// outboundRegistryOnly reads outboundTrafficPolicy.mode. REGISTRY_ONLY is
// the enum's zero value, so only a mode written out can mean it: Istio
// lays the file over its defaults, where the mode is ALLOW_ANY.
func outboundRegistryOnly(j []byte) (bool, error) {
	var doc struct {
		OutboundTrafficPolicy struct {
			Mode json.RawMessage `json:"mode"`
		} `json:"outboundTrafficPolicy"`
	}
	if err := json.Unmarshal(j, &doc); err != nil {
		return false, fmt.Errorf("mesh config outboundTrafficPolicy: %w", err)
	}
	switch string(doc.OutboundTrafficPolicy.Mode) {
	case `"REGISTRY_ONLY"`, "0":
		return true, nil
	}
	return false, nil
}

// unreadMeshFields lists the fields set that weft does not act on, with a
// word on what weft does instead where it differs by design.
func unreadMeshFields(mc *meshconfig.MeshConfig) []string {
	var out []string
	mc.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		name := fd.JSONName()
		switch {
		case meshFieldsRead[name]:
		case name == "rootNamespace" && mc.GetRootNamespace() == RootNamespace:
		case name == "rootNamespace":
			out = append(out, "rootNamespace (weft's root namespace is "+RootNamespace+")")
		case name == "enableAutoMtls" && mc.GetEnableAutoMtls().GetValue():
		case name == "enableAutoMtls":
			out = append(out, "enableAutoMtls (weft always uses automatic mutual TLS)")
		default:
			out = append(out, name)
		}
		return true
	})
	slices.Sort(out)
	return out
}

// meshOutboundDefault makes MeshConfig REGISTRY_ONLY the default of
// namespaces no Sidecar covers, as istiod's default Sidecar scope takes
// the mesh's outbound policy: a root-namespace scope importing "*/*".
func (t *translator) meshOutboundDefault(sc *mesh.Scopes) {
	if !t.opts.RegistryOnly {
		return
	}
	for _, s := range sc.ByNamespace[RootNamespace] {
		if s.Selector == nil {
			return // the root Sidecar is the default, and inherits the mode
		}
	}
	sc.ByNamespace[RootNamespace] = append(sc.ByNamespace[RootNamespace], &mesh.Scope{
		Ref:   mesh.Ref{Kind: "MeshConfig", Namespace: RootNamespace, Name: "outboundTrafficPolicy"},
		Hosts: []mesh.HostPattern{{Namespace: "*", Host: "*"}}, RegistryOnly: true,
	})
}
