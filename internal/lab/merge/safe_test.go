package merge

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// Inputs whose URL, arguments and run id hold ESC sequences, a bell, a
// carriage return and a C1 CSI, under a name that holds them too: merge's
// report, its errors and its --json document hold none of them.
func TestControlCharactersNeverReachTheOutput(t *testing.T) {
	_, parts := halves()
	dir := t.TempDir()
	evil := "\x1b[2J\x1b]0;pwned\x07\r\n\u009b31m"
	var files []string
	for i, p := range parts {
		g := readMap(t, p.write(t, dir, "p.json", i+1, 2))
		g["url"] = "http://h:8000/index" + evil
		g["run_id"] = "id" + evil
		g["args"] = []any{"-c" + evil, "8"}
		files = append(files, writeMap(t, dir, "part"+evil+string(rune('1'+i))+".json", g))
	}
	out := filepath.Join(t.TempDir(), "merged.json")
	var stdout, stderr bytes.Buffer
	if code := Main(append([]string{"--json", out}, files...), &stdout, &stderr); code != 0 {
		t.Fatalf("merge: exit %d: %q", code, stderr.String())
	}
	js, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// A refusal quotes an input's name.
	var errout bytes.Buffer
	if code := Main([]string{files[0]}, new(bytes.Buffer), &errout); code != 1 {
		t.Errorf("merge of one part of two: exit %d", code)
	}
	for name, b := range map[string][]byte{"stdout": stdout.Bytes(), "stderr": errout.Bytes(), "--json": js} {
		for _, r := range string(b) {
			if r != '\n' && unicode.IsControl(r) {
				t.Errorf("%s holds control character %q", name, r)
				break
			}
		}
		if bytes.Contains(b, []byte(`\u001b`)) || bytes.Contains(b, []byte(`\u0007`)) {
			t.Errorf("%s holds an escaped control character", name)
		}
	}
	if !strings.Contains(stdout.String(), "http://h:8000/index[2J]0;pwned31m") {
		t.Errorf("the report lacks the cleaned URL:\n%s", stdout.String())
	}
}

// A generator result over the cap: refused in one line naming it and the
// cap (the real cap, on a sparse file).
func TestRefusesAFileOverTheCap(t *testing.T) {
	_, parts := halves()
	dir := t.TempDir()
	a := parts[0].write(t, dir, "a.json", 1, 2)
	b := parts[1].write(t, dir, "b.json", 2, 2)
	if err := os.Truncate(b, runresult.MaxFileSize+1); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := Main([]string{a, b}, &stdout, &stderr)
	if code != 1 || strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), b) || !strings.Contains(stderr.String(), "64 MiB cap") {
		t.Errorf("merge with a file over the cap: exit %d, stderr %q; want 1 and one line naming it and the cap", code, stderr.String())
	}
}
