// Package memlimit derives Go's soft memory limit from the container's
// memory limit, as istiod does: near the limit weftd collects garbage
// harder instead of being killed by the kernel.
package memlimit

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Share is the part of the container's limit given to Go's heap and
// stacks; the rest is left for the binary's pages and the runtime.
const Share = 0.9

// Paths where a container sees its own memory limit: cgroup v2 (its own
// cgroup namespace), then v1.
var paths = []string{"sys/fs/cgroup/memory.max", "sys/fs/cgroup/memory/memory.limit_in_bytes"}

// Result says what Apply did, for one log line.
type Result struct {
	Container int64 // the container's limit in bytes; 0 if none was found
	Soft      int64 // the soft limit set; 0 if none was set
	Reason    string
}

// Apply sets the soft memory limit to Share of the limit found under root
// ("/" in production) unless GOMEMLIMIT is set.
func Apply(root fs.FS) (Result, error) {
	if v := os.Getenv("GOMEMLIMIT"); v != "" {
		return Result{Reason: "GOMEMLIMIT=" + v + " is set"}, nil
	}
	limit, err := Container(root)
	if err != nil || limit == 0 {
		return Result{Reason: "no container memory limit"}, err
	}
	soft := int64(float64(limit) * Share)
	debug.SetMemoryLimit(soft)
	return Result{Container: limit, Soft: soft, Reason: fmt.Sprintf("%.0f%% of the container's limit", Share*100)}, nil
}

// Container returns the container's memory limit in bytes, 0 if there is
// none ("max", or v1's page-rounded "unlimited").
func Container(root fs.FS) (int64, error) {
	for _, p := range paths {
		b, err := fs.ReadFile(root, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("memory limit: %w", err)
		}
		return parse(p, string(b))
	}
	return 0, nil
}

func parse(path, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "max" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("memory limit: /%s: %q is not a byte count", path, s)
	}
	if n >= math.MaxInt64/2 { // cgroup v1 reports "unlimited" as a huge page multiple
		return 0, nil
	}
	return n, nil
}

// GCPercent is weftd's default GOGC. A proxy costs weftd a few KB that
// live for hours, and a push allocates far more that dies at once; at
// Go's default of 100 the heap grows to twice what is live between
// collections. 40 bounds that to 1.4x for about a second more CPU per
// 2000-proxy sync (docs/performance.md, "Load and abuse").
const GCPercent = 40

// ApplyGCPercent sets GCPercent unless GOGC is set; it says what it did.
func ApplyGCPercent() string {
	if v := os.Getenv("GOGC"); v != "" {
		return "GOGC=" + v + " is set"
	}
	debug.SetGCPercent(GCPercent)
	return "GOGC=" + strconv.Itoa(GCPercent) + " (weftd's default)"
}
