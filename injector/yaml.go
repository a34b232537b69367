package injector

import (
	"bytes"
	"fmt"
	"regexp"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// docSep splits multi-document YAML the way kubectl does: a line that is
// exactly "---" (optionally followed by spaces or a comment).
var docSep = regexp.MustCompile(`(?m)^---[ \t]*(#.*)?$`)

// InjectYAML is kube-inject: every Pod, Deployment, StatefulSet, DaemonSet,
// ReplicaSet, Job and CronJob in the (multi-document) YAML gets the sidecar
// on its pod template; other documents pass through unchanged. An error
// names the document (1-based) and object.
func InjectYAML(in []byte, s Settings) ([]byte, error) {
	var out [][]byte
	for i, doc := range docSep.Split(string(in), -1) {
		if len(bytes.TrimSpace([]byte(doc))) == 0 {
			continue
		}
		res, err := injectDoc([]byte(doc), s)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		out = append(out, bytes.TrimRight(res, "\n"))
	}
	return append(bytes.Join(out, []byte("\n---\n")), '\n'), nil
}

func injectDoc(doc []byte, s Settings) ([]byte, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, fmt.Errorf("not YAML: %w", err)
	}
	obj := newWorkload(tm.Kind)
	if obj == nil {
		return doc, nil
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	if err := injectWorkload(obj, s); err != nil {
		return nil, err
	}
	b, err := yaml.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding: %w", tm.Kind, err)
	}
	return b, nil
}

func newWorkload(kind string) any {
	switch kind {
	case "Pod":
		return &corev1.Pod{}
	case "Deployment":
		return &appsv1.Deployment{}
	case "StatefulSet":
		return &appsv1.StatefulSet{}
	case "DaemonSet":
		return &appsv1.DaemonSet{}
	case "ReplicaSet":
		return &appsv1.ReplicaSet{}
	case "Job":
		return &batchv1.Job{}
	case "CronJob":
		return &batchv1.CronJob{}
	}
	return nil
}

// injectWorkload injects the object's pod template in place.
func injectWorkload(obj any, s Settings) error {
	if pod, ok := obj.(*corev1.Pod); ok {
		out, err := Inject(pod, s)
		if err != nil {
			return fmt.Errorf("pod %s: %w", pod.Name, err)
		}
		*pod = *out
		return nil
	}
	meta, tmpl := podTemplate(obj)
	// The template has no name; the workload's stands in for it, as the
	// webhook derives it from the generated pod name.
	pod := &corev1.Pod{ObjectMeta: tmpl.ObjectMeta, Spec: tmpl.Spec}
	pod.Name, pod.Namespace = meta.Name, meta.Namespace
	out, err := Inject(pod, s)
	if err != nil {
		return fmt.Errorf("%s: %w", meta.Name, err)
	}
	out.Name, out.Namespace = tmpl.Name, tmpl.Namespace
	tmpl.ObjectMeta, tmpl.Spec = out.ObjectMeta, out.Spec
	return nil
}

func podTemplate(obj any) (*metav1.ObjectMeta, *corev1.PodTemplateSpec) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return &o.ObjectMeta, &o.Spec.Template
	case *appsv1.StatefulSet:
		return &o.ObjectMeta, &o.Spec.Template
	case *appsv1.DaemonSet:
		return &o.ObjectMeta, &o.Spec.Template
	case *appsv1.ReplicaSet:
		return &o.ObjectMeta, &o.Spec.Template
	case *batchv1.Job:
		return &o.ObjectMeta, &o.Spec.Template
	case *batchv1.CronJob:
		return &o.ObjectMeta, &o.Spec.JobTemplate.Spec.Template
	}
	panic(fmt.Sprintf("podTemplate: unexpected %T", obj)) // newWorkload's kinds only
}
