// Command fieldcover reports which fields of the Istio networking API
// (istio.io/api as pinned in go.mod) the valid documents of the networking
// corpus set, and which they leave unset.
//
//	go run ./tests/corpus/networking/fieldcover [-all] [DIR]
//
// It reads every *.yaml under DIR (default tests/corpus/networking), keeps
// the documents annotated "# verdict: valid" or "# verdict: warning" and
// those marked "# api-skew:" (valid in the pinned istio.io/api, rejected by
// an older istioctl), skips those marked "# surprise:", decodes
// their spec into the Istio proto message for the kind, and lists every field
// of every message reachable from the kind's spec message, as Message.field
// (well-known wrapper and Duration types count as leaves; a message met at
// several places, like TrafficPolicy, is counted once). Each enum value counts
// as a field of its own (Message.field=VALUE). It prints the uncovered fields
// per kind; -all prints the covered ones too. Fields the istioctl used
// refuses outright (see refused) are listed as REFUSED. It exits 1 when
// another field is uncovered or a document does not decode.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	networking "istio.io/api/networking/v1alpha3"
	"sigs.k8s.io/yaml"
)

var kinds = map[string]func() proto.Message{
	"VirtualService":  func() proto.Message { return &networking.VirtualService{} },
	"DestinationRule": func() proto.Message { return &networking.DestinationRule{} },
	"ServiceEntry":    func() proto.Message { return &networking.ServiceEntry{} },
	"WorkloadEntry":   func() proto.Message { return &networking.WorkloadEntry{} },
	"WorkloadGroup":   func() proto.Message { return &networking.WorkloadGroup{} },
	"Sidecar":         func() proto.Message { return &networking.Sidecar{} },
	"Gateway":         func() proto.Message { return &networking.Gateway{} },
}

// refused lists, per kind, the fields the istioctl used (≈1.31) refuses in
// every document, so that no valid document can set them; invalid-*.yaml
// documents show each refusal. They are reported but do not fail the run.
var refused = map[string]map[string]string{
	"VirtualService": {
		"HTTPFaultInjection.Abort.http2Error":       "HTTP/2 abort fault injection not supported yet",
		"HTTPFaultInjection.Delay.exponentialDelay": "exponentialDelay not supported yet",
	},
	"Gateway": {
		"Port.targetPort": "targetPort has no impact on Gateways",
	},
	"Sidecar": {
		"SidecarPort.targetPort":                             "targetPort has no impact on Sidecars",
		"ServerTLSSettings.TLSCertificate.caCertificates":    "tls_certificates is not currently supported",
		"ServerTLSSettings.TLSCertificate.privateKey":        "tls_certificates is not currently supported",
		"ServerTLSSettings.TLSCertificate.serverCertificate": "tls_certificates is not currently supported",
		"ServerTLSSettings.credentialName":                   "credentialName is not currently supported",
		"ServerTLSSettings.credentialNames":                  "credentialNames is not currently supported",
		"ServerTLSSettings.httpsRedirect":                    "httpsRedirect is not supported",
		"ServerTLSSettings.subjectAltNames":                  "subjectAltNames is not supported in ingress tls",
		"ServerTLSSettings.mode=AUTO_PASSTHROUGH":            "cannot set mode to AUTO_PASSTHROUGH in sidecar ingress tls",
		"ServerTLSSettings.mode=ISTIO_MUTUAL":                "cannot set mode to ISTIO_MUTUAL in sidecar ingress tls",
	},
	"WorkloadGroup": {
		"GrpcHealthCheckConfig.port":    "unknown health check method *v1alpha3.ReadinessProbe_Grpc",
		"GrpcHealthCheckConfig.service": "unknown health check method *v1alpha3.ReadinessProbe_Grpc",
	},
}

func isLeafMessage(md protoreflect.MessageDescriptor) bool {
	return strings.HasPrefix(string(md.FullName()), "google.protobuf.")
}

// all lists every field of md and of every message reachable from it, as
// Message.field (Message.field=VALUE for each value of an enum field).
func all(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool, out map[string]bool) {
	if seen[md.FullName()] {
		return
	}
	seen[md.FullName()] = true
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		p := key(md, f)
		if f.IsMap() {
			f = f.MapValue()
		}
		switch {
		case f.Kind() == protoreflect.EnumKind:
			vals := f.Enum().Values()
			for j := 0; j < vals.Len(); j++ {
				out[p+"="+string(vals.Get(j).Name())] = true
			}
		case f.Kind() == protoreflect.MessageKind && !isLeafMessage(f.Message()):
			if f.Message().Fields().Len() == 0 {
				out[p] = true
			}
			all(f.Message(), seen, out)
		default:
			out[p] = true
		}
	}
}

// key names a field by its message (without the package) and JSON name.
func key(md protoreflect.MessageDescriptor, f protoreflect.FieldDescriptor) string {
	name := strings.TrimPrefix(string(md.FullName()), string(md.ParentFile().Package())+".")
	return name + "." + f.JSONName()
}

