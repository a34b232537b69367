// Package istioprobe runs feature goldens' simulate.yaml cases against
// istiod itself: the Kubernetes objects of a feature's input.yaml go to a
// kubeenv control plane, its Istio objects to istiod's --configDir, and
// each case's request is simulated on the xDS istiod sends that case's
// proxy. It shows where weft's behaviour and istiod's part.
//
// It is opt-in (build tag istioprobe) and needs istiod's binary
// (../shared/tools/istio-bin.sh builds /tmp/istio-bin/pilot-discovery):
//
//	go test -tags istioprobe ./tests/istioprobe -v
//	PROBE_FEATURES=sidecar-ingress,inbound-catchall go test -tags istioprobe ./tests/istioprobe -v
package istioprobe
