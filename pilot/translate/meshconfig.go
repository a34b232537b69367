package translate

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	meshconfig "istio.io/api/mesh/v1alpha1"
	sigsyaml "sigs.k8s.io/yaml"
)

// OptionsFromMeshConfig reads the MeshConfig settings translation follows
// from Istio's mesh config (the "mesh" key of the istio ConfigMap, as
// istiod's --meshConfig file). Fields weft does not read are ignored.
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
	return Options{
		DefaultVirtualServiceExportTo:  mc.GetDefaultVirtualServiceExportTo(),
		DefaultDestinationRuleExportTo: mc.GetDefaultDestinationRuleExportTo(),
		DefaultServiceExportTo:         mc.GetDefaultServiceExportTo(),
	}, nil
}
