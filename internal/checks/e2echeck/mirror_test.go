package e2echeck

import (
	"strings"
	"testing"
)

const sources = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
`

func TestDebianMirror(t *testing.T) {
	for suite, want := range map[string]string{
		"bookworm":          "http://deb.debian.org/debian",
		"bookworm-security": "http://deb.debian.org/debian-security",
	} {
		got, err := DebianMirror(strings.NewReader(sources), suite)
		if err != nil || got != want {
			t.Errorf("DebianMirror(%s) = %q, %v; want %q", suite, got, err, want)
		}
	}
	if _, err := DebianMirror(strings.NewReader(sources), "trixie"); err == nil {
		t.Error("DebianMirror(trixie): want an error")
	}
}
