package runresult

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://u:secret@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=disable"},
		{"postgresql://u:p%40ss@h/db", "postgresql://u:xxxxx@h/db"},
		{"postgres://u:p@ss@h/db", "postgres://u:xxxxx@h/db"}, // an unescaped @: to the last one
		{"--database-url=postgres://u:secret@h/db", "--database-url=postgres://u:xxxxx@h/db"},
		{`connecting to "postgres://u:secret@h/db": refused`, `connecting to "postgres://u:xxxxx@h/db": refused`},
		{"host=h user=u password=secret dbname=db", "host=h user=u password=xxxxx dbname=db"},
		{"host=h password = 'se cr\\'et' dbname=db", "host=h password = xxxxx dbname=db"},
		{"postgres://u@h/db?password=secret&sslmode=disable", "postgres://u@h/db?password=xxxxx&sslmode=disable"},
		{"PGPASSWORD=secret pgbench", "PGPASSWORD=xxxxx pgbench"},
		{"POSTGRES_BENCH_PASSWORD=secret", "POSTGRES_BENCH_PASSWORD=xxxxx"},
		// Nothing to hide: unchanged.
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"http://127.0.0.1:8000/index", "http://127.0.0.1:8000/index"},
		{"loadtest -t2 -c4 -d1s http://app:8000/agents", "loadtest -t2 -c4 -d1s http://app:8000/agents"},
	} {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.Contains(Redact(c.in), "secret") || strings.Contains(Redact(c.in), "cr\\'et") {
			t.Errorf("Redact(%q) keeps the password", c.in)
		}
	}
	args := []string{"bench", "--database-url", "postgres://u:secret@h/db"}
	got := RedactArgs(args)
	if got[2] != "postgres://u:xxxxx@h/db" || args[2] != "postgres://u:secret@h/db" {
		t.Errorf("RedactArgs: %q (input now %q)", got, args)
	}
}

func TestClean(t *testing.T) {
	in := "a\x1b[31mb\x07c\r\nd\te\x7f\u009bf\u202eg\xffh"
	if got, want := CleanLine(in), "a[31mbcdefgh"; got != want {
		t.Errorf("CleanLine = %q, want %q", got, want)
	}
	if got, want := CleanText(in), "a[31mbc\nd\tefgh"; got != want {
		t.Errorf("CleanText = %q, want %q", got, want)
	}
	if s := "plain — ünïcode µs"; CleanLine(s) != s {
		t.Errorf("CleanLine changed %q to %q", s, CleanLine(s))
	}

	type inner struct{ Name string }
	type doc struct {
		Name   string
		Args   []string
		Ptr    *inner
		Map    map[string]string
		Any    any
		Raw    []byte
		hidden string
	}
	d := doc{Name: "x\x1by", Args: []string{"-c\n4"}, Ptr: &inner{"p\x00q"}, Map: map[string]string{"k\x1b": "v\x1b"},
		Any: map[string]any{"n": []any{"a\x1bb"}}, Raw: []byte("r\x1b"), hidden: "h\x1b"}
	CleanStrings(&d)
	if d.Name != "xy" || d.Args[0] != "-c4" || d.Ptr.Name != "pq" || d.Map["k"] != "v" || len(d.Map) != 1 {
		t.Errorf("CleanStrings left %+v", d)
	}
	if got := d.Any.(map[string]any)["n"].([]any)[0]; got != "ab" {
		t.Errorf("CleanStrings through an interface: %q", got)
	}
	if string(d.Raw) != "r\x1b" || d.hidden != "h\x1b" {
		t.Errorf("CleanStrings changed bytes or an unexported field: %q %q", d.Raw, d.hidden)
	}
}

// The real cap, on a sparse file one byte over it (no 64 MiB written).
func TestReadFileCap(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for name, read := range map[string]func(string) error{
		"ReadFile":      func(p string) error { _, err := ReadFile(p); return err },
		"CheckSize":     CheckSize,
		"ReadGenerator": func(p string) error { _, err := ReadGenerator(p); return err },
	} {
		err := read(big)
		if err == nil || !strings.Contains(err.Error(), big) || !strings.Contains(err.Error(), "64 MiB cap") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s of a file over the cap: %v, want one line naming it and the cap", name, err)
		}
	}
	ok := filepath.Join(dir, "ok.json")
	if err := os.WriteFile(ok, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(ok); err != nil || string(b) != "{}" {
		t.Errorf("ReadFile of a small file: %q, %v", b, err)
	}
}

// A generator JSON's strings come back without control characters.
func TestReadGeneratorCleansStrings(t *testing.T) {
	p := filepath.Join(t.TempDir(), "g.json")
	doc := `{"args":["-c","4\u001b[2J"],"url":"http://h/\u001b]0;title\u0007x","path":"/in\u009bdex","start":"2024-01-01T00:00:00Z","end":"2024-01-01T00:00:01Z"}`
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := ReadGenerator(p)
	if err != nil {
		t.Fatal(err)
	}
	if g.Args[1] != "4[2J" || g.URL != "http://h/]0;titlex" || g.Path != "/index" {
		t.Errorf("ReadGenerator kept control characters: %q %q %q", g.Args, g.URL, g.Path)
	}
}

func TestSplitPassword(t *testing.T) {
	for _, c := range []struct{ in, without, password string }{
		{"postgres://u:s%40cret@h:5432/db?sslmode=disable", "postgres://u@h:5432/db?sslmode=disable", "s@cret"},
		{"postgres://u@h/db?password=secret&sslmode=disable", "postgres://u@h/db?sslmode=disable", "secret"},
		{"postgres://u@h/db", "postgres://u@h/db", ""},
		{"host=h password='se cr\\'et' dbname=db application_name='a b'", "host=h dbname=db application_name='a b'", "se cr'et"},
		{"host=h user=u password=secret", "host=h user=u", "secret"},
	} {
		without, pw, err := SplitPassword(c.in)
		if err != nil || without != c.without || pw != c.password {
			t.Errorf("SplitPassword(%q) = %q, %q, %v; want %q, %q", c.in, without, pw, err, c.without, c.password)
		}
	}
	if _, _, err := SplitPassword("postgres://u:secret@h:port/db"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("SplitPassword of a bad URL: %v, want an error without the password", err)
	}
}
