package memlimit

import (
	"math"
	"os"
	"runtime/debug"
	"strings"
	"testing"
	"testing/fstest"
)

func TestContainer(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   map[string]string
		want    int64
		wantErr bool
	}{
		{"cgroup v2 limit", map[string]string{"sys/fs/cgroup/memory.max": "1073741824\n"}, 1 << 30, false},
		{"cgroup v2 unlimited", map[string]string{"sys/fs/cgroup/memory.max": "max\n"}, 0, false},
		{"cgroup v1 limit", map[string]string{"sys/fs/cgroup/memory/memory.limit_in_bytes": "536870912\n"}, 512 << 20, false},
		{"cgroup v1 unlimited", map[string]string{"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, 0, false},
		{"v2 wins over v1", map[string]string{"sys/fs/cgroup/memory.max": "100", "sys/fs/cgroup/memory/memory.limit_in_bytes": "200"}, 100, false},
		{"no cgroup files", map[string]string{}, 0, false},
		{"garbage", map[string]string{"sys/fs/cgroup/memory.max": "lots"}, 0, true},
		{"negative", map[string]string{"sys/fs/cgroup/memory.max": "-1"}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for p, c := range tc.files {
				fsys[p] = &fstest.MapFile{Data: []byte(c)}
			}
			got, err := Container(fsys)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("Container = %d, %v; want %d, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestApplySetsTheSoftLimit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	fsys := fstest.MapFS{"sys/fs/cgroup/memory.max": {Data: []byte("1000000000")}}
	r, err := Apply(fsys)
	if err != nil || r.Container != 1e9 || r.Soft != 9e8 {
		t.Fatalf("Apply = %+v, %v; want a 9e8 soft limit from 1e9", r, err)
	}
	if got := debug.SetMemoryLimit(-1); got != 9e8 {
		t.Errorf("the runtime's soft limit is %d, want 9e8", got)
	}
}

func TestApplyLeavesAnExplicitLimitAndNoLimitAlone(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	debug.SetMemoryLimit(math.MaxInt64)
	t.Setenv("GOMEMLIMIT", "300MiB")
	if r, _ := Apply(fstest.MapFS{"sys/fs/cgroup/memory.max": {Data: []byte("1000000000")}}); r.Soft != 0 {
		t.Errorf("with GOMEMLIMIT set: %+v, want nothing set", r)
	}
	t.Setenv("GOMEMLIMIT", "")
	if r, _ := Apply(fstest.MapFS{"sys/fs/cgroup/memory.max": {Data: []byte("max")}}); r.Soft != 0 {
		t.Errorf("without a container limit: %+v, want nothing set", r)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("the runtime's soft limit changed to %d", got)
	}
}

func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestApplyGCPercent(t *testing.T) {
	defer debug.SetGCPercent(gcPercent())
	debug.SetGCPercent(100)
	t.Setenv("GOGC", "")
	os.Unsetenv("GOGC")
	if got := ApplyGCPercent(); !strings.Contains(got, "40") || gcPercent() != GCPercent {
		t.Errorf("without GOGC: %q, percent %d; want %d", got, gcPercent(), GCPercent)
	}
	debug.SetGCPercent(100)
	t.Setenv("GOGC", "200")
	if got := ApplyGCPercent(); got != "GOGC=200 is set" || gcPercent() != 100 {
		t.Errorf("with GOGC=200: %q, percent %d; want it left alone (100)", got, gcPercent())
	}
}
