package enginecluster

import (
	"bufio"
	"compress/gzip"
	"io"
	"os"
	"strings"
)

// KernelConfig is where the running kernel's build configuration is read
// (CONFIG_IKCONFIG_PROC); the nodes, containers, share this machine's kernel.
const KernelConfig = "/proc/config.gz"

// KernelHasESP reads a kernel configuration (gzip, as /proc/config.gz):
// known is false when it does not say (no CONFIG_INET_ESP line); has is
// whether IPsec ESP, which Docker's encrypted overlay needs, is built in
// or a module.
func KernelHasESP(config io.Reader) (has, known bool, err error) {
	zr, err := gzip.NewReader(config)
	if err != nil {
		return false, false, err
	}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		switch line := strings.TrimSpace(sc.Text()); {
		case line == "CONFIG_INET_ESP=y" || line == "CONFIG_INET_ESP=m":
			return true, true, nil
		case line == "# CONFIG_INET_ESP is not set":
			return false, true, nil
		}
	}
	return false, false, sc.Err()
}

// Overlay is the Swarm overlay a stack on this machine's nodes can use
// (SWARM_OVERLAY): encrypted unless the kernel's configuration says it has
// no ESP (then plain, and why). Unreadable configuration: encrypted, tried.
func Overlay() (overlay, why string) {
	f, err := os.Open(KernelConfig)
	if err != nil {
		return "encrypted", ""
	}
	defer f.Close()
	if has, known, err := KernelHasESP(f); err == nil && known && !has {
		return "plain", "this machine's kernel has no IPsec ESP (" + KernelConfig + ": CONFIG_INET_ESP is not set), which the encrypted overlay needs"
	}
	return "encrypted", ""
}
