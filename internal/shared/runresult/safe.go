package runresult

// What the lab writes and prints is safe to show: no password, no control
// character from a file someone else wrote, no file read back whole
// however large. Redact is the one redaction of the lab's outputs (logs,
// metadata.json, summaries, notes, errors); ReadFile and CheckSize the one
// cap on results files read back (bench, compare, merge); CleanLine,
// CleanText and CleanStrings the one filter of their strings before a
// terminal or a report.

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Redacted replaces a password (as net/url's URL.Redacted does).
const Redacted = "xxxxx"

var (
	// scheme://user:password@ — the password runs to the last @ before a
	// space or quote: more is hidden rather than less.
	urlPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^\s:/@"'<>]*):[^\s"'<>]*@`)
	// password=VALUE, key/value DSNs, query strings and environment
	// assignments (PGPASSWORD=, POSTGRES_BENCH_PASSWORD=): a quoted value
	// as libpq quotes it, else up to a space, &, ; or quote.
	kvPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s&;"']*)`)
)

// Redact hides every password in s: a URL's (postgres://u:xxxxx@h/db) and
// every password=... (key/value DSNs, query strings, NAME_PASSWORD=...).
// Everything else is left as it was.
func Redact(s string) string {
	if !strings.Contains(s, "@") && !strings.Contains(strings.ToLower(s), "password") {
		return s
	}
	s = urlPassword.ReplaceAllString(s, "${1}:"+Redacted+"@")
	return kvPassword.ReplaceAllString(s, "${1}"+Redacted)
}

// RedactArgs is a command line with Redact applied to every argument (a
// new slice).
func RedactArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = Redact(a)
	}
	return out
}

// MaxFileSize is the most bytes the lab reads of one results file (a
// summary.json, metadata.json, a generator's --json or .hgrm): the largest
// real ones are about 1 MB (a summary of --repeat runs).
const MaxFileSize = 64 << 20

// CheckSize refuses a file over MaxFileSize, in one line naming it and the
// cap. A missing file is the caller's business: its error is os.Stat's.
func CheckSize(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().IsRegular() && fi.Size() > MaxFileSize {
		return tooLarge(path, fi.Size())
	}
	return nil
}

func tooLarge(path string, size int64) error {
	return fmt.Errorf("%s: %d bytes, over the %d MiB cap on results files (runresult.MaxFileSize)", CleanLine(path), size, MaxFileSize>>20)
}

// ReadFile is os.ReadFile for a results file: a file over MaxFileSize is
// refused (CheckSize's error), whatever its size claims.
func ReadFile(path string) ([]byte, error) {
	if err := CheckSize(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileSize {
		return nil, tooLarge(path, int64(len(b)))
	}
	return b, nil
}

// CleanLine is s without control characters (C0, DEL, C1; newline and tab
// too), Unicode's bidirectional overrides and isolates, and bytes that are
// not UTF-8 (a lone 0x9b is a terminal's CSI): for names and one-line texts.
func CleanLine(s string) string { return clean(s, false) }

// CleanText is CleanLine keeping newlines and tabs: for a text that is
// legitimately several lines.
func CleanText(s string) string { return clean(s, true) }

func clean(s string, text bool) string {
	if safe(s, text) {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		if r == utf8.RuneError && size <= 1 {
			continue
		}
		if dropped(r, text) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func safe(s string, text bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return !strings.ContainsFunc(s, func(r rune) bool { return r == utf8.RuneError || dropped(r, text) }) && utf8.ValidString(s)
		}
		if c < 0x20 || c == 0x7f {
			if !(text && (c == '\n' || c == '\t')) {
				return false
			}
		}
	}
	return true
}

func dropped(r rune, text bool) bool {
	switch {
	case text && (r == '\n' || r == '\t'):
		return false
	case unicode.IsControl(r):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi embeddings, overrides, isolates
		return true
	}
	return false
}

// CleanStrings applies CleanLine to every string v points to, through
// structs (exported fields), slices, arrays, maps (keys and values),
// pointers and interfaces: a document read from a results file, cleaned
// before any of it is shown.
func CleanStrings(v any) { mapStrings(reflect.ValueOf(v), CleanLine) }

// RedactStrings applies Redact to every string v points to, as
// CleanStrings does CleanLine: a document about to be written.
func RedactStrings(v any) { mapStrings(reflect.ValueOf(v), Redact) }

// mapStrings sets every settable string under v to f(it).
func mapStrings(v reflect.Value, f func(string) string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		if v.Kind() == reflect.Interface {
			if !v.CanSet() {
				mapStrings(v.Elem(), f)
				return
			}
			c := reflect.New(v.Elem().Type()).Elem()
			c.Set(v.Elem())
			mapStrings(c, f)
			v.Set(c)
			return
		}
		mapStrings(v.Elem(), f)
	case reflect.String:
		if v.CanSet() {
			if s := v.String(); f(s) != s {
				v.SetString(f(s))
			}
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				mapStrings(v.Field(i), f)
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return // bytes (json.RawMessage): not text
		}
		for i := 0; i < v.Len(); i++ {
			mapStrings(v.Index(i), f)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		for _, k := range v.MapKeys() {
			nk := reflect.New(k.Type()).Elem()
			nk.Set(k)
			mapStrings(nk, f)
			nv := reflect.New(v.Type().Elem()).Elem()
			nv.Set(v.MapIndex(k))
			mapStrings(nv, f)
			if !nk.Equal(k) {
				v.SetMapIndex(k, reflect.Value{})
			}
			v.SetMapIndex(nk, nv)
		}
	}
}

// SplitPassword takes the password out of a PostgreSQL connection string
// (a postgres:// URL's, its ?password=, or a key/value DSN's password=...),
// for a client that gets it through PGPASSWORD instead of its command line.
// A URL net/url cannot parse is an error (that names no password).
func SplitPassword(dsn string) (without, password string, err error) {
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", "", fmt.Errorf("database URL %s: not a URL", Redact(dsn))
		}
		if u.User != nil {
			if p, ok := u.User.Password(); ok {
				password = p
				u.User = url.User(u.User.Username())
			}
		}
		if q := u.Query(); q.Has("password") {
			if password == "" {
				password = q.Get("password")
			}
			q.Del("password")
			u.RawQuery = q.Encode()
		}
		return u.String(), password, nil
	}
	loc := kvPassword.FindStringSubmatchIndex(dsn)
	if loc == nil {
		return dsn, "", nil
	}
	v := dsn[loc[4]:loc[5]]
	if strings.HasPrefix(v, "'") {
		v = strings.TrimSuffix(v[1:], "'")
		v = regexp.MustCompile(`\\(.)`).ReplaceAllString(v, "$1")
	}
	return strings.TrimSpace(strings.TrimRight(dsn[:loc[0]], " ") + " " + strings.TrimLeft(dsn[loc[1]:], " ")), v, nil
}
