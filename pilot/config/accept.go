package config

// Accept decides which resources of candidate go live, so that a bad
// document never takes down good config: every resource named by an error
// in errs is replaced by its version in prev (the last accepted snapshot),
// or dropped if prev had none; everything else is taken from candidate.
// Errors not tied to one resource (no kind or name) change nothing. Accept
// is pure: prev and candidate are not modified (prev may be nil).
func Accept(prev, candidate *Snapshot, errs []*Error) *Snapshot {
	bad := map[Key]bool{}
	for _, e := range errs {
		if e.Kind != "" && e.Name != "" {
			bad[e.Key()] = true
		}
	}
	old := prev.Index()
	b := NewBuilder()
	candidate.Each(func(o Object) {
		if !bad[o.Key] {
			b.Add(o)
		}
	})
	// Broken resources keep their last accepted version, even when the
	// broken one did not make it into candidate at all (it failed to decode).
	for key := range bad {
		if o, ok := old[key]; ok {
			b.Add(o)
		}
	}
	return b.Finish()
}
