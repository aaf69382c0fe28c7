// Package e2echeck holds the end-to-end checks that scripts/e2e.sh runs
// against the compose stack on a real Docker engine: which Debian mirror the
// stand-in base image comes from, waiting for services, the app's endpoints,
// Prometheus's targets, the seed data, a database outage under load, and that
// `docker compose down -v` leaves nothing behind.
package e2echeck

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// DebianMirror returns the first URI of the deb822 stanza (as in
// /etc/apt/sources.list.d/debian.sources) whose Suites include suite.
func DebianMirror(r io.Reader, suite string) (string, error) {
	var uris, suites []string
	flush := func() string {
		defer func() { uris, suites = nil, nil }()
		for _, s := range suites {
			if s == suite && len(uris) > 0 {
				return uris[0]
			}
		}
		return ""
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			if u := flush(); u != "" {
				return u, nil
			}
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "uris":
			uris = strings.Fields(val)
		case "suites":
			suites = strings.Fields(val)
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if u := flush(); u != "" {
		return u, nil
	}
	return "", fmt.Errorf("no deb822 stanza with suite %q and a URI", suite)
}
