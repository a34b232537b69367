package config

import "testing"

func TestAccept(t *testing.T) {
	prev := build(t,
		Object{Resource: vs("default", "kept", "old"), Origin: Origin{"a.yaml", 0, 1}},
		Object{Resource: vs("default", "changed", "old")},
		Object{Resource: vs("default", "deleted", "old")},
		Object{Resource: vs("default", "broken-decode", "old")},
	)
	candidate := build(t,
		Object{Resource: vs("default", "kept", "new-but-invalid"), Origin: Origin{"a.yaml", 0, 5}},
		Object{Resource: vs("default", "changed", "new")},
		Object{Resource: vs("default", "added", "new")},
		Object{Resource: vs("default", "added-invalid", "new")},
	)
	errs := []*Error{
		{Kind: "VirtualService", Namespace: "default", Name: "kept", Message: "bad"},
		{Kind: "VirtualService", Namespace: "default", Name: "added-invalid", Message: "bad"},
		{Kind: "VirtualService", Namespace: "default", Name: "broken-decode", Message: "bad"},
		{File: "x.yaml", Message: "malformed YAML"}, // not tied to a resource: ignored
	}
	got := Accept(prev, candidate, errs)
	want := map[string]string{"added": "new", "broken-decode": "old", "changed": "new", "kept": "old"}
	if len(got.VirtualServices) != len(want) {
		t.Errorf("got %d VirtualServices, want %d", len(got.VirtualServices), len(want))
	}
	for _, v := range got.VirtualServices {
		if want[v.Name] != v.Spec.Hosts[0] {
			t.Errorf("%s: got host %q, want %q", v.Name, v.Spec.Hosts[0], want[v.Name])
		}
	}
	if o := got.Origins[Key{"VirtualService", "default", "kept"}]; o.Line != 1 {
		t.Errorf("a kept resource keeps its previous origin, got %+v", o)
	}
	if candidate.VirtualServices[3].Spec.Hosts[0] != "new-but-invalid" || len(prev.VirtualServices) != 4 {
		t.Error("Accept must not modify its inputs")
	}
}

func TestAcceptWithoutPrevious(t *testing.T) {
	candidate := build(t, Object{Resource: vs("default", "a", "h")}, Object{Resource: vs("default", "b", "h")})
	got := Accept(nil, candidate, []*Error{{Kind: "VirtualService", Namespace: "default", Name: "a"}})
	if len(got.VirtualServices) != 1 || got.VirtualServices[0].Name != "b" {
		t.Errorf("got %v, want only b", got.VirtualServices)
	}
}
