package compare

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// controls lists the control characters (C0 but newline, DEL, C1) and
// bytes that are not UTF-8 in out.
func controls(out []byte) []string {
	var found []string
	for i, r := range string(out) {
		if r == '\n' {
			continue
		}
		if unicode.IsControl(r) {
			found = append(found, string(out[max(0, i-10):min(len(out), i+10)]))
		}
	}
	return found
}

// Results files whose strings hold ESC sequences, a bell, a carriage
// return, a newline, a C1 CSI and a byte that is not UTF-8, in a folder so
// named too: compare's output (the table, the settings, the page) holds
// none of them.
func TestControlCharactersNeverReachTheOutput(t *testing.T) {
	evil := "\x1b[2J\x1b]0;pwned\x07\r\n\u009b31m\xff"
	a := summary(cell("/index"+evil, "saturation"+evil, 0, report.StatusClosedLoop+evil, rates5, p99s5))
	b := summary(cell("/index"+evil, "saturation"+evil, 0, report.StatusClosedLoop, slower5, p99s5),
		cell("/only"+evil, "b", 0, "ok", rates5, p99s5))
	a.Cells[0].Target, b.Cells[0].Target = "original"+evil, "original"+evil
	a.Notes = []string{"note" + evil}
	root := t.TempDir()
	dirA, dirB := filepath.Join(root, "a"+evil), filepath.Join(root, "b")
	for _, d := range []string{dirA, dirB} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for d, s := range map[string]*report.Summary{dirA: a, dirB: b} {
		if err := s.WriteJSON(d); err != nil {
			t.Fatal(err)
		}
	}
	// JSON strings carry them escaped (shown as text where compare shows a
	// raw value: harmless); a raw value carries the bytes themselves outside
	// a string, where JSON allows whitespace.
	writeMeta(t, dirA, `{"git_commit": "aaaa\u001b[31m111", "cpu_limits": {"app\u001b": "2\u0007"}, "app_pool_size": "1\u001b6"}`)
	writeMeta(t, dirB, "{\"git_commit\": \"bbbb\", \"cpu_limits\": {\"app\\u001b\": \"1\"}, \"app_pool_size\": [8,\r\n\t9]}")
	html := filepath.Join(t.TempDir(), "compare.html")
	var stdout, stderr bytes.Buffer
	code := Main([]string{"--html", html, dirA, dirB}, &stdout, &stderr)
	if code == 2 {
		t.Fatalf("compare: exit 2: %s", stderr.String())
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string][]byte{"stdout": stdout.Bytes(), "stderr": stderr.Bytes(), "the page": page} {
		if c := controls(out); len(c) > 0 || !bytes.Equal(out, bytes.ToValidUTF8(out, nil)) {
			t.Errorf("%s holds control characters or bytes that are not UTF-8: %q", name, c)
		}
	}
	// What they were hidden in is still there, cleaned.
	for _, want := range []string{"/index[2J]0;pwned31m\ufffd saturation" /* json.Marshal wrote \xff as U+FFFD */, "aaaa[31m111", "app cpus 2 → 1", `app pool size 1\u001b6 → [8,9]`} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
}

// A results file over the cap: refused in one line naming it and the cap
// (the real cap, on a sparse file: nothing written).
func TestRefusesAFileOverTheCap(t *testing.T) {
	for _, name := range []string{"summary.json", "metadata.json"} {
		dirA, dirB := folders(t, summary(cell("/index", "saturation", 0, report.StatusClosedLoop, rates5, p99s5)),
			summary(cell("/index", "saturation", 0, report.StatusClosedLoop, rates5, p99s5)), metaApp2, metaApp2)
		big := filepath.Join(dirB, name)
		if err := os.Truncate(big, runresult.MaxFileSize+1); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		code := Main([]string{dirA, dirB}, &stdout, &stderr)
		if code != 2 || strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), big) || !strings.Contains(stderr.String(), "64 MiB cap") {
			t.Errorf("%s over the cap: exit %d, stderr %q; want 2 and one line naming it and the cap", name, code, stderr.String())
		}
	}
}
