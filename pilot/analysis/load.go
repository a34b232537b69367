package analysis

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Input is one file's content and the name messages will cite.
type Input struct {
	Name string
	Data []byte
}

// maxInputBytes bounds what one file (or stdin) may hold, so a stray device
// or huge log cannot exhaust memory.
const maxInputBytes = 64 << 20

// ReadInputs reads each path: "-" is stdin, a directory contributes every
// *.yaml, *.yml and *.json below it (sorted, so output is stable).
func ReadInputs(paths []string, stdin io.Reader) ([]Input, error) {
	var out []Input
	for _, p := range paths {
		ins, err := readPath(p, stdin)
		if err != nil {
			return nil, err
		}
		out = append(out, ins...)
	}
	return out, nil
}

func readPath(p string, stdin io.Reader) ([]Input, error) {
	if p == "-" {
		data, err := io.ReadAll(io.LimitReader(stdin, maxInputBytes))
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		return []Input{{Name: "<stdin>", Data: data}}, nil
	}
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	if !st.IsDir() {
		in, err := readFile(p)
		return []Input{in}, err
	}
	return readDir(p)
}

func readDir(dir string) ([]Input, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && isConfigFile(p) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walking %s: %w", dir, err)
	}
	sort.Strings(files)
	out := make([]Input, 0, len(files))
	for _, f := range files {
		in, err := readFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

func isConfigFile(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func readFile(p string) (Input, error) {
	f, err := os.Open(p)
	if err != nil {
		return Input{}, fmt.Errorf("reading %s: %w", p, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxInputBytes))
	if err != nil {
		return Input{}, fmt.Errorf("reading %s: %w", p, err)
	}
	return Input{Name: p, Data: data}, nil
}
