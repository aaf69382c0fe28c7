package benchrun

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/macrobench/macrobench/internal/shared/docker"
)

// EngineWarning is the one-line warning (without a prefix) for a Docker
// Engine of this server version, "" when there is none. Every port of the
// lab is published on 127.0.0.1 only; before Docker Engine 28.0, such a
// port is reachable by hosts on the same LAN segment, and from 28.0.0 to
// 28.3.2 again after a firewalld reload until the engine restarts
// (CVE-2025-54388, fixed in 28.3.3). A version it cannot read is warned
// about as an old one. It warns; nothing refuses to run.
func EngineWarning(version string) string {
	v, ok := engineVersion(version)
	switch {
	case !ok:
		return fmt.Sprintf("Docker Engine version %q not understood: if it is older than 28.0, the lab's ports published on 127.0.0.1 are reachable by hosts on the same LAN segment (firewall them, or upgrade to 28.3.3 or later)", version)
	case v[0] < 28:
		return fmt.Sprintf("Docker Engine %s is older than 28.0: the lab's ports published on 127.0.0.1 are reachable by hosts on the same LAN segment (firewall them, or upgrade to 28.3.3 or later)", version)
	case v[0] == 28 && (v[1] < 3 || v[1] == 3 && v[2] <= 2):
		return fmt.Sprintf("Docker Engine %s: after a firewalld reload, the lab's ports published on 127.0.0.1 are reachable by hosts on the same LAN segment until the engine restarts (CVE-2025-54388; fixed in 28.3.3)", version)
	}
	return ""
}

// engineVersion reads MAJOR.MINOR.PATCH from a server version such as
// 28.3.3, v27.5.1, 20.10.24+dfsg1 or 28.0.0-rc.1 (a pre-release counts as
// its release; a missing minor or patch as 0).
func engineVersion(s string) ([3]int, bool) {
	var v [3]int
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(s, "-+~ "); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) == 0 || len(parts) > 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

// EngineServerVersion is the server version of the engine the docker CLI
// talks to (`docker version --format {{.Server.Version}}`).
func EngineServerVersion(ctx context.Context, cli docker.CLI) (string, error) {
	out, err := cli.Run(ctx, "version", "--format", "{{.Server.Version}}")
	return strings.TrimSpace(out), err
}
