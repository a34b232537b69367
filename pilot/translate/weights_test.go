package translate

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/weftmesh/weft/pilot/mesh"
)

// Translation writes each destination's weight into the IR once, by
// mesh.NormalizedWeight; generators only copy it.
func TestDestinationWeightsNormalized(t *testing.T) {
	tests := []struct {
		name    string
		written []int32
		want    []uint32
	}{
		{"lone destination, weight omitted", []int32{0}, []uint32{100}},
		{"lone destination, weight given", []int32{40}, []uint32{100}},
		{"split", []int32{90, 10}, []uint32{90, 10}},
		{"split not summing to 100 is kept as written", []int32{60, 30}, []uint32{60, 30}},
		{"standby destination kept at 0", []int32{100, 0}, []uint32{100, 0}},
	}
	c := converter{t: &translator{}, vs: &boundVS{vs: &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "ns"}}}}
	for _, tt := range tests {
		var http []*networking.HTTPRouteDestination
		var tcp []*networking.RouteDestination
		for i, w := range tt.written {
			d := &networking.Destination{Host: "svc", Subset: "v" + itoa(i)}
			http = append(http, &networking.HTTPRouteDestination{Destination: d, Weight: w})
			tcp = append(tcp, &networking.RouteDestination{Destination: d, Weight: w})
		}
		if got := weights(c.destinations(http)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: http weights %v, want %v", tt.name, got, tt.want)
		}
		if got := weights(c.tcpRoutes(&networking.TCPRoute{Route: tcp}, 0)[0].Destinations); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: tcp weights %v, want %v", tt.name, got, tt.want)
		}
	}
}

func weights(ds []mesh.Destination) []uint32 {
	out := make([]uint32, len(ds))
	for i, d := range ds {
		out[i] = d.Weight
	}
	return out
}
