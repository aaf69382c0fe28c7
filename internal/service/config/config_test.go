package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c := Default()
	want := App{
		ListenAddr:      ":8000",
		DatabaseURL:     "postgres://macrobench_app:macrobench-app@localhost:5432/macrobench?sslmode=disable",
		PoolSize:        16,
		NewConnLimit:    8,
		RequestTimeout:  2 * time.Second,
		DBTimeout:       2 * time.Second,
		WriteTimeout:    5 * time.Second,
		ShutdownTimeout: 8 * time.Second,
	}
	if c != want {
		t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
	}
}

func TestOverrides(t *testing.T) {
	c, err := Load(env(map[string]string{
		"APP_LISTEN_ADDR": "127.0.0.1:9000", "APP_POOL_SIZE": "4", "APP_NEWCONN_LIMIT": " 8 ",
		"APP_REQUEST_TIMEOUT": "500ms", "APP_DB_TIMEOUT": "1s", "APP_WRITE_TIMEOUT": "2s", "APP_SHUTDOWN_TIMEOUT": "3s",
		"APP_DATABASE_URL": "host=db user=u dbname=d sslmode=disable",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr != "127.0.0.1:9000" || c.PoolSize != 4 || c.NewConnLimit != 8 ||
		c.RequestTimeout != 500*time.Millisecond || c.DBTimeout != time.Second || c.WriteTimeout != 2*time.Second ||
		c.ShutdownTimeout != 3*time.Second {
		t.Errorf("got %+v", c)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	for name, bad := range map[string][]string{
		"APP_LISTEN_ADDR":      {"8000", "host:port", ":99999"},
		"APP_DATABASE_URL":     {"mysql://x/y", "just-a-word", "postgres://u:p@h:5432/%zz"},
		"APP_POOL_SIZE":        {"0", "-1", "many", "1.5"},
		"APP_NEWCONN_LIMIT":    {"0", "x"},
		"APP_REQUEST_TIMEOUT":  {"2", "0s", "-1s", "soon"},
		"APP_DB_TIMEOUT":       {"0", "x"},
		"APP_WRITE_TIMEOUT":    {"0", "5"},
		"APP_SHUTDOWN_TIMEOUT": {"-5s", "7s", "1s"}, // 7s: not above the default 2s + 5s
	} {
		for _, v := range bad {
			_, err := Load(env(map[string]string{name: v}))
			if err == nil {
				t.Errorf("%s=%q: no error", name, v)
				continue
			}
			if !strings.HasPrefix(err.Error(), name) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s=%q: error %q should be one line starting with the variable", name, v, err)
			}
		}
	}
}

func TestPasswordNotEchoed(t *testing.T) {
	_, err := Load(env(map[string]string{"APP_DATABASE_URL": "postgres://u:secret@h:5432/%zz"}))
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("error %v should not contain the password", err)
	}
}

// The README's configuration table lists every variable with its default.
func TestREADMEDocumentsEveryVariable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Vars {
		def := "`" + v.Default + "`"
		if v.Default == "" {
			def = "*(none)*"
		}
		row := "| `" + v.Name + "` | " + def + " |"
		if !strings.Contains(string(b), row) {
			t.Errorf("README.md lacks the row starting %s", row)
		}
	}
}

// Shutdown must outlast a request's answer and its delivery; the error names
// the variables involved.
func TestShutdownTimeoutOutlastsRequestAndWrite(t *testing.T) {
	_, err := Load(env(map[string]string{"APP_REQUEST_TIMEOUT": "10s"}))
	if err == nil || !strings.HasPrefix(err.Error(), "APP_SHUTDOWN_TIMEOUT") ||
		!strings.Contains(err.Error(), "APP_REQUEST_TIMEOUT") || !strings.Contains(err.Error(), "APP_WRITE_TIMEOUT") {
		t.Errorf("APP_REQUEST_TIMEOUT=10s with the default shutdown timeout: %v", err)
	}
	if _, err := Load(env(map[string]string{"APP_REQUEST_TIMEOUT": "10s", "APP_SHUTDOWN_TIMEOUT": "16s"})); err != nil {
		t.Errorf("10s + 5s < 16s: %v", err)
	}
}

// APP_DATABASE_PASSWORD_FILE: the file's content, less one trailing newline,
// is the password, kept apart from the URL and never printed.
func TestPasswordFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const noPassword = "postgres://macrobench_app@postgres:5432/macrobench?sslmode=disable"
	for content, want := range map[string]Secret{"s3cret-pw\n": "s3cret-pw", "s3cret-pw": "s3cret-pw", "s3cret-pw\n\n": "s3cret-pw\n", " s3cret-pw \n": " s3cret-pw "} {
		path := write("pw", content)
		for _, dsn := range []string{noPassword, "host=postgres user=macrobench_app dbname=macrobench"} {
			c, err := Load(env(map[string]string{"APP_DATABASE_URL": dsn, "APP_DATABASE_PASSWORD_FILE": path}))
			if err != nil {
				t.Fatalf("%q in the file, URL %s: %v", content, dsn, err)
			}
			if c.DatabasePassword != want || c.DatabasePasswordFile != path || c.DatabaseURL != dsn {
				t.Errorf("%q in the file: password %q, file %q, URL %q; want %q, %q, %q", content, string(c.DatabasePassword), c.DatabasePasswordFile, c.DatabaseURL, want, path, dsn)
			}
			if s := fmt.Sprintf("%v %+v %#v %s", c, c, c, c.DatabasePassword); strings.Contains(s, "s3cret") {
				t.Errorf("the configuration prints its password: %s", s)
			}
		}
	}

	path := write("pw", "s3cret-pw\n")
	empty := write("empty", "\n")
	for name, tc := range map[string]struct {
		vars map[string]string
		want string
	}{
		"URL with a password": {map[string]string{"APP_DATABASE_URL": "postgres://u:urlpw@h/db", "APP_DATABASE_PASSWORD_FILE": path},
			"APP_DATABASE_PASSWORD_FILE=" + path + ": APP_DATABASE_URL carries a password too: give it in one place"},
		"key=value with a password": {map[string]string{"APP_DATABASE_URL": "host=h password = urlpw", "APP_DATABASE_PASSWORD_FILE": path},
			"APP_DATABASE_PASSWORD_FILE=" + path + ": APP_DATABASE_URL carries a password too: give it in one place"},
		"the default URL": {map[string]string{"APP_DATABASE_PASSWORD_FILE": path},
			"APP_DATABASE_PASSWORD_FILE=" + path + ": APP_DATABASE_URL's default carries a password: set APP_DATABASE_URL without one"},
		"no such file": {map[string]string{"APP_DATABASE_URL": noPassword, "APP_DATABASE_PASSWORD_FILE": filepath.Join(dir, "absent")},
			"APP_DATABASE_PASSWORD_FILE=" + filepath.Join(dir, "absent") + ": cannot read it: no such file or directory"},
		"a directory": {map[string]string{"APP_DATABASE_URL": noPassword, "APP_DATABASE_PASSWORD_FILE": dir},
			"APP_DATABASE_PASSWORD_FILE=" + dir + ": cannot read it: is a directory"},
		"an empty file": {map[string]string{"APP_DATABASE_URL": noPassword, "APP_DATABASE_PASSWORD_FILE": empty},
			"APP_DATABASE_PASSWORD_FILE=" + empty + ": the file is empty"},
	} {
		_, err := Load(env(tc.vars))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		} else if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "urlpw") {
			t.Errorf("%s: the error shows a password: %v", name, err)
		}
	}
}
