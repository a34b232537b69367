package translate

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	meshconfig "istio.io/api/mesh/v1alpha1"
	sigsyaml "sigs.k8s.io/yaml"
)

// OptionsFromMeshConfig reads the MeshConfig settings translation follows
// from Istio's mesh config (the "mesh" key of the istio ConfigMap, as
// istiod's --meshConfig file). Options.Unread names the fields set that
// weft does not act on.
func OptionsFromMeshConfig(data []byte) (Options, error) {
	j, err := sigsyaml.YAMLToJSON(data)
	if err != nil {
		return Options{}, fmt.Errorf("mesh config: %w", err)
	}
	mc := &meshconfig.MeshConfig{}
	if string(j) == "null" { // an empty file: Istio's defaults
		return Options{}, nil
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(j, mc); err != nil {
		return Options{}, fmt.Errorf("mesh config: %w", err)
	}
	opts := Options{
		DefaultVirtualServiceExportTo:  mc.GetDefaultVirtualServiceExportTo(),
		DefaultDestinationRuleExportTo: mc.GetDefaultDestinationRuleExportTo(),
		DefaultServiceExportTo:         mc.GetDefaultServiceExportTo(),
	}
	return opts, readMeshFields(mc, j, &opts)
}
