package runresult

// Result files are written whole or not at all: a reader sees
// the old file (or none) or the new one, never part of it. This is the lab's
// one atomic write: the generator's --json and --hgrm, the bench's and the
// sweep's reports and charts, bench merge's and bench swarm's files.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile writes data to path through a temporary file in the same folder,
// synced, then renamed over path.
func WriteFile(path string, data []byte) error {
	f, err := CreateFile(path)
	if err != nil {
		return err
	}
	return f.Commit(func(w io.Writer) error { _, err := io.Copy(w, bytes.NewReader(data)); return err })
}

// WriteNewFile is WriteFile for a file that must not exist yet (results are never
// overwritten): the temporary file is linked to path, which fails if path
// exists, then removed.
func WriteNewFile(path string, write func(io.Writer) error) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s exists: results are never overwritten", path)
	}
	f, err := CreateFile(path)
	if err != nil {
		return err
	}
	defer f.Discard()
	if err := f.complete(write); err != nil {
		return err
	}
	if err := os.Link(f.tmp.Name(), path); err != nil {
		if os.IsExist(err) {
			return fmt.Errorf("%s exists: results are never overwritten", path)
		}
		return err
	}
	return nil
}

// File is a file on its way to path: a temporary file beside it, created
// first (so a caller learns early that path cannot be written), put in
// place whole by Commit, or removed by Discard.
type File struct {
	path string
	tmp  *os.File // nil once committed or discarded
}

// CreateFile creates the temporary file path will be written through; the
// error names path and the cause ("cannot write x.json: permission denied").
func CreateFile(path string) (*File, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot write %s: %v", path, err)
	}
	return &File{path: path, tmp: tmp}, nil
}

// Commit writes the file through write (buffered), syncs it and renames it
// over path. On an error the temporary file is removed and path is left as
// it was.
func (f *File) Commit(write func(io.Writer) error) error {
	err := f.complete(write)
	if err == nil {
		err = os.Rename(f.tmp.Name(), f.path)
	}
	if err != nil {
		f.Discard()
		return err
	}
	f.tmp = nil
	return nil
}

// complete writes, chmods (as os.Create under the usual umask, not
// CreateTemp's 0600), syncs and closes the temporary file.
func (f *File) complete(write func(io.Writer) error) error {
	bw := bufio.NewWriter(f.tmp)
	err := write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.tmp.Chmod(0o644)
	}
	if err == nil {
		err = f.tmp.Sync()
	}
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	return err
}

// Discard removes the temporary file unless it was committed; a nil File
// or a second call does nothing.
func (f *File) Discard() {
	if f == nil || f.tmp == nil {
		return
	}
	f.tmp.Close()
	os.Remove(f.tmp.Name())
	f.tmp = nil
}
