// Package atomicfile writes result files whole or not at all: a reader sees
// the old file (or none) or the new one, never part of it.
package atomicfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write writes data to path through a temporary file in the same folder,
// synced, then renamed over path.
func Write(path string, data []byte) error {
	tmp, err := temp(path, func(w io.Writer) error { _, err := io.Copy(w, bytes.NewReader(data)); return err })
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// WriteNew is Write for a file that must not exist yet (results are never
// overwritten): the temporary file is linked to path, which fails if path
// exists, then removed.
func WriteNew(path string, write func(io.Writer) error) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s exists: results are never overwritten", path)
	}
	tmp, err := temp(path, write)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if os.IsExist(err) {
			return fmt.Errorf("%s exists: results are never overwritten", path)
		}
		return err
	}
	return nil
}

// temp writes a synced, closed temporary file (mode 0644) beside path and
// returns its name; on an error nothing is left.
func temp(path string, write func(io.Writer) error) (name string, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return "", err
	}
	if err = f.Chmod(0o644); err != nil {
		return "", err
	}
	if err = f.Sync(); err != nil {
		return "", err
	}
	if err = f.Close(); err != nil {
		return "", err
	}
	return f.Name(), nil
}
