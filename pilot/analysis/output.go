package analysis

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"sigs.k8s.io/yaml"
)

// Sort orders messages by file, document, resource, field and code, so
// output does not depend on analyzer order.
func Sort(msgs []Message) {
	sort.SliceStable(msgs, func(i, j int) bool {
		a, b := msgs[i].Err, msgs[j].Err
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Doc != b.Doc {
			return a.Doc < b.Doc
		}
		if ka, kb := a.Key().String(), b.Key().String(); ka != kb {
			return ka < kb
		}
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		return msgs[i].Code < msgs[j].Code
	})
}

// Write prints msgs as text (one line each), json or yaml (a list of Records).
func Write(w io.Writer, msgs []Message, format string) error {
	switch format {
	case "", "text", "log": // log: istioctl analyze's name for the text form
		for _, m := range msgs {
			if _, err := fmt.Fprintln(w, m.String()); err != nil {
				return err
			}
		}
		return nil
	case "json", "yaml":
		recs := make([]Record, 0, len(msgs))
		for _, m := range msgs {
			recs = append(recs, m.Record())
		}
		return writeStructured(w, recs, format)
	}
	return fmt.Errorf("unknown output format %q (want text, json or yaml)", format)
}

func writeStructured(w io.Writer, v any, format string) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err == nil && format == "yaml" {
		data, err = yaml.JSONToYAML(data)
	}
	if err != nil {
		return fmt.Errorf("encoding %s: %w", format, err)
	}
	if format == "json" {
		data = append(data, '\n')
	}
	_, err = w.Write(data)
	return err
}