func set(m protoreflect.Message, out map[string]bool) {
	md := m.Descriptor()
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		p := key(md, fd)
		switch {
		case fd.IsMap():
			vd := fd.MapValue()
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				value(vd, mv, p, out)
				return true
			})
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				value(fd, l.Get(i), p, out)
			}
		default:
			value(fd, v, p, out)
		}
		return true
	})
}

func value(fd protoreflect.FieldDescriptor, v protoreflect.Value, p string, out map[string]bool) {
	switch {
	case fd.Kind() == protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			out[p+"="+string(ev.Name())] = true
		}
	case fd.Kind() == protoreflect.MessageKind && !isLeafMessage(fd.Message()):
		if fd.Message().Fields().Len() == 0 {
			out[p] = true
		}
		set(v.Message(), out)
	default:
		out[p] = true
	}
}

// zeroEnums marks the zero value of an enum field as covered when the
// document's text spells it ("field: VALUE"): a proto3 zero value is not
// "set" and so invisible to set().
func zeroEnums(md protoreflect.MessageDescriptor, text string, out map[string]bool) {
	want := map[string]bool{}
	all(md, map[protoreflect.FullName]bool{}, want)
	for k := range want {
		i := strings.LastIndex(k, "=")
		if i < 0 {
			continue
		}
		j := strings.LastIndex(k[:i], ".")
		if strings.Contains(text, k[j+1:i]+": "+k[i+1:]+"\n") {
			out[k] = true
		}
	}
}

// docs splits a YAML stream on lines that are exactly "---".
func docs(b []byte) [][]byte {
	var res [][]byte
	var cur bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		if strings.TrimRight(sc.Text(), " ") == "---" {
			res = append(res, append([]byte(nil), cur.Bytes()...))
			cur.Reset()
			continue
		}
		cur.Write(sc.Bytes())
		cur.WriteByte('\n')
	}
	return append(res, cur.Bytes())
}

func main() {
	showAll := flag.Bool("all", false, "print covered paths too")
	flag.Parse()
	dir := "tests/corpus/networking"
	if flag.NArg() > 0 {
		dir = flag.Arg(0)
	}
	covered := map[string]map[string]bool{}
	bad := false
	_ = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, d := range docs(b) {
			s := string(d)
			// api-skew documents are valid in weft's API though the
			// istioctl used rejects them; surprise documents are about
			// istioctl's leniency, not coverage.
			if strings.Contains(s, "# surprise:") {
				continue
			}
			if !strings.Contains(s, "# verdict: valid") && !strings.Contains(s, "# verdict: warning") &&
				!strings.Contains(s, "# api-skew:") {
				continue
			}
			var obj struct {
				Kind string         `json:"kind"`
				Spec map[string]any `json:"spec"`
			}
			if err := yaml.Unmarshal(d, &obj); err != nil {
				fmt.Fprintf(os.Stderr, "%s doc %d: %v\n", path, i, err)
				bad = true
				continue
			}
			mk := kinds[obj.Kind]
			if mk == nil {
				continue
			}
			js, _ := yaml.Marshal(obj.Spec)
			js, _ = yaml.YAMLToJSON(js)
			m := mk()
			// the generated UnmarshalJSON (jsonpb), like Istio's own
			// decoding, takes Go durations such as "250ms" and "3m"
			if err := json.Unmarshal(js, m); err != nil {
				fmt.Fprintf(os.Stderr, "%s doc %d (%s): %v\n", path, i, obj.Kind, err)
				bad = true
				continue
			}
			if covered[obj.Kind] == nil {
				covered[obj.Kind] = map[string]bool{}
			}
			set(m.ProtoReflect(), covered[obj.Kind])
			zeroEnums(m.ProtoReflect().Descriptor(), s, covered[obj.Kind])
		}
		return nil
	})
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		want := map[string]bool{}
		all(kinds[k]().ProtoReflect().Descriptor(), map[protoreflect.FullName]bool{}, want)
		var miss, have, ref []string
		for p := range want {
			switch {
			case covered[k][p]:
				have = append(have, p)
			case refused[k][p] != "":
				ref = append(ref, p)
			default:
				miss = append(miss, p)
			}
		}
		sort.Strings(ref)
		sort.Strings(miss)
		sort.Strings(have)
		fmt.Printf("%s: %d/%d fields covered, %d refused by istioctl, %d missing\n", k, len(have), len(want), len(ref), len(miss))
		for _, p := range miss {
			fmt.Printf("  MISSING %s\n", p)
		}
		for _, p := range ref {
			fmt.Printf("  REFUSED %s (%s)\n", p, refused[k][p])
		}
		if *showAll {
			for _, p := range have {
				fmt.Printf("  ok      %s\n", p)
			}
		}
		if len(miss) > 0 {
			bad = true
		}
	}
	if bad {
		os.Exit(1)
	}
}
