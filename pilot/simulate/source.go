package simulate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// FromConfigDump reads a proxy's resources from a config dump: Envoy's
// admin /config_dump ({"configs": [...]}, best fetched with ?include_eds
// so EDS endpoints are in it) or weftd's /debug/config_dump (type URL →
// resources). Listeners keep the dump's order.
func FromConfigDump(data []byte) (*Config, error) {
	top, err := topLevel(data)
	if err != nil {
		return nil, err
	}
	var c *Config
	if raw, ok := top["configs"]; ok {
		c, err = fromEnvoyDump(raw)
	} else {
		c, err = fromWeftDump(top)
	}
	if err != nil {
		return nil, err
	}
	if c.empty() {
		return nil, errors.New("empty config dump: no listeners, routes, clusters, endpoints or secrets")
	}
	return c, nil
}

// topLevel checks the bytes are one JSON object and splits it by key.
func topLevel(data []byte) (map[string]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("empty config dump: no JSON at all")
	}
	var probe json.RawMessage
	if err := json.Unmarshal(trimmed, &probe); err != nil {
		return nil, jsonError(err, len(trimmed))
	}
	if trimmed[0] != '{' {
		return nil, fmt.Errorf("not an Envoy or weft config dump: the top level is %s, want an object", jsonKind(trimmed[0]))
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return nil, jsonError(err, len(trimmed))
	}
	return top, nil
}

// jsonError locates a syntax error; a cut-off dump (a common result of
// copying from a terminal) fails at its last byte.
func jsonError(err error, n int) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("truncated or malformed JSON at byte %d: %v", se.Offset, err)
	}
	return fmt.Errorf("truncated or malformed JSON at byte %d: %v", n, err)
}

func jsonKind(b byte) string {
	switch b {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

func (c *Config) empty() bool {
	return len(c.Listeners) == 0 && len(c.Routes) == 0 && len(c.Clusters) == 0 && len(c.Endpoints) == 0 && len(c.Secrets) == 0
}

// resolver resolves Any type URLs from the types linked in (dump_types.go)
// and remembers the first it cannot, so the error can name it.
type resolver struct {
	*protoregistry.Types
	unknown string
}

func (r *resolver) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(url)
	if err != nil && r.unknown == "" {
		r.unknown = url
	}
	return mt, err
}

// unmarshal is protojson, strict about fields, naming an unresolvable
// @type and where it was met.
func unmarshal(where string, data []byte, m protoreflect.ProtoMessage) error {
	r := &resolver{Types: protoregistry.GlobalTypes}
	err := protojson.UnmarshalOptions{Resolver: r}.Unmarshal(data, m)
	switch {
	case err == nil:
		return nil
	case r.unknown != "":
		return fmt.Errorf("%s: unknown @type %q (not a type weft or this simulator knows)", where, r.unknown)
	}
	return fmt.Errorf("%s: %v", where, err)
}
