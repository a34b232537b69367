package simulate

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Share is how many of a sample of requests one cluster receives.
type Share struct {
	Cluster string `json:"cluster"`
	Count   int    `json:"count"`
}

// Sample splits n requests over the result's clusters by their
// probabilities, deterministically (largest remainder), so the same
// config always gives the same numbers: what `--sample N` prints.
func Sample(r *Result, n int) []Share {
	cs := r.Action.Clusters
	out := make([]Share, len(cs))
	type rem struct {
		i    int
		frac float64
	}
	rems := make([]rem, len(cs))
	given := 0
	for i, c := range cs {
		exact := c.Probability * float64(n)
		out[i] = Share{Cluster: c.Name, Count: int(math.Floor(exact))}
		given += out[i].Count
		rems[i] = rem{i, exact - math.Floor(exact)}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].frac > rems[b].frac })
	for k := 0; given < n && k < len(rems); k++ {
		if rems[k].frac > 0 {
			out[rems[k].i].Count++
			given++
		}
	}
	return out
}

// Text renders the trace one line per stage, then the outcome.
func (r *Result) Text() string {
	var b strings.Builder
	for _, s := range r.Trace {
		fmt.Fprintf(&b, "%-13s %s\n", s.Stage, s.Detail)
	}
	if r.Failure != nil {
		fmt.Fprintf(&b, "%-13s %s\n", "result", r.Failure)
		return b.String()
	}
	for _, c := range r.Action.Clusters {
		fmt.Fprintf(&b, "%-13s %s (%.1f%%)\n", "result", c.Name, c.Probability*100)
	}
	return b.String()
}
