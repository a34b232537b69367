package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteConfig atomically places a YAML file in weftd's config dir. The file is
// written in a sibling staging dir and renamed, so weftd never sees a partial file.
func (w *Weftd) WriteConfig(name, yaml string) error {
	if err := w.checkFileMode(name); err != nil {
		return err
	}
	return writeViaRename(w.staging, filepath.Join(w.ConfigDir, name), []byte(yaml))
}

// CopyConfig copies a file (e.g. from samples/config) into the config dir atomically.
func (w *Weftd) CopyConfig(name, src string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("copy config %s: %w", src, err)
	}
	return w.WriteConfig(name, string(data))
}

// RemoveConfig deletes a file from the config dir.
func (w *Weftd) RemoveConfig(name string) error {
	if err := w.checkFileMode(name); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(w.ConfigDir, name)); err != nil {
		return fmt.Errorf("remove config %s: %w", name, err)
	}
	return nil
}

// WriteFileAtomic writes dir/name via a hidden temp file in dir plus rename.
// Prefer Weftd.WriteConfig, which keeps even the temp file out of the config dir.
func WriteFileAtomic(dir, name string, data []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	return writeViaRename(dir, filepath.Join(dir, name), data)
}

// writeViaRename writes a temp file in tmpDir (same filesystem as dst), syncs it, and renames it to dst.
func writeViaRename(tmpDir, dst string, data []byte) error {
	f, err := os.CreateTemp(tmpDir, "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", dst, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", dst, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", dst, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", dst, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("rename into %s: %w", dst, err)
	}
	return nil
}

// checkName keeps config writes inside the config dir.
func checkName(name string) error {
	if name == "" || strings.ContainsRune(name, os.PathSeparator) || name == "." || name == ".." {
		return fmt.Errorf("config file name %q must be a plain file name", name)
	}
	return nil
}

// checkFileMode refuses config writes to a Kubernetes-mode weftd, which has
// no config dir (the path would resolve against the working directory).
func (w *Weftd) checkFileMode(name string) error {
	if w.ConfigDir == "" {
		return fmt.Errorf("config file %s: weftd runs in Kubernetes mode, without a config dir", name)
	}
	return checkName(name)
}
