package translate

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networkingv1 "github.com/weftmesh/weft/apis/networking/v1"
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
		var http []networkingv1.HTTPRouteDestination
		var tcp []networkingv1.RouteDestination
		for i, w := range tt.written {
			d := networkingv1.Destination{Host: "svc", Subset: "v" + itoa(i)}
			http = append(http, networkingv1.HTTPRouteDestination{Destination: d, Weight: w})
			tcp = append(tcp, networkingv1.RouteDestination{Destination: d, Weight: w})
		}
		if got := weights(c.destinations(http)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: http weights %v, want %v", tt.name, got, tt.want)
		}
		if got := weights(c.tcpRoutes(&networkingv1.TCPRoute{Route: tcp}, 0)[0].Destinations); !reflect.DeepEqual(got, tt.want) {
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
