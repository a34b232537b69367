package main

import (
	"encoding/json"
	"testing"
)

// The routes table shows each weighted cluster's share of traffic: its
// weight over the sum of the weights, which need not be 100.
func TestRouteActionShares(t *testing.T) {
	for _, tc := range []struct{ route, want string }{
		{`{"route": {"cluster": "a"}}`, "a"},
		{`{"route": {"weightedClusters": {"clusters": [{"name": "a", "weight": 90}, {"name": "b", "weight": 10}]}}}`, "a 90%, b 10%"},
		{`{"route": {"weightedClusters": {"clusters": [{"name": "a", "weight": 60}, {"name": "b", "weight": 30}]}}}`, "a 66.67%, b 33.33%"},
		{`{"route": {"weightedClusters": {"clusters": [{"name": "a", "weight": 1}, {"name": "b", "weight": 1}, {"name": "c", "weight": 1}]}}}`, "a 33.33%, b 33.33%, c 33.33%"},
		{`{"redirect": {"pathRedirect": "/x"}}`, "redirect"},
	} {
		var r map[string]any
		if err := json.Unmarshal([]byte(tc.route), &r); err != nil {
			t.Fatal(err)
		}
		if got := routeAction(r); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.route, got, tc.want)
		}
	}
}
