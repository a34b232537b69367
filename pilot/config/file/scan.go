package file

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// isConfigFile reports whether name has one of the extensions config is read from.
func isConfigFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// hidden names are skipped: editor swap files (.x.swp, .#x) and the
// timestamped ..2024_... directories of Kubernetes ConfigMap volumes,
// whose files are also reachable through the visible symlinks.
func hidden(name string) bool { return strings.HasPrefix(name, ".") }

// scan lists the config files (sorted) and directories under root.
// Symlinked files are followed (ConfigMap volumes are made of them);
// symlinked directories are not, so a link cannot make a loop.
func scan(root string) (files, dirs []string, err error) {
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return err
			}
			return nil // vanished while walking: the next event rescans
		}
		if path != root && hidden(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir():
			dirs = append(dirs, path)
		case isConfigFile(d.Name()) && isRegular(path, d):
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	return files, dirs, err
}

func isRegular(path string, d fs.DirEntry) bool {
	if d.Type().IsRegular() {
		return true
	}
	if d.Type()&fs.ModeSymlink == 0 {
		return false
	}
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// readLimited reads a file of at most limit bytes. The size is checked while
// reading, not only by stat, so a file growing meanwhile cannot slip by.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > limit {
		return nil, tooLarge(fi.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(int64(len(data)), limit)
	}
	return data, nil
}

func tooLarge(size, limit int64) error {
	return fmt.Errorf("file is %d bytes, over the limit of %d (weftd --config-max-file-bytes)", size, limit)
}
