// Package config reads the app's settings from APP_* environment variables,
// applies defaults and validates them in one place. Errors name the variable.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// App is the app's configuration (its APP_* environment variables).
type App struct {
	ListenAddr           string        // APP_LISTEN_ADDR
	DatabaseURL          string        // APP_DATABASE_URL
	DatabasePasswordFile string        // APP_DATABASE_PASSWORD_FILE ("" when unset)
	DatabasePassword     Secret        // that file's content less one trailing newline; APP_DATABASE_URL then has none
	PoolSize             int           // APP_POOL_SIZE: /agents_with_pool max open = max idle
	NewConnLimit         int           // APP_NEWCONN_LIMIT: concurrent new connections on /agents
	RequestTimeout       time.Duration // APP_REQUEST_TIMEOUT: a DB request, waiting included
	DBTimeout            time.Duration // APP_DB_TIMEOUT: connect + query (also the sessions' statement_timeout)
	WriteTimeout         time.Duration // APP_WRITE_TIMEOUT: writing one response to a client
	ShutdownTimeout      time.Duration // APP_SHUTDOWN_TIMEOUT: > RequestTimeout + WriteTimeout
}

// Var documents one environment variable (the README table is checked against it).
type Var struct {
	Name, Default, Help string
}

// Vars lists every variable Load reads, with its default.
var Vars = []Var{
	{"APP_LISTEN_ADDR", ":8000", "address the HTTP server listens on"},
	{"APP_DATABASE_URL", "postgres://macrobench_app:macrobench-app@localhost:5432/macrobench?sslmode=disable", "PostgreSQL URL (lib/pq syntax)"},
	{"APP_DATABASE_PASSWORD_FILE", "", "file holding the database password (a Swarm secret such as /run/secrets/...; one trailing newline dropped); APP_DATABASE_URL then carries none"},
	{"APP_POOL_SIZE", "16", "connections in the /agents_with_pool pool (max open = max idle)"},
	{"APP_NEWCONN_LIMIT", "8", "cap on concurrent new connections for /agents; excess requests wait"},
	{"APP_REQUEST_TIMEOUT", "2s", "bound on a database-backed request, waiting for a slot or connection included"},
	{"APP_DB_TIMEOUT", "2s", "connect + query timeout; also each session's statement_timeout, so PostgreSQL ends a query its client gave up on"},
	{"APP_WRITE_TIMEOUT", "5s", "bound on writing a response: a client that stops reading is disconnected within it"},
	{"APP_SHUTDOWN_TIMEOUT", "8s", "how long SIGTERM waits for in-flight requests; must exceed APP_REQUEST_TIMEOUT + APP_WRITE_TIMEOUT"},
}

// Default is the configuration with every variable unset.
func Default() App {
	c, err := Load(func(string) string { return "" })
	if err != nil {
		panic(err) // the defaults above are valid; a test covers it
	}
	return c
}

