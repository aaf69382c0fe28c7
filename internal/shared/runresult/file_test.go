package runresult

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFileAndWriteNewFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.json")
	if err := WriteFile(p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Errorf("Write replaced with %q, want two", b)
	}
	err := WriteNewFile(p, func(w io.Writer) error { _, err := io.WriteString(w, "three"); return err })
	if err == nil || !strings.Contains(err.Error(), "never overwritten") {
		t.Errorf("WriteNew over an existing file: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Errorf("WriteNew changed the existing file to %q", b)
	}
	q := filepath.Join(dir, "b.json")
	if err := WriteNewFile(q, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if err := WriteNewFile(filepath.Join(dir, "c.json"), func(io.Writer) error { return errors.New("boom") }); err == nil {
		t.Error("a failed write: no error")
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "a.json b.json" {
		t.Errorf("folder holds %v, want a.json b.json (no temporary file, no c.json)", names)
	}
	if fi, _ := os.Stat(q); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
}

// Summaries are replaced whole, through a temporary file that does not stay.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "summary.md")
	for _, content := range []string{"first\n", "second, longer\n"} {
		if err := WriteFile(p, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != content {
			t.Errorf("%q, want %q", b, content)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left in the folder: %v", entries)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
	if err := WriteFile(filepath.Join(dir, "nope", "x"), nil); err == nil {
		t.Error("a missing folder: want an error")
	}
}

// A file that appears at path while WriteNewFile writes (another writer)
// is not overwritten: the error says so, the other's content stays, and
// no temporary file is left.
func TestWriteNewFileLosesARace(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.json")
	err := WriteNewFile(p, func(w io.Writer) error {
		if err := os.WriteFile(p, []byte("other"), 0o644); err != nil {
			return err
		}
		_, err := io.WriteString(w, "mine")
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "exists: results are never overwritten") {
		t.Errorf("a file made meanwhile: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "other" {
		t.Errorf("the other writer's file is now %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left in the folder: %v", entries)
	}
}

// Commit puts a file in place whole, or, when its writing fails, leaves
// path as it was (here: absent) and no temporary file, and says why.
// Discard after a commit leaves the committed file; on a nil File it does
// nothing.
func TestCommitAndDiscard(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.json")
	f, err := CreateFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(func(w io.Writer) error { io.WriteString(w, "half"); return errors.New("boom") }); err == nil || err.Error() != "boom" {
		t.Errorf("a failed write: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left in the folder: %v", entries)
	}
	f, err = CreateFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(func(w io.Writer) error { _, err := io.WriteString(w, "whole"); return err }); err != nil {
		t.Fatal(err)
	}
	f.Discard()
	if b, err := os.ReadFile(p); err != nil || string(b) != "whole" {
		t.Errorf("after Commit and Discard: %q, %v", b, err)
	}
	var none *File
	none.Discard()
	if _, err := CreateFile(filepath.Join(dir, "no", "x.json")); err == nil || err.Error() != "cannot write "+filepath.Join(dir, "no", "x.json")+": no such file or directory" {
		t.Errorf("a missing folder: %v", err)
	}
}
