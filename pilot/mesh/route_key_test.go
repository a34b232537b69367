package mesh

import (
	"strings"
	"testing"
)

// ClusterKey.String renders into a stack buffer; hosts longer than the
// buffer must render the same, and the usual key costs one allocation.
func TestClusterKeyRendersOnce(t *testing.T) {
	long := strings.Repeat("a", 200) + ".example.com"
	for _, tt := range []struct {
		k    ClusterKey
		want string
	}{
		{ClusterKey{Direction: Outbound, Port: 9080, Subset: "v1", Host: "reviews.default.svc.cluster.local"}, "outbound|9080|v1|reviews.default.svc.cluster.local"},
		{ClusterKey{Direction: Inbound, Port: 80}, "inbound|80||"},
		{ClusterKey{Direction: Outbound, Port: 443, Host: long}, "outbound|443||" + long},
	} {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
	k := ClusterKey{Direction: Outbound, Port: 9080, Subset: "v1", Host: "reviews.default.svc.cluster.local"}
	if n := testing.AllocsPerRun(100, func() { _ = k.String() }); n > 1 {
		t.Errorf("String allocates %v times, want 1", n)
	}
}