// Load reads the variables through getenv (os.Getenv in main).
func Load(getenv func(string) string) (App, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		for _, v := range Vars {
			if v.Name == name {
				return v.Default
			}
		}
		return ""
	}
	var c App
	var err error
	c.ListenAddr = get("APP_LISTEN_ADDR")
	if _, port, e := net.SplitHostPort(c.ListenAddr); e != nil {
		return c, fmt.Errorf("APP_LISTEN_ADDR=%q: want host:port: %v", c.ListenAddr, e)
	} else if n, e := strconv.Atoi(port); e != nil || n < 0 || n > 65535 {
		return c, fmt.Errorf("APP_LISTEN_ADDR=%q: bad port %q", c.ListenAddr, port)
	}
	c.DatabaseURL = get("APP_DATABASE_URL")
	if err = checkURL(c.DatabaseURL); err != nil {
		return c, fmt.Errorf("APP_DATABASE_URL: %v", err)
	}
	if c.DatabasePasswordFile = get("APP_DATABASE_PASSWORD_FILE"); c.DatabasePasswordFile != "" {
		if c.DatabasePassword, err = passwordFile(c.DatabasePasswordFile, c.DatabaseURL, getenv("APP_DATABASE_URL") == ""); err != nil {
			return c, err
		}
	}
	if c.PoolSize, err = positiveInt("APP_POOL_SIZE", get("APP_POOL_SIZE"), 10000); err != nil {
		return c, err
	}
	if c.NewConnLimit, err = positiveInt("APP_NEWCONN_LIMIT", get("APP_NEWCONN_LIMIT"), 10000); err != nil {
		return c, err
	}
	if c.RequestTimeout, err = positiveDuration("APP_REQUEST_TIMEOUT", get("APP_REQUEST_TIMEOUT")); err != nil {
		return c, err
	}
	if c.DBTimeout, err = positiveDuration("APP_DB_TIMEOUT", get("APP_DB_TIMEOUT")); err != nil {
		return c, err
	}
	if c.WriteTimeout, err = positiveDuration("APP_WRITE_TIMEOUT", get("APP_WRITE_TIMEOUT")); err != nil {
		return c, err
	}
	if c.ShutdownTimeout, err = positiveDuration("APP_SHUTDOWN_TIMEOUT", get("APP_SHUTDOWN_TIMEOUT")); err != nil {
		return c, err
	}
	// A request in flight at SIGTERM takes at most the request timeout to
	// answer and the write timeout to deliver: shutdown must outlast both, or
	// it would cut requests it promises to finish.
	if need := c.RequestTimeout + c.WriteTimeout; c.ShutdownTimeout <= need {
		return c, fmt.Errorf("APP_SHUTDOWN_TIMEOUT=%q: must exceed APP_REQUEST_TIMEOUT + APP_WRITE_TIMEOUT (%s + %s = %s)",
			get("APP_SHUTDOWN_TIMEOUT"), c.RequestTimeout, c.WriteTimeout, need)
	}
	return c, nil
}

// Secret is a password: fmt prints "[redacted]" in its place, so that a
// logged configuration never shows it.
type Secret string

func (Secret) String() string   { return "[redacted]" }
func (Secret) GoString() string { return `"[redacted]"` }

// passwordFile reads the password in path for APP_DATABASE_PASSWORD_FILE,
// less one trailing newline. The URL must carry none of its own
// (defaultURL: it is APP_DATABASE_URL's default, which does). Errors name
// the variable and the path, never the password.
func passwordFile(path, dsn string, defaultURL bool) (Secret, error) {
	if hasPassword(dsn) {
		if defaultURL {
			return "", fmt.Errorf("APP_DATABASE_PASSWORD_FILE=%s: APP_DATABASE_URL's default carries a password: set APP_DATABASE_URL without one", path)
		}
		return "", fmt.Errorf("APP_DATABASE_PASSWORD_FILE=%s: APP_DATABASE_URL carries a password too: give it in one place", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named already
		}
		return "", fmt.Errorf("APP_DATABASE_PASSWORD_FILE=%s: cannot read it: %v", path, err)
	}
	pw := strings.TrimSuffix(string(b), "\n")
	if pw == "" {
		return "", fmt.Errorf("APP_DATABASE_PASSWORD_FILE=%s: the file is empty", path)
	}
	return Secret(pw), nil
}

// kvPassword finds a password key in lib/pq's key=value form.
var kvPassword = regexp.MustCompile(`(^|\s)password\s*=`)

// hasPassword reports whether dsn (a postgres:// URL or key=value pairs)
// carries a password.
func hasPassword(dsn string) bool {
	if !strings.Contains(dsn, "://") {
		return kvPassword.MatchString(dsn)
	}
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return false
	}
	_, set := u.User.Password()
	return set
}

// checkURL accepts postgres:// URLs; lib/pq's key=value form is accepted too
// (lib/pq itself reports its errors at first use).
func checkURL(s string) error {
	if !strings.Contains(s, "://") {
		if !strings.Contains(s, "=") {
			return fmt.Errorf("%q is neither a postgres:// URL nor key=value pairs", s)
		}
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, password included
		}
		return fmt.Errorf("%q: %v", redact(s), err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Errorf("scheme %q: want postgres://", u.Scheme)
	}
	return nil
}

// redact hides a password in an unparsable URL before it reaches a log.
func redact(s string) string {
	if at := strings.LastIndex(s, "@"); at > 0 {
		if i := strings.Index(s, "://"); i >= 0 && i+3 < at {
			return s[:i+3] + "…" + s[at:]
		}
	}
	return s
}

func positiveInt(name, v string, max int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, fmt.Errorf("%s=%q: want an integer from 1 to %d", name, v, max)
	}
	return n, nil
}

func positiveDuration(name, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive Go duration such as 2s or 500ms", name, v)
	}
	return d, nil
}
