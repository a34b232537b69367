package guard

import (
	"testing"

	"github.com/weftmesh/weft/pilot/pipeline"
	"github.com/weftmesh/weft/pilot/translate"
)

// BenchmarkTranslate compares weftd's guarded translation of a valid mesh
// with translation alone: the difference is what checking every cluster
// and the probe sidecars' listeners costs per push.
func BenchmarkTranslate(b *testing.B) {
	s := pipeline.Synthetic(pipeline.SyntheticOptions{Services: 200, PodsPerService: 4, Namespaces: 10, CanaryWeightToV2: 10})
	b.Run("translate", func(b *testing.B) {
		for b.Loop() {
			translate.Translate(s, "bench")
		}
	})
	b.Run("guarded", func(b *testing.B) {
		for b.Loop() {
			Translate(s, "bench")
		}
	})
}
