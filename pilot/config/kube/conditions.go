package kube

import (
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

// ConditionAccepted is the condition weft maintains on the resources it
// reports on, like Gateway API's Accepted.
const ConditionAccepted = "Accepted"

// StatusKinds are the kinds whose status weft writes: all of Istio's, so
// that a kind weft does not implement says so where users look.
var StatusKinds = istioKinds()

func istioKinds() []string {
	var out []string
	for _, k := range config.KindInfos() {
		if k.Istio {
			out = append(out, k.Name)
		}
	}
	return out
}

// ReasonNotSupported is the Accepted=False reason of a kind weft does not implement.
const ReasonNotSupported = "NotSupported"

// DesiredConditions computes each object's Accepted condition: False with
// the error's reason when weft rejected the resource, True with a warning
// reason when weft uses it minus some part, True/Accepted otherwise.
func DesiredConditions(objs []config.Resource, errs []*config.Error, diags []mesh.Diagnostic) map[config.Key]metav1.Condition {
	errsBy := map[config.Key][]string{}
	errReason := map[config.Key]string{}
	for _, e := range errs {
		k := e.Key()
		errsBy[k] = append(errsBy[k], fieldMessage(e.Field, e.Message))
		if errReason[k] == "" || e.Reason == config.ReasonMissingSubset {
			errReason[k] = orDefault(e.Reason, config.ReasonInvalid)
		}
	}
	warnsBy := map[config.Key][]string{}
	warnReason := map[config.Key]string{}
	for _, d := range diags {
		k := config.Key{Kind: d.Ref.Kind, Namespace: d.Ref.Namespace, Name: d.Ref.Name}
		if d.Rejected() { // left out entirely: Accepted=False, like a validation error
			errsBy[k] = append(errsBy[k], fieldMessage(d.Field, d.Message))
			errReason[k] = d.Reason
			continue
		}
		warnsBy[k] = append(warnsBy[k], fieldMessage(d.Field, d.Message))
		if warnReason[k] == "" {
			warnReason[k] = d.Reason
		}
	}
	out := make(map[config.Key]metav1.Condition, len(objs))
	for _, o := range objs {
		k := config.KeyOf(o)
		c := metav1.Condition{Type: ConditionAccepted, Status: metav1.ConditionTrue, Reason: "Accepted",
			Message: "weft serves this resource", ObservedGeneration: o.GetGeneration()}
		switch {
		case !config.Implemented(k.Kind):
			c.Status, c.Reason = metav1.ConditionFalse, ReasonNotSupported
			c.Message = k.Kind + " is not supported by weft: it is stored but changes no proxy's configuration"
		case len(errsBy[k]) > 0:
			c.Status, c.Reason, c.Message = metav1.ConditionFalse, errReason[k], joinMessages(errsBy[k])
		case len(warnsBy[k]) > 0:
			c.Reason, c.Message = warnReason[k], joinMessages(warnsBy[k])
		}
		out[k] = c
	}
	return out
}

func fieldMessage(field, msg string) string {
	if field == "" {
		return msg
	}
	return field + ": " + msg
}

// joinMessages keeps the message within the API's 32 KiB limit and stable
// across runs, so an unchanged problem never causes a status write.
func joinMessages(msgs []string) string {
	sort.Strings(msgs)
	out := strings.Join(msgs, "; ")
	if len(out) > 4000 {
		out = out[:4000] + "…"
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// conditionCurrent reports whether existing already says what c says.
func conditionCurrent(existing []metav1.Condition, c metav1.Condition) bool {
	for _, e := range existing {
		if e.Type == c.Type {
			return e.Status == c.Status && e.Reason == c.Reason && e.Message == c.Message && e.ObservedGeneration == c.ObservedGeneration
		}
	}
	return false
}
