package translate

import (
	"slices"
	"strings"
	"testing"
)

func TestOptionsFromMeshConfig(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       Options
		err        string
	}{
		{name: "empty keeps Istio's defaults", yaml: ""},
		{name: "the three defaults", yaml: "defaultVirtualServiceExportTo: [\".\"]\ndefaultDestinationRuleExportTo: [\".\", istio-system]\ndefaultServiceExportTo: [\"*\"]\n",
			want: Options{DefaultVirtualServiceExportTo: []string{"."}, DefaultDestinationRuleExportTo: []string{".", "istio-system"}, DefaultServiceExportTo: []string{"*"}}},
		{name: "other settings are not translation options", yaml: "accessLogFile: /dev/stdout\nrootNamespace: istio-system\nsomethingNew: 1\n"},
		{name: "a list must be a list", yaml: "defaultServiceExportTo: 3\n", err: "mesh config"},
		{name: "not YAML", yaml: "a: [", err: "mesh config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := OptionsFromMeshConfig([]byte(tc.yaml))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.DefaultVirtualServiceExportTo, tc.want.DefaultVirtualServiceExportTo) ||
				!slices.Equal(got.DefaultDestinationRuleExportTo, tc.want.DefaultDestinationRuleExportTo) ||
				!slices.Equal(got.DefaultServiceExportTo, tc.want.DefaultServiceExportTo) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
